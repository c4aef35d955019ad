import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import * as k8s from '../../../src/modules/k8s/index.ts';
import type { KubeObject, Manifest } from '../../../src/modules/k8s/types.ts';
import { cm, FakeCluster, ns } from './fake-cluster.ts';
import { changesOf, runTasks } from './run.ts';

interface Row {
  name: string;
  live: KubeObject[];
  /** One apply task per entry. */
  tasks: Manifest[][];
  dryRun?: FakeCluster['dryRun'];
  expect: string[];
  summary?: RegExp;
}

const deployment = (replicas: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo' },
  spec: {
    replicas,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } },
  },
});

/** What the server stores after helix applied `o`: the object plus noise. */
const stored = (o: KubeObject, extra: Record<string, unknown> = {}): KubeObject => ({
  ...o,
  ...extra,
  metadata: {
    ...o.metadata,
    uid: 'u-1',
    resourceVersion: '7',
    generation: 3,
    creationTimestamp: '2026-01-01T00:00:00Z',
    managedFields: [{ manager: 'kubectl' }],
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', 'deployment.kubernetes.io/revision': '2' },
  },
  status: { observedGeneration: 3 },
});

const rows: Row[] = [
  {
    name: 'creates a ConfigMap in an existing namespace',
    live: [ns('demo')],
    tasks: [[cm('settings', 'demo', { a: '1' })]],
    expect: ['create k8s:v1/ConfigMap/demo/settings'],
  },
  {
    name: 'updates a changed value and names the path',
    live: [ns('demo'), cm('settings', 'demo', { a: '1', b: '2' })],
    tasks: [[cm('settings', 'demo', { a: '1', b: '3' })]],
    expect: ['update k8s:v1/ConfigMap/demo/settings'],
    summary: /^data\.b$/,
  },
  {
    name: 'second run plans nothing: server noise (resourceVersion, managedFields, status, annotations) is ignored',
    live: [ns('demo'), stored(deployment(2))],
    tasks: [[deployment(2)]],
    expect: [],
  },
  {
    name: 'server defaults and fields of other managers appear in live and dry run alike: nothing to do',
    live: [ns('demo'), stored({ ...deployment(2), spec: { ...deployment(2).spec, strategy: { type: 'RollingUpdate' }, revisionHistoryLimit: 10 } })],
    tasks: [[deployment(2)]],
    expect: [],
  },
  {
    name: 'a replica change is an update',
    live: [ns('demo'), stored(deployment(1))],
    tasks: [[deployment(2)]],
    expect: ['update k8s:apps/v1/Deployment/demo/web'],
    summary: /^spec\.replicas$/,
  },
  {
    name: 'a field helix no longer sets is dropped by the dry run: an update',
    live: [ns('demo'), cm('settings', 'demo', { a: '1', old: 'x' })],
    tasks: [[cm('settings', 'demo', { a: '1' })]],
    dryRun: (desired) => desired,
    expect: ['update k8s:v1/ConfigMap/demo/settings'],
    summary: /^data\.old$/,
  },
  {
    name: 'one file with many objects applies in dependency order, planning on the namespace it creates',
    live: [],
    tasks: [[deployment(1), cm('settings', 'demo', { a: '1' }), ns('demo')]],
    expect: ['create k8s:apps/v1/Deployment/demo/web', 'create k8s:v1/ConfigMap/demo/settings', 'create k8s:v1/Namespace/_/demo'],
  },
  {
    name: 'a later task plans on a namespace an earlier task creates',
    live: [],
    tasks: [[ns('demo')], [cm('settings', 'demo', { a: '1' })]],
    expect: ['create k8s:v1/ConfigMap/demo/settings', 'create k8s:v1/Namespace/_/demo'],
  },
  { name: 'cluster-scoped objects use _ as namespace', live: [ns('demo')], tasks: [[ns('other')]], expect: ['create k8s:v1/Namespace/_/other'] },
];

