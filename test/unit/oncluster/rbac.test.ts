import { describe, expect, it } from 'vitest';
import * as k8s from '../../../src/modules/k8s/index.ts';
import { deriveRbac, describeRules, type Resolve, type TaskAccess, withStateRules } from '../../../src/oncluster/rbac.ts';

/** Discovery at the IO seam: the kinds the fixtures use, as a real API server serves them. */
const KINDS: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'example.com/v1/Widget': { plural: 'widgets', namespaced: true },
};
const resolve: Resolve = async (apiVersion, kind) => KINDS[`${apiVersion}/${kind}`];

/** The tasks' access, as the runtime collects it from placed tasks. */
function tasks(...list: [string, k8s.KubeObject | { kubeAccess?: () => unknown }][]): TaskAccess[] {
  return list.map(([path, t]) => ({ path, access: (t as { kubeAccess?: () => TaskAccess['access'] }).kubeAccess?.() ?? [] }));
}

const ns = (name: string) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const cm = (namespace: string, name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: 'b' } });

const APPLY = ['get', 'list', 'watch', 'create', 'patch', 'update'];

describe('deriveRbac: the runner may do what the playbooks do, and no more', () => {
  const cases: { name: string; steps: TaskAccess[]; namespaced: Record<string, string[]>; cluster: string[] }[] = [
    {
      name: 'a namespace and a ConfigMap in it: a Role there, the namespace by name',
      steps: tasks(['c/10/ns', k8s.apply('ns', { manifest: ns('team') })], ['c/20/cm', k8s.apply('cm', { manifest: cm('team', 'greeting') })]),
      namespaced: { team: [`configmaps: ${APPLY.join(', ')}`] },
      cluster: ['namespaces [team]: get, create, patch, update'],
    },
    {
      name: 'the task namespace option places a namespaced kind',
      steps: tasks(['c/10/cm', k8s.apply('cm', { namespace: 'team', manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, data: {} } })]),
      namespaced: { team: [`configmaps: ${APPLY.join(', ')}`] },
      cluster: [],
    },
    {
      name: 'rollback verbs join the play verbs of the same kind',
      steps: tasks(
        ['c/20/cm', k8s.apply('cm', { manifest: cm('team', 'greeting') })],
        ['c/89/cm', k8s.delete('cm', { apiVersion: 'v1', kind: 'ConfigMap', name: 'greeting', namespace: 'team' })],
        ['c/89/ns', k8s.delete('ns', { apiVersion: 'v1', kind: 'Namespace', name: 'team' })],
      ),
      namespaced: { team: [`configmaps: ${[...APPLY, 'delete'].join(', ')}`] },
      cluster: ['namespaces [team]: get, delete'],
    },
    {
      name: 'each namespace gets its own Role; kinds of other API groups keep their group',
      steps: tasks(
        [
          'c/10/objs',
          k8s.apply('objs', {
            manifests: [
              cm('a', 'one'),
              { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'b' }, spec: {} },
              { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'b' }, spec: {} },
            ],
          }),
        ],
        ['c/88/wait', k8s.wait('ready', { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'b', for: 'rollout' })],
      ),
      namespaced: {
        a: [`configmaps: ${APPLY.join(', ')}`],
        b: [`deployments.apps: ${APPLY.join(', ')}`, `widgets.example.com: ${APPLY.join(', ')}`],
      },
      cluster: [],
    },
    {
      name: 'reads: get and list tasks grant reads only; a list in every namespace is cluster-wide',
      steps: tasks(
        ['c/10/get', k8s.get('s', { apiVersion: 'v1', kind: 'Secret', name: 'creds', namespace: 'team' })],
        ['c/10/list', k8s.list('all', { apiVersion: 'v1', kind: 'ConfigMap' })],
      ),
      namespaced: { team: ['secrets: get, list, watch'] },
      cluster: ['configmaps: get, list, watch'],
    },
    {
      name: 'a second run of the derivation over no tasks grants nothing',
      steps: [],
      namespaced: {},
      cluster: [],
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const { rbac, problems } = await deriveRbac(c.steps, resolve);
      expect(problems).toEqual([]);
      expect(Object.fromEntries(Object.entries(rbac.namespaced).map(([k, rules]) => [k, describeRules(rules)]))).toEqual(c.namespaced);
      expect(describeRules(rbac.cluster)).toEqual(c.cluster);
    });
  }

  it('drops nothing: removing a kind from the playbooks removes exactly its rule', async () => {
    const full = await deriveRbac(tasks(['c/10/objs', k8s.apply('objs', { manifests: [cm('team', 'a'), ns('team')] })]), resolve);
    const without = await deriveRbac(tasks(['c/10/objs', k8s.apply('objs', { manifests: [ns('team')] })]), resolve);
    expect(describeRules(full.rbac.namespaced.team ?? [])).toEqual([`configmaps: ${APPLY.join(', ')}`]);
    expect(without.rbac.namespaced.team).toBeUndefined();
    expect(describeRules(without.rbac.cluster)).toEqual(describeRules(full.rbac.cluster));
  });

  it('names the namespaces the runner needs to exist before its Roles', async () => {
    const { rbac } = await deriveRbac(tasks(['c/20/cm', k8s.apply('cm', { manifests: [cm('b', 'x'), cm('a', 'y')] })]), resolve);
    expect(rbac.namespaces).toEqual(['a', 'b']);
  });

  it('reports every task it cannot derive from, at once, with its path', async () => {
    const { problems } = await deriveRbac(
      tasks(
        ['c/10/dynamic', k8s.apply('dynamic', { manifest: () => cm('team', 'x') })],
        ['c/20/unknown', k8s.apply('unknown', { manifest: { apiVersion: 'nope.example/v1', kind: 'Gadget', metadata: { name: 'g', namespace: 'x' } } })],
        ['c/30/ok', k8s.apply('ok', { manifest: cm('team', 'y') })],
      ),
      resolve,
    );
    expect(problems).toEqual([
      { path: 'c/10/dynamic', message: "cannot derive the in-cluster run's RBAC: its manifests are computed at run time" },
      { path: 'c/20/unknown', message: 'the API server does not serve kind Gadget in nope.example/v1: its RBAC cannot be derived' },
    ]);
  });

  it('adds what helix itself needs: its lock and run records in helix-system, and reading that namespace', async () => {
    const { rbac } = await deriveRbac([], resolve);
    const all = withStateRules(rbac);
    expect(describeRules(all.namespaced['helix-system'] ?? [])).toEqual([
      'leases.coordination.k8s.io: get, create, update, delete',
      'secrets: get, list, create, update, delete',
    ]);
    expect(describeRules(all.cluster)).toEqual(['namespaces [helix-system]: get']);
  });
});
