import { describe, expect, it } from 'vitest';
import * as k8s from '../../../src/modules/k8s/index.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { cm, FakeCluster, ns } from './fake-cluster.ts';
import { runTasks, validate } from './run.ts';

const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', name: 'c' };

describe('k8s.delete', () => {
  it('deletes, waits until gone, and the second run plans nothing', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('c', 'demo', {})]);
    const check = await runTasks([k8s.delete('rm', ref)], { mode: 'check', memo: cluster.memo() });
    expect(check.keys).toEqual(['delete k8s:v1/ConfigMap/demo/c']);
    expect(cluster.get('k8s:v1/ConfigMap/demo/c')).toBeDefined();
    const real = await runTasks([k8s.remove('rm', ref)], { memo: cluster.memo() });
    expect(real.keys).toEqual(check.keys);
    expect(cluster.get('k8s:v1/ConfigMap/demo/c')).toBeUndefined();
    expect(cluster.requests.find((r) => r.method === 'DELETE')?.body).toEqual({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
    const again = await runTasks([k8s.remove('rm', ref)], { memo: cluster.memo() });
    expect(again.keys).toEqual([]);
    expect(again.reasons).toEqual(['ConfigMap demo/c is already absent']);
  });

  it('waits for finalizers, and fails at the timeout with what it last saw', async () => {
    const held = { ...cm('c', 'demo', {}), metadata: { name: 'c', namespace: 'demo', finalizers: ['example.com/hold'] } };
    const cluster = new FakeCluster([ns('demo'), held]);
    let gets = 0;
    cluster.onGet = (_o, target) => {
      if (++gets === 4) cluster.objects.delete(target);
    };
    const ok = await runTasks([k8s.remove('rm', { ...ref, propagation: 'Background' })], { memo: cluster.memo() });
    expect(ok.errors).toEqual([]);
    expect(gets).toBe(4);

    cluster.put(held);
    cluster.onGet = undefined;
    const late = await runTasks([k8s.remove('rm', { ...ref, timeoutMs: 5_000 })], { memo: cluster.memo() });
    expect(late.errors).toEqual([
      'k8s:v1/ConfigMap/demo/c: timed out after 5 s waiting for ConfigMap demo/c to be deleted; last seen: still present (finalizers: example.com/hold)',
    ]);
  });

  it('deletes the objects of manifests in reverse dependency order', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('c', 'demo', {})]);
    const out = await runTasks([k8s.remove('rm', { manifests: [ns('demo'), cm('c', 'demo', {})], wait: false })], { memo: cluster.memo() });
    expect(out.keys).toEqual(['delete k8s:v1/ConfigMap/demo/c', 'delete k8s:v1/Namespace/_/demo']);
    expect(cluster.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)).toEqual([
      '/api/v1/namespaces/demo/configmaps/c',
      '/api/v1/namespaces/demo',
    ]);
  });

  it('deletes workloads Foreground and every other kind Background unless the task says otherwise', async () => {
    const workload = (apiVersion: string, kind: string): KubeObject => ({ apiVersion, kind, metadata: { name: 'w', namespace: 'demo' } });
    const rows: [KubeObject, string | undefined, string][] = [
      [workload('apps/v1', 'Deployment'), undefined, 'Foreground'],
      [workload('apps/v1', 'StatefulSet'), undefined, 'Foreground'],
      [workload('batch/v1', 'Job'), undefined, 'Foreground'],
      [workload('v1', 'Secret'), undefined, 'Background'],
      [workload('v1', 'PersistentVolumeClaim'), undefined, 'Background'],
      [workload('postgresql.cnpg.io/v1', 'Cluster'), undefined, 'Background'],
      [workload('example.com/v1', 'Deployment'), undefined, 'Background'],
      [ns('gone'), undefined, 'Background'],
      [workload('apps/v1', 'Deployment'), 'Orphan', 'Orphan'],
    ];
    for (const [obj, propagation, expected] of rows) {
      const cluster = new FakeCluster();
      cluster.kinds.set('apps/v1', [...(cluster.kinds.get('apps/v1') ?? []), { kind: 'StatefulSet', plural: 'statefulsets', namespaced: true }]);
      cluster.kinds.set('v1', [...(cluster.kinds.get('v1') ?? []), { kind: 'PersistentVolumeClaim', plural: 'persistentvolumeclaims', namespaced: true }]);
      cluster.kinds.set('postgresql.cnpg.io/v1', [{ kind: 'Cluster', plural: 'clusters', namespaced: true }]);
      cluster.kinds.set('example.com/v1', [{ kind: 'Deployment', plural: 'deployments', namespaced: true }]);
      cluster.put(ns('demo'));
      cluster.put(obj);
      const r = {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
      };
      const out = await runTasks([k8s.remove('rm', { ...r, ...(propagation ? { propagation: propagation as 'Orphan' } : {}) })], { memo: cluster.memo() });
      expect(out.errors).toEqual([]);
      expect([obj.kind, cluster.requests.find((q) => q.method === 'DELETE')?.body]).toEqual([
        obj.kind,
        { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: expected },
      ]);
      const again = await runTasks([k8s.remove('rm', r)], { memo: cluster.memo() });
      expect(again.keys).toEqual([]);
    }
  });

  it("deleting a Secret does not mark its values secret: its plain words stay readable in the run's output", async () => {
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'demo' },
      data: { username: Buffer.from('pg-admin-remove').toString('base64') },
    };
    const cluster = new FakeCluster([ns('demo'), secret, cm('c', 'demo', { user: 'pg-admin-remove' })]);
    const out = await runTasks(
      [k8s.remove('rm', { apiVersion: 'v1', kind: 'Secret', namespace: 'demo', name: 'db' }), k8s.remove('rm-cm', { ...ref, namespace: 'demo' })],
      { mode: 'check', memo: cluster.memo() },
    );
    expect(out.keys).toEqual(['delete k8s:v1/ConfigMap/demo/c', 'delete k8s:v1/Secret/demo/db']);
    const later = await runTasks([k8s.apply('cm', { manifest: cm('c', 'demo', { user: 'pg-admin-remove-2' }) })], { mode: 'check', memo: cluster.memo() });
    expect(JSON.stringify(later.events)).toContain('pg-admin-remove-2');
  });

  it('validates its options', () => {
    expect(validate(k8s.remove('rm', { ...ref, propagation: 'Sideways' as 'Orphan' }))).toEqual([
      'propagation must be Foreground, Background or Orphan (got "Sideways")',
    ]);
    expect(validate(k8s.remove('rm', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'x' }))).toEqual(['Deployment is namespaced: give namespace']);
  });
});