describe('k8s.apply planning', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const cluster = new FakeCluster(row.live);
      cluster.dryRun = row.dryRun;
      const tasks = () => row.tasks.map((manifests, i) => k8s.apply(`apply-${i}`, { manifests }));
      const before = new Map(cluster.objects);

      const check = await runTasks(tasks(), { mode: 'check', memo: cluster.memo() });
      expect(check.errors).toEqual([]);
      expect(check.keys).toEqual(row.expect);
      expect(cluster.objects).toEqual(before);
      if (row.summary) expect(changesOf(check)[0]?.summary).toMatch(row.summary);

      const real = await runTasks(tasks(), { mode: 'apply', memo: cluster.memo() });
      expect(real.errors).toEqual([]);
      expect(real.keys).toEqual(check.keys);

      cluster.dryRun = undefined;
      const again = await runTasks(tasks(), { mode: 'apply', memo: cluster.memo() });
      expect(again.keys).toEqual([]);
    });
  }

  it('says why nothing changed', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('settings', 'demo', { a: '1' })]);
    const out = await runTasks([k8s.apply('cm', { manifest: cm('settings', 'demo', { a: '1' }) })], { memo: cluster.memo() });
    expect(out.reasons).toEqual(['ConfigMap demo/settings already matches']);
  });

  it('applies with field manager helix and strict validation, the dry run with dryRun=All', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    await runTasks([k8s.apply('cm', { manifest: cm('settings', 'demo', { a: '1' }) })], { memo: cluster.memo() });
    const patches = cluster.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((r) => r.query)).toEqual([
      { fieldManager: 'helix', fieldValidation: 'Strict', dryRun: 'All' }, // preflight
      { fieldManager: 'helix', fieldValidation: 'Strict', dryRun: 'All' }, // plan
      { fieldManager: 'helix', fieldValidation: 'Strict' }, // apply
    ]);
    expect(patches[2]?.contentType).toBe('application/apply-patch+yaml');
  });

  it('uses the task namespace for namespaced objects that name none', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const { metadata, ...rest } = cm('settings', 'demo', { a: '1' });
    const out = await runTasks([k8s.apply('cm', { manifest: { ...rest, metadata: { name: metadata.name } }, namespace: 'demo' })], { memo: cluster.memo() });
    expect(out.keys).toEqual(['create k8s:v1/ConfigMap/demo/settings']);
  });

  it('applies YAML text with several documents', async () => {
    const cluster = new FakeCluster([]);
    const yaml =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: v}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n';
    const out = await runTasks([k8s.apply('objs', { manifest: yaml })], { memo: cluster.memo() });
    expect(out.keys).toEqual(['create k8s:v1/ConfigMap/x/a', 'create k8s:v1/Namespace/_/x']);
    const applied = cluster.requests.filter((r) => r.method === 'PATCH' && !r.query?.dryRun).map((r) => r.path);
    expect(applied).toEqual(['/api/v1/namespaces/x', '/api/v1/namespaces/x/configmaps/a']);
  });

  it('reports a field manager conflict clearly, and takes the fields over with force', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('settings', 'demo', { a: '1' })]);
    const conflict = {
      status: 409,
      body: {
        reason: 'Conflict',
        message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.a',
        details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using v1', field: '.data.a' }] },
      },
    };
    cluster.fail((r) => r.method === 'PATCH' && r.query?.force === undefined, conflict, 2);
    const out = await runTasks([k8s.apply('cm', { manifest: cm('settings', 'demo', { a: '2' }) })], { memo: cluster.memo() });
    expect(out.errors[0]).toMatch(/conflicts with fields owned by other field managers \(conflict with "kubectl-edit" using v1\); set force: true/);
    cluster.failures.length = 0;
    const forced = await runTasks([k8s.apply('cm', { manifest: cm('settings', 'demo', { a: '2' }), force: true })], { memo: cluster.memo() });
    expect(forced.keys).toEqual(['update k8s:v1/ConfigMap/demo/settings']);
    const last = cluster.requests.filter((r) => r.method === 'PATCH').at(-1);
    expect(last?.query).toEqual({ fieldManager: 'helix', fieldValidation: 'Strict', force: 'true' });
  });

  it('survives an API server restart between the plan and the apply (refused, then 503 while starting)', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const real = (r: { method: string; query?: Record<string, string | undefined> }) => r.method === 'PATCH' && r.query?.dryRun === undefined;
    cluster.fail(real, { code: 'ECONNREFUSED' }, 5);
    cluster.fail(real, { status: 503, body: { reason: 'ServiceUnavailable', message: 'apiserver is starting' } }, 2);
    const out = await runTasks([k8s.apply('cm', { manifest: cm('settings', 'demo', { a: '1' }) })], { memo: cluster.memo() });
    expect(out.errors).toEqual([]);
    expect(out.keys).toEqual(['create k8s:v1/ConfigMap/demo/settings']);
    expect(cluster.get('k8s:v1/ConfigMap/demo/settings')?.data).toEqual({ a: '1' });
  });

  it('with wait and nothing to change, still checks readiness', async () => {
    const d = { ...deployment(2), metadata: { ...deployment(2).metadata, generation: 1 } };
    const cluster = new FakeCluster([ns('demo'), { ...d, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, availableReplicas: 1 } }]);
    let polls = 0;
    cluster.onGet = (o) => {
      if (o.kind === 'Deployment' && ++polls === 3) o.status.availableReplicas = 2;
    };
    const out = await runTasks([k8s.apply('web', { manifest: deployment(2), wait: true })], { memo: cluster.memo() });
    expect(out.keys).toEqual([]);
    expect(out.reasons).toEqual(['Deployment demo/web already matches and is ready']);
  });

  it('fails clearly when the namespace is missing and nothing creates it', async () => {
    const cluster = new FakeCluster([]);
    const out = await runTasks([k8s.apply('cm', { manifest: cm('settings', 'nowhere', { a: '1' }) })], { memo: cluster.memo() });
    expect(out.errors[0]).toMatch(/namespace nowhere does not exist/);
  });

  it('returns the applied objects, and predicts them in a check run', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const task = k8s.apply('cm', { manifest: cm('settings', 'demo', { a: '1' }) });
    let seen: unknown;
    const probe = k8s.get('probe', { apiVersion: 'v1', kind: 'Namespace', name: 'demo', until: () => true });
    const reader = {
      ...probe,
      name: 'reader',
      plan: async (ctx: Parameters<typeof probe.plan>[0]) => {
        seen = ctx.result(task);
        return probe.plan(ctx);
      },
    };
    await runTasks([task, reader], { mode: 'check', memo: cluster.memo() });
    expect((seen as KubeObject[])[0]?.data).toEqual({ a: '1' });
    await runTasks([task, reader], { mode: 'apply', memo: cluster.memo() });
    expect((seen as KubeObject[])[0]?.metadata.uid).toBe('new');
  });
});

