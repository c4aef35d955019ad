import { afterAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import { KubeClient } from '../../../src/modules/k8s/client.ts';
import { loadKubeConfig } from '../../../src/modules/k8s/config.ts';
import { CLIENT_KEY } from '../../../src/modules/k8s/context.ts';
import * as k8s from '../../../src/modules/k8s/index.ts';
import { type KubeRequest, kubeTransport } from '../../../src/modules/k8s/transport.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { runTasks } from '../../unit/k8s/run.ts';
import { cleanup, configMap, hasKubernetes, kubeEnv, namespace, sandboxClient, unique } from './helpers.ts';

const namespaces: string[] = [];

/** A client of the sandbox whose requests are recorded. */
function recorded(): { memo: Record<string, unknown>; requests: KubeRequest[] } {
  const { transport, server } = kubeTransport(loadKubeConfig(kubeEnv().kubernetes));
  const requests: KubeRequest[] = [];
  const client = new KubeClient(
    (req, signal) => {
      requests.push(req);
      return transport(req, signal);
    },
    { server },
  );
  return { memo: { [CLIENT_KEY]: client }, requests };
}

const dryRuns = (rs: KubeRequest[]): string[] => rs.filter((r) => r.method === 'PATCH' && r.query?.dryRun === 'All').map((r) => r.path.split('/').at(-1)!);

const web = (ns: string, name: string, labels: Record<string, string> = { app: name, tier: 'web' }): KubeObject[] => [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'registry.invalid/web:1',
              ports: [{ containerPort: 8080 }],
              env: [{ name: 'MODE', value: 'fast' }],
              resources: { limits: { memory: '64Mi' } },
            },
          ],
          tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
        },
      },
    },
  },
  { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels }, spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] } },
  configMap(ns, name, { greeting: `hello ${name}` }),
];

describe.skipIf(!hasKubernetes())('k8s.apply no-op re-runs on the real API server', () => {
  const client = sandboxClient();
  afterAll(() => cleanup(client, namespaces));

  it('a second run proves most objects unchanged without a dry run, and still sees every real change', async () => {
    const ns = unique('helix-it-noop');
    namespaces.push(ns);
    const env = kubeEnv();
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds', namespace: ns },
      stringData: { password: new Secret(`pw-${unique('x')}-noop`) },
    };
    const objects = (over: Record<string, KubeObject[]> = {}) => [namespace(ns), ...['a', 'b', 'c'].flatMap((n) => over[n] ?? web(ns, n)), secret];
    const tasks = (objs: ReturnType<typeof objects>) => objs.map((o) => k8s.apply(`${o.kind}-${o.metadata.name}`, { manifest: o }));

    const first = await runTasks(tasks(objects()), { env });
    expect(first.errors).toEqual([]);
    expect(first.keys).toHaveLength(11);

    for (const mode of ['apply', 'check'] as const) {
      const r = recorded();
      const again = await runTasks(tasks(objects()), { env, mode, memo: r.memo });
      expect(again.errors).toEqual([]);
      expect(again.keys).toEqual([]);
      // stringData is write-only: only the Secret still needs the server's dry run (preflight and plan)
      expect(dryRuns(r.requests)).toEqual(['creds', 'creds']);
    }

    // a label dropped from one manifest: the apply would remove it, so the dry run plans it
    const dropped = { b: web(ns, 'b', { app: 'b' }) };
    const r = recorded();
    const check = await runTasks(tasks(objects(dropped)), { env, mode: 'check', memo: r.memo });
    expect(check.keys).toEqual([`update k8s:apps/v1/Deployment/${ns}/b`, `update k8s:v1/Service/${ns}/b`]);
    const apply = await runTasks(tasks(objects(dropped)), { env });
    expect(apply.keys).toEqual(check.keys);
    expect((await client.get({ apiVersion: 'v1', kind: 'Service', namespace: ns, name: 'b' }))?.metadata.labels).toEqual({ app: 'b' });
    const settled = recorded();
    expect((await runTasks(tasks(objects(dropped)), { env, memo: settled.memo })).keys).toEqual([]);
    expect(dryRuns(settled.requests)).toEqual(['creds', 'creds']);

    // another manager takes a field helix set: not hidden behind a cached "ok"
    await sandboxClient('someone-else').apply(configMap(ns, 'c', { greeting: 'edited' }), { force: true });
    const drift = await runTasks(tasks(objects(dropped)), { env, mode: 'check' });
    expect(drift.errors.join('\n')).toMatch(/ConfigMap\/.*\/c: server-side apply conflicts with fields owned by other field managers/);
  });
});