const deploy = (status: Record<string, unknown>, generation = 2): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'demo', generation },
  spec: { replicas: 2 },
  status,
});
const rolledOut = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, readyReplicas: 2 };

describe('readiness', () => {
  const table: [string, KubeObject, string, string][] = [
    ['rolled out', deploy(rolledOut), 'ready', '2 of 2 replicas updated and available'],
    ['spec not yet seen', deploy({ ...rolledOut, observedGeneration: 1 }), 'waiting', 'the controller has not seen the latest spec yet'],
    ['updating', deploy({ ...rolledOut, updatedReplicas: 1 }), 'waiting', '1 of 2 replicas updated'],
    ['old replicas terminating', deploy({ ...rolledOut, replicas: 3 }), 'waiting', '1 old replicas pending termination'],
    ['not yet available', deploy({ ...rolledOut, availableReplicas: 1 }), 'waiting', '1 of 2 updated replicas available'],
    [
      'deadline exceeded',
      deploy({
        ...rolledOut,
        updatedReplicas: 1,
        conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'took too long' }],
      }),
      'failed',
      'rollout exceeded its progress deadline: took too long',
    ],
    [
      'job complete',
      { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, status: { conditions: [{ type: 'Complete', status: 'True' }] } },
      'ready',
      'job complete',
    ],
    [
      'job failed',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
      },
      'failed',
      'job failed: BackoffLimitExceeded',
    ],
    [
      'statefulset partitioned rollout',
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 's', generation: 1 },
        spec: { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } },
        status: { observedGeneration: 1, readyReplicas: 3, updatedReplicas: 1 },
      },
      'ready',
      '1 replicas updated (partition 2)',
    ],
    [
      'daemonset',
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'd', generation: 1 },
        status: { observedGeneration: 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 1 },
      },
      'waiting',
      '1 of 2 updated pods available',
    ],
  ];
  for (const [name, obj, state, message] of table) {
    it(name, () => expect(k8s.readiness(obj)).toEqual({ state, message }));
  }
});