describe('k8s.apply with Secrets', () => {
  const secret = (values: Record<string, string | Secret>): Manifest => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'demo' },
    stringData: values,
  });

  it('never shows a value from a secret source: diff and summary carry its key name only', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const pw = new Secret('hunter2-very-secret');
    const first = await runTasks([k8s.apply('s', { manifest: secret({ password: pw, user: 'admin-user' }) })], { memo: cluster.memo() });
    expect(first.keys).toEqual(['create k8s:v1/Secret/demo/creds']);
    const live = cluster.get('k8s:v1/Secret/demo/creds');
    expect(live?.data?.password).toBe(Buffer.from('hunter2-very-secret').toString('base64'));

    const rotated = new Secret('correct-horse-battery');
    const second = await runTasks([k8s.apply('s', { manifest: secret({ password: rotated, user: 'admin-user', token: new Secret('tok-value-123') }) })], {
      mode: 'check',
      memo: cluster.memo(),
    });
    const [change] = changesOf(second);
    expect(change?.summary).toBe('data keys added: token; data keys changed: password');
    const text = JSON.stringify(second.events) + JSON.stringify(first.events);
    for (const v of ['hunter2-very-secret', 'correct-horse-battery', 'tok-value-123']) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(Buffer.from(v).toString('base64'));
    }
    expect(change?.diff?.before).toContain('password: "********"');
    expect(change?.diff?.after).toContain('password: "******** (changed)"');
    expect(change?.diff?.after).toContain('token: "********"');
  });

  it('shows the keys a manifest sets to plain text, and does not mask those words anywhere else', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const manifest = (user: string) => secret({ password: new Secret('plain-keys-secret-value'), user, host: 'db.plain-keys.svc' });
    const first = await runTasks([k8s.apply('s', { manifest: manifest('plain-user-one') })], { mode: 'check', memo: cluster.memo() });
    expect(changesOf(first)[0]?.diff?.after).toContain('user: plain-user-one');
    expect(changesOf(first)[0]?.diff?.after).toContain('password: "********"');
    await runTasks([k8s.apply('s', { manifest: manifest('plain-user-one') })], { memo: cluster.memo() });
    // A second play reads the live Secret: its plain values stay plain.
    const again = await runTasks([k8s.apply('s', { manifest: manifest('plain-user-one') })], { memo: cluster.memo() });
    expect(again.keys).toEqual([]);
    const changed = await runTasks([k8s.apply('s', { manifest: manifest('plain-user-two') })], { mode: 'check', memo: cluster.memo() });
    const [change] = changesOf(changed);
    expect(change?.summary).toBe('data keys changed: user');
    // The old value of a plain key is not the manifest's text: it stays masked on the before side (it could have been a secret).
    expect(change?.diff?.before).toContain('user: "********"');
    expect(change?.diff?.after).toContain('user: plain-user-two');
    expect(change?.diff?.after).toContain('password: "********"');
    // The same words elsewhere (a ConfigMap) are shown as they are.
    const other = await runTasks([k8s.apply('c', { manifest: cm('words', 'demo', { user: 'plain-user-one', host: 'db.plain-keys.svc' }) })], {
      mode: 'check',
      memo: cluster.memo(),
    });
    expect(changesOf(other)[0]?.diff?.after).toContain('user: plain-user-one');
    expect(changesOf(other)[0]?.diff?.after).toContain('host: db.plain-keys.svc');
    expect(JSON.stringify([first.events, changed.events, other.events])).not.toContain('plain-keys-secret-value');
  });

  it('a plain key that held a secret before is still masked in the before side', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    await runTasks([k8s.apply('s', { manifest: secret({ note: new Secret('was-a-secret-before-1') }) })], { memo: cluster.memo() });
    const out = await runTasks([k8s.apply('s', { manifest: secret({ note: 'now plain text' }) })], { mode: 'check', memo: cluster.memo() });
    const [change] = changesOf(out);
    expect(JSON.stringify(out.events)).not.toContain(Buffer.from('was-a-secret-before-1').toString('base64'));
    expect(change?.diff?.before).toContain('note: "********"');
  });

  it('second run plans nothing for an unchanged Secret', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const m = () => secret({ password: new Secret('same-value-1') });
    await runTasks([k8s.apply('s', { manifest: m() })], { memo: cluster.memo() });
    const again = await runTasks([k8s.apply('s', { manifest: m() })], { memo: cluster.memo() });
    expect(again.keys).toEqual([]);
  });

  it('refuses a Secret value outside a Secret', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const bad = { ...cm('c', 'demo', {}), data: { k: new Secret('leaky-value') } } as unknown as Manifest;
    const out = await runTasks([k8s.apply('c', { manifest: bad })], { memo: cluster.memo() });
    expect(out.problems[0]?.message).toMatch(/secret value is only allowed in a Secret's data or stringData \(found at data\.k\)/);
  });
});
