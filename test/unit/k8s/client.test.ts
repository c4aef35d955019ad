import { describe, expect, it } from 'vitest';
import { KubeApiError, KubeUnreachable } from '../../../src/modules/k8s/api-error.ts';
import { isRetryable } from '../../../src/modules/k8s/retry.ts';
import { cm, FakeCluster, ns } from './fake-cluster.ts';

const isGet = (path: string) => (r: { method: string; path: string }) => r.method === 'GET' && r.path === path;
const CM = '/api/v1/namespaces/demo/configmaps/c';

describe('retries', () => {
  const table: { name: string; failure: Parameters<FakeCluster['fail']>[1]; times: number; ok: boolean }[] = [
    { name: 'API server restarting (connection refused)', failure: { code: 'ECONNREFUSED' }, times: 3, ok: true },
    { name: 'connection reset', failure: { code: 'ECONNRESET' }, times: 2, ok: true },
    { name: '503 service unavailable', failure: { status: 503, body: { reason: 'ServiceUnavailable' } }, times: 2, ok: true },
    { name: '429 too many requests', failure: { status: 429, body: { reason: 'TooManyRequests' } }, times: 2, ok: true },
    { name: '500 etcd leader changed', failure: { status: 500, body: { message: 'etcdserver: leader changed' } }, times: 1, ok: true },
    {
      name: '409 optimistic concurrency conflict',
      failure: { status: 409, body: { reason: 'Conflict', message: 'the object has been modified' } },
      times: 1,
      ok: true,
    },
    { name: '422 invalid is not retried', failure: { status: 422, body: { reason: 'Invalid', message: 'bad' } }, times: 1, ok: false },
    { name: '403 forbidden is not retried', failure: { status: 403, body: { reason: 'Forbidden', message: 'no' } }, times: 1, ok: false },
  ];
  for (const row of table) {
    it(`${row.name}: ${row.ok ? 'retried until it works' : 'fails at once'}`, async () => {
      const cluster = new FakeCluster([ns('demo'), cm('c', 'demo', { a: '1' })]);
      cluster.fail(isGet(CM), row.failure, row.times);
      const client = cluster.client();
      const read = client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'c' });
      if (row.ok) await expect(read).resolves.toMatchObject({ data: { a: '1' } });
      else await expect(read).rejects.toBeInstanceOf(KubeApiError);
      expect(cluster.requests.filter(isGet(CM)).length).toBe(row.ok ? row.times + 1 : 1);
    });
  }

  it('gives up at the deadline with a short, clear error', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    cluster.fail(isGet(CM), { code: 'ECONNREFUSED' }, 1000);
    const client = cluster.client({ deadlineMs: 10_000 });
    const err = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'c' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeUnreachable);
    expect((err as Error).message).toBe('k8s:v1/ConfigMap/demo/c: read ConfigMap demo/c: API server unreachable (ECONNREFUSED)');
    const attempts = cluster.requests.filter(isGet(CM)).length;
    expect(attempts).toBeGreaterThan(3);
    expect(attempts).toBeLessThan(40);
  });

  it('a field manager conflict is not retried', () => {
    const e = new KubeApiError('t', 'apply', 409, {
      reason: 'Conflict',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "x"' }] },
    });
    expect(isRetryable(e)).toBe(false);
  });

  it('the schema error a server-side apply answers with 500 is invalid input, not retried', () => {
    const e = new KubeApiError('t', 'apply', 500, { message: 'failed to create typed patch object (x): .spec.bogus: field not declared in schema' });
    expect(e.invalid).toBe(true);
    expect(isRetryable(e)).toBe(false);
  });
});

describe('errors', () => {
  it('carry the one-line server message, never the body or headers', () => {
    const body = {
      kind: 'Status',
      message: 'ConfigMap "c" is invalid: data: Too long',
      reason: 'Invalid',
      details: { causes: [{ field: 'data' }] },
      metadata: { internal: 'x' },
    };
    const e = new KubeApiError('k8s:v1/ConfigMap/n/c', 'apply ConfigMap n/c', 422, body);
    expect(e.message).toBe('k8s:v1/ConfigMap/n/c: apply ConfigMap n/c: 422 Invalid: ConfigMap "c" is invalid: data: Too long');
  });
  it('shorten a huge message', () => {
    const e = new KubeApiError('t', 'read', 500, { message: 'x'.repeat(5000) });
    expect(e.message.length).toBeLessThan(450);
  });
  it('show a non-JSON body only as a short line', () => {
    const e = new KubeApiError('t', 'read', 502, '<html>\n<body>Bad gateway</body>\n</html>');
    expect(e.message).toBe('t: read: 502 HTTP502: <html> <body>Bad gateway</body> </html>');
  });
});

describe('discovery', () => {
  it('is cached per run, re-read once for an unknown kind, and dropped on invalidate', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('c', 'demo', {})]);
    const client = cluster.client();
    await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'c' });
    await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'c' });
    expect(client.discovery.fetches).toBe(1);
    expect(await client.resource('v1', 'Nope')).toBeUndefined();
    expect(client.discovery.fetches).toBe(2);
    expect(await client.resource('example.com/v1', 'Widget')).toBeUndefined();
    cluster.kinds.set('example.com/v1', [{ kind: 'Widget', plural: 'widgets', namespaced: true }]);
    client.discovery.invalidate();
    expect(await client.resource('example.com/v1', 'Widget')).toEqual({ kind: 'Widget', plural: 'widgets', namespaced: true });
  });

  it('lists objects with their kind filled in', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('a', 'demo', {}), cm('b', 'demo', {})]);
    const items = await cluster.client().list('v1', 'ConfigMap', { namespace: 'demo' });
    expect(items.map((i) => `${i.kind} ${i.metadata.name}`)).toEqual(['ConfigMap a', 'ConfigMap b']);
  });
});