describe('k8s.wait', () => {
  it('plans no change, waits while reading, and says what it saw', async () => {
    const cluster = new FakeCluster([ns('demo'), deploy({ observedGeneration: 2, replicas: 2, updatedReplicas: 0, availableReplicas: 0 })]);
    let polls = 0;
    cluster.onGet = (o) => {
      if (o.kind === 'Deployment' && ++polls === 3) o.status = rolledOut;
    };
    const out = await runTasks([k8s.wait('ready', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', for: 'rollout' })], {
      memo: cluster.memo(),
    });
    expect(out.keys).toEqual([]);
    expect(out.reasons).toEqual(['Deployment demo/web: 2 of 2 replicas updated and available']);
  });

  it('times out with what it last saw', async () => {
    const cluster = new FakeCluster([ns('demo'), deploy({ observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 })]);
    const out = await runTasks(
      [k8s.wait('ready', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', for: 'rollout', timeoutMs: 30_000 })],
      { memo: cluster.memo() },
    );
    expect(out.errors).toEqual([
      'k8s:apps/v1/Deployment/demo/web: timed out after 30 s waiting for Deployment demo/web to roll out; last seen: 1 of 2 updated replicas available',
    ]);
  });

  it('waits for a condition, a field, a predicate', async () => {
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'demo' },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    const cluster = new FakeCluster([ns('demo'), pod]);
    cluster.kinds.get('v1')!.push({ kind: 'Pod', plural: 'pods', namespaced: true });
    const p = { apiVersion: 'v1', kind: 'Pod', namespace: 'demo', name: 'p' };
    const out = await runTasks(
      [
        k8s.wait('cond', { ...p, for: { condition: 'Ready' } }),
        k8s.wait('field', { ...p, for: { jsonPath: '{.status.phase}', equals: 'Running' } }),
        k8s.wait('pred', { ...p, for: { test: (o) => o.status.conditions.length === 1, description: 'one condition' } }),
      ],
      { memo: cluster.memo() },
    );
    expect(out.reasons).toEqual(['Pod demo/p: Ready is True', 'Pod demo/p: {.status.phase} is "Running"', 'Pod demo/p: one condition']);
  });

  it('in a check run, does not wait for an object an earlier task creates; later readers see it as unknown', async () => {
    const cluster = new FakeCluster([]);
    const w = k8s.wait('ready', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'demo', name: 'web', for: 'rollout' });
    const out = await runTasks([k8s.apply('ns', { manifest: ns('demo') }), k8s.apply('web', { manifest: { ...deploy({}), status: undefined } }), w], {
      mode: 'check',
      memo: cluster.memo(),
    });
    expect(out.errors).toEqual([]);
    expect(out.keys).toEqual(['create k8s:apps/v1/Deployment/demo/web', 'create k8s:v1/Namespace/_/demo']);
    expect(out.reasons).toEqual(['Deployment demo/web is created earlier in this run; a real run waits for it to roll out']);
  });

  it('validates what it waits for', () => {
    expect(validate(k8s.wait('w', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'd', name: 'c', for: 'rollout' }))).toEqual([
      "for: 'rollout' applies to Deployment, StatefulSet and DaemonSet, not ConfigMap",
    ]);
  });
});

describe('k8s.get and facts', () => {
  it('returns the object or undefined, planning no change', async () => {
    const cluster = new FakeCluster([ns('demo'), cm('c', 'demo', { a: '1' })]);
    const out = await runTasks([k8s.get('there', ref), k8s.get('absent', { ...ref, name: 'nope' })], { memo: cluster.memo() });
    expect(out.keys).toEqual([]);
    expect(out.reasons).toEqual(['ConfigMap demo/c exists', 'ConfigMap demo/nope does not exist']);
  });

  it('k8s.list returns the objects of a kind in a namespace, planning no change', async () => {
    const cluster = new FakeCluster([ns('demo'), ns('other'), cm('a', 'demo', {}), cm('b', 'demo', {}), cm('c', 'other', {})]);
    const out = await runTasks([k8s.list('cms', { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'demo', labelSelector: 'app=web' })], {
      memo: cluster.memo(),
    });
    expect(out.keys).toEqual([]);
    expect(out.reasons).toEqual(['2 ConfigMap in demo with app=web']);
    expect(cluster.requests.find((r) => r.method === 'GET' && r.path.includes('configmaps'))?.query).toMatchObject({ labelSelector: 'app=web' });
    expect(validate(k8s.list('bad', { apiVersion: '', kind: '' }))).toEqual(['apiVersion is required', 'kind is required']);
  });

  it('readObject and listObjects mask the values of a Secret they read', async () => {
    const value = 'read-back-secret-value';
    const secret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: 'demo' },
      data: { pw: Buffer.from(value).toString('base64') },
    };
    const cluster = new FakeCluster([ns('demo'), secret]);
    const client = cluster.client();
    const read = await k8s.readObject(client, { apiVersion: 'v1', kind: 'Secret', namespace: 'demo', name: 's' });
    expect(read?.data.pw).toBe(Buffer.from(value).toString('base64'));
    const { mask } = await import('../../../src/index.ts');
    expect(mask(`token ${value}`)).toBe('token ********');
    expect((await k8s.listObjects(client, 'v1', 'Secret', { namespace: 'demo' })).length).toBe(1);
  });
});
