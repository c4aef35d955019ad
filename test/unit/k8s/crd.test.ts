import { describe, expect, it } from 'vitest';
import * as k8s from '../../../src/modules/k8s/index.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { FakeCluster, ns } from './fake-cluster.ts';
import { runTasks } from './run.ts';

const crd: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
};
const widget: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w1', namespace: 'demo' }, spec: { size: 3 } };

/** A fake that serves a CRD's kind once it is stored, and marks it established. */
function crdAware(cluster: FakeCluster): FakeCluster {
  cluster.onWrite = (obj) => {
    if (obj.kind !== 'CustomResourceDefinition') return;
    cluster.kinds.set(`${obj.spec.group}/v1`, [{ kind: obj.spec.names.kind, plural: obj.spec.names.plural, namespaced: obj.spec.scope === 'Namespaced' }]);
    obj.status = { conditions: [{ type: 'Established', status: 'True' }] };
  };
  return cluster;
}

describe('CRDs and their custom resources in one run', () => {
  const layouts: [string, KubeObject[][]][] = [
    ['in one task (CR listed first, applied after its CRD)', [[widget, crd]]],
    ['in two tasks', [[crd], [widget]]],
  ];
  for (const [name, tasks] of layouts) {
    it(`${name}: check predicts, apply matches, second run plans nothing`, async () => {
      const cluster = crdAware(new FakeCluster([ns('demo')]));
      const make = () => tasks.map((manifests, i) => k8s.apply(`t${i}`, { manifests }));
      const check = await runTasks(make(), { mode: 'check', memo: cluster.memo() });
      expect(check.errors).toEqual([]);
      expect(check.keys).toEqual([
        'create k8s:apiextensions.k8s.io/v1/CustomResourceDefinition/_/widgets.example.com',
        'create k8s:example.com/v1/Widget/demo/w1',
      ]);
      expect(cluster.objects.size).toBe(1);

      const client = cluster.client();
      const real = await runTasks(make(), { mode: 'apply', memo: cluster.memo(client) });
      expect(real.errors).toEqual([]);
      expect(real.keys).toEqual(check.keys);
      expect(cluster.get('k8s:example.com/v1/Widget/demo/w1')?.spec).toEqual({ size: 3 });

      const again = await runTasks(make(), { mode: 'apply', memo: cluster.memo() });
      expect(again.keys).toEqual([]);
    });
  }

  it('a custom resource of an unknown kind fails clearly', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    const out = await runTasks([k8s.apply('w', { manifest: widget })], { mode: 'check', memo: cluster.memo() });
    expect(out.errors).toEqual([
      'k8s:example.com/v1/Widget/demo/w1: the API server does not serve kind Widget in example.com/v1 (is its CustomResourceDefinition installed?)',
    ]);
  });

  it('waits until the CRD is established before applying its resources', async () => {
    const cluster = new FakeCluster([ns('demo')]);
    let reads = 0;
    cluster.onWrite = (obj) => {
      if (obj.kind === 'CustomResourceDefinition') cluster.kinds.set('example.com/v1', [{ kind: 'Widget', plural: 'widgets', namespaced: true }]);
    };
    const established = cluster.transport;
    const transport: typeof established = async (req, signal) => {
      const res = await established(req, signal);
      if (req.method === 'GET' && req.path.endsWith('/widgets.example.com') && res.status === 200 && ++reads >= 3) {
        (res.body as KubeObject).status = { conditions: [{ type: 'Established', status: 'True' }] };
      }
      return res;
    };
    const client = new k8s.KubeClient(transport, { retry: { sleep: async () => {} } });
    const out = await runTasks([k8s.apply('all', { manifests: [crd, widget] })], { memo: { [k8s.CLIENT_KEY]: client } });
    expect(out.errors).toEqual([]);
    expect(reads).toBe(3);
  });
});
