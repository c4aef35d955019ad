import { describe, expect, it } from 'vitest';
import { defineTask } from '../../../src/index.ts';
import * as k8s from '../../../src/modules/k8s/index.ts';
import { LIVE_MAX_AGE_MS, LiveObjects } from '../../../src/modules/k8s/live.ts';
import type { KubeRequest } from '../../../src/modules/k8s/transport.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { cm, FakeCluster, ns } from './fake-cluster.ts';
import { runTasks } from './run.ts';

const deployment = (name: string, image = 'nginx:1'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'demo', labels: { app: name } },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
  },
});

/** One apply task per object, as the bench and most playbooks write them. */
const objects = (image = 'nginx:1'): KubeObject[] => [
  ns('demo'),
  ...[0, 1, 2, 3].map((i) => cm(`cm-${i}`, 'demo', { i: String(i) })),
  ...[0, 1, 2].map((i) => deployment(`d-${i}`, image)),
];
const tasks = (objs: KubeObject[]) => objs.map((o) => k8s.apply(`${o.kind}-${o.metadata.name}`, { manifest: o }));

const isDryRun = (r: KubeRequest): boolean => r.method === 'PATCH' && r.query?.dryRun === 'All';
const reads = (rs: KubeRequest[]): string[] => rs.filter((r) => r.method === 'GET' && /namespaces|\/namespaces\//.test(r.path)).map((r) => r.path);

async function converged(): Promise<FakeCluster> {
  const fake = new FakeCluster();
  fake.fieldSets = true;
  const first = await runTasks(tasks(objects()), { memo: fake.memo() });
  expect(first.errors).toEqual([]);
  expect(first.keys).toHaveLength(8);
  fake.requests.length = 0;
  return fake;
}

/** The Namespace and the first object of each group read alone, then one list per group. */
const GROUP_READS = [
  '/api/v1/namespaces/demo',
  '/api/v1/namespaces/demo/configmaps',
  '/api/v1/namespaces/demo/configmaps/cm-0',
  '/apis/apps/v1/namespaces/demo/deployments',
  '/apis/apps/v1/namespaces/demo/deployments/d-0',
];

describe('live objects: a no-op re-run reads each kind once per namespace and asks for no dry run', () => {
  for (const mode of ['apply', 'check'] as const) {
    it(`second run plans nothing (${mode})`, async () => {
      const fake = await converged();
      const again = await runTasks(tasks(objects()), { mode, memo: fake.memo() });
      expect(again.keys).toEqual([]);
      expect(again.reasons).toHaveLength(8);
      expect(fake.requests.filter(isDryRun)).toEqual([]);
      // the Namespace and the first of each group read alone; then one list per group
      expect(reads(fake.requests).sort()).toEqual(GROUP_READS);
    });
  }

  it('a first run that creates everything reads each group once too: its own applies keep the reads valid', async () => {
    const fake = new FakeCluster();
    fake.fieldSets = true;
    const first = await runTasks(tasks(objects()), { memo: fake.memo() });
    expect(first.keys).toHaveLength(8);
    expect(reads(fake.requests).sort()).toEqual(GROUP_READS);
  });

  it('a changed manifest is planned by the dry run, and only that object', async () => {
    const fake = await converged();
    const changed = objects();
    changed[5] = deployment('d-0', 'nginx:2');
    const check = await runTasks(tasks(changed), { mode: 'check', memo: fake.memo() });
    expect(check.keys).toEqual(['update k8s:apps/v1/Deployment/demo/d-0']);
    expect(fake.requests.filter(isDryRun).map((r) => r.path)).toEqual([
      '/apis/apps/v1/namespaces/demo/deployments/d-0',
      '/apis/apps/v1/namespaces/demo/deployments/d-0',
    ]);
    const apply = await runTasks(tasks(changed), { memo: fake.memo() });
    expect(apply.keys).toEqual(check.keys);
    expect((await runTasks(tasks(changed), { memo: fake.memo() })).keys).toEqual([]);
  });

  it('a value changed on the server since helix applied it is seen', async () => {
    const fake = await converged();
    fake.get('k8s:v1/ConfigMap/demo/cm-2')!.data = { i: 'edited' };
    expect((await runTasks(tasks(objects()), { mode: 'check', memo: fake.memo() })).keys).toEqual(['update k8s:v1/ConfigMap/demo/cm-2']);
  });

  it('what an earlier task of the run changed is read again, not taken from the list', async () => {
    const fake = await converged();
    // another module's task changes cm-3 behind the k8s module's back (a command, a Helm release)
    const edit = defineTask<void>({
      kind: 'test.edit',
      name: 'edit-cm-3',
      plan: async () => ({
        changes: [{ target: 'test:cm-3', action: 'update' }],
        apply: async () => void (fake.get('k8s:v1/ConfigMap/demo/cm-3')!.data = { i: 'edited' }),
      }),
    });
    const all = tasks(objects());
    const run = await runTasks([...all.slice(0, 2), edit, ...all.slice(2)], { memo: fake.memo() });
    expect(run.keys).toEqual(['update k8s:v1/ConfigMap/demo/cm-3', 'update test:cm-3']);
    expect(fake.get('k8s:v1/ConfigMap/demo/cm-3')!.data).toEqual({ i: '3' });
  });
});

describe('live objects handed to tasks are copies: a playbook that mutates one does not corrupt a later plan', () => {
  /** A task that edits, in its plan, the objects an earlier task returned (as careless playbook code would). */
  const mutate = (source: ReturnType<typeof k8s.apply>) =>
    defineTask<void>({
      kind: 'test.mutate',
      name: 'mutate',
      plan: async (ctx) => {
        for (const o of ctx.result(source)) {
          (o as { data?: Record<string, string> }).data = { i: 'mutated' };
          o.metadata.labels = { mutated: 'yes' };
        }
        return { changes: [], reason: 'mutated the result', result: undefined };
      },
    });
  const again = (name: string, obj: KubeObject) => k8s.apply(name, { manifest: obj });

  for (const converge of [true, false]) {
    it(converge ? 'a read reused from the cache (the object was already there)' : "the server's answer kept after a create", async () => {
      const fake = converge ? await converged() : new FakeCluster([ns('demo')]);
      fake.fieldSets = true;
      const first = k8s.apply('cm-0', { manifest: cm('cm-0', 'demo', { i: '0' }) });
      const out = await runTasks([first, mutate(first), again('cm-0-again', cm('cm-0', 'demo', { i: '0' }))], { memo: fake.memo() });
      expect(out.errors).toEqual([]);
      expect(out.keys).toEqual(converge ? [] : ['create k8s:v1/ConfigMap/demo/cm-0']);
      expect(out.reasons.at(-1)).toMatch(/already matches/);
      expect(fake.get('k8s:v1/ConfigMap/demo/cm-0')!.data).toEqual({ i: '0' });
    });
  }
});

describe('LiveObjects', () => {
  it('reuses a read only within one generation and for a bounded time', async () => {
    const fake = new FakeCluster([ns('demo'), cm('a', 'demo', { x: '1' }), cm('b', 'demo', { x: '2' })]);
    let now = 0;
    const live = new LiveObjects(fake.client(), () => now);
    const a = { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: 'demo' };
    const b = { ...a, name: 'b' };
    await live.get(a, 0);
    await live.get(b, 0);
    await live.get(a, 0);
    expect(live.requests).toBe(2); // a alone, then the list
    await live.get(a, 1);
    expect(live.requests).toBe(3); // a new generation reads again
    now += LIVE_MAX_AGE_MS + 1;
    expect((await live.get(b, 1))?.data).toEqual({ x: '2' });
    expect(live.requests).toBe(4);
    expect(await live.get({ ...a, name: 'gone' }, 1)).toBeUndefined(); // from the list: absent
    expect(live.requests).toBe(5);
    await live.get(a, undefined);
    await live.get(a, undefined);
    expect(live.requests).toBe(7); // no generation: always fresh
  });
});
