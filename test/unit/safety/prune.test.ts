import { describe, expect, it } from 'vitest';
import * as k8s from '../../../src/modules/k8s/index.ts';
import { OWNERSHIP_LABELS, ownershipSelector, withOwnership } from '../../../src/modules/k8s/ownership.ts';
import { appliedByHelix, kindOfTarget, prune } from '../../../src/modules/k8s/prune.ts';
import { CLIENT_KEY } from '../../../src/modules/k8s/context.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import type { Transport } from '../../../src/modules/k8s/transport.ts';
import { FakeCluster, ns } from '../k8s/fake-cluster.ts';
import { runTasks } from '../k8s/run.ts';

const OWNED = { [OWNERSHIP_LABELS.managedBy]: 'helix', [OWNERSHIP_LABELS.component]: 'shop', [OWNERSHIP_LABELS.env]: 'prod' };
const BY_HELIX = [{ manager: 'helix', operation: 'Apply' }];
const BY_KUBECTL = [{ manager: 'kubectl-client-side-apply', operation: 'Update' }];

const obj = (
  apiVersion: string,
  kind: string,
  name: string,
  namespace: string | undefined,
  labels: Record<string, string>,
  managedFields = BY_HELIX,
): KubeObject => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), labels, managedFields },
  ...(kind === 'ConfigMap' ? { data: { k: name } } : {}),
});
const cmOf = (name: string, labels: Record<string, string> = OWNED, managedFields = BY_HELIX) => obj('v1', 'ConfigMap', name, 'shop', labels, managedFields);

/** The fake cluster's transport, with label selectors applied to lists (the fake ignores them). */
function selecting(cluster: FakeCluster): Transport {
  return async (req, signal) => {
    const res = await cluster.transport(req, signal);
    const selector = req.query?.labelSelector;
    if (req.method !== 'GET' || !selector || !Array.isArray((res.body as { items?: unknown }).items)) return res;
    const wanted = selector.split(',').map((kv) => kv.split('=') as [string, string]);
    const items = (res.body as { items: KubeObject[] }).items.filter((o) => wanted.every(([k, v]) => o.metadata.labels?.[k] === v));
    return { ...res, body: { items } };
  };
}

async function playWithPrune(cluster: FakeCluster, declared: string[], journalTargets: string[], mode: 'check' | 'apply' = 'apply') {
  const { KubeClient } = await import('../../../src/modules/k8s/client.ts');
  let now = 0;
  const client = new KubeClient(selecting(cluster), { server: 'fake', retry: { now: () => now, sleep: async (ms) => void (now += ms) } });
  const tasks = [
    ...declared.map((name) => k8s.apply(name, { manifest: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { k: name } } })),
    prune({ component: 'shop', env: 'prod', journalTargets }),
  ];
  return runTasks(tasks, { mode, memo: { [CLIENT_KEY]: client }, env: { name: 'prod', component: 'shop' } });
}

describe('ownership labels', () => {
  it('are added to what a component applies, keeping a manager the manifest names', () => {
    const m = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', labels: { app: 'a' } } };
    expect(withOwnership(m, { name: 'prod', component: 'shop' }).metadata.labels).toEqual({ ...OWNED, app: 'a' });
    const helm = { ...m, metadata: { name: 'a', labels: { [OWNERSHIP_LABELS.managedBy]: 'Helm', [OWNERSHIP_LABELS.component]: 'other' } } };
    expect(withOwnership(helm, { name: 'prod', component: 'shop' }).metadata.labels).toEqual({ ...OWNED, [OWNERSHIP_LABELS.managedBy]: 'Helm' });
  });

  it('are left out when the run is not for a component (module tests)', () => {
    const m = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } };
    expect(withOwnership(m, { name: 'test' })).toBe(m);
  });

  it('select by component, env and manager', () => {
    expect(ownershipSelector('shop', 'prod')).toBe('helix.dev/component=shop,helix.dev/env=prod,app.kubernetes.io/managed-by=helix');
  });

  it.each([
    ['k8s:apps/v1/Deployment/devpi/redis', { apiVersion: 'apps/v1', kind: 'Deployment' }],
    ['k8s:v1/Namespace/_/devpi', { apiVersion: 'v1', kind: 'Namespace' }],
    ['k8s:cert-manager.io/v1/Certificate/devpi/tls', { apiVersion: 'cert-manager.io/v1', kind: 'Certificate' }],
    ['file:localhost:/etc/x', undefined],
    ['k8s:v1/Namespace', undefined],
  ])('kind of target %s', (target, kind) => {
    expect(kindOfTarget(target)).toEqual(kind);
  });

  it('applied by helix means a server-side apply by the helix field manager', () => {
    expect(appliedByHelix(cmOf('a'))).toBe(true);
    expect(appliedByHelix(cmOf('a', OWNED, BY_KUBECTL))).toBe(false);
    expect(appliedByHelix(cmOf('a', OWNED, [{ manager: 'helix', operation: 'Update' }]))).toBe(false);
  });
});

describe('k8s prune task', () => {
  const table: { name: string; live: KubeObject[]; declared: string[]; journal?: string[]; deletes: string[]; warns?: RegExp[] }[] = [
    {
      name: 'deletes an object helix applied that is no longer declared',
      live: [cmOf('a'), cmOf('old')],
      declared: ['a'],
      deletes: ['delete k8s:v1/ConfigMap/shop/old'],
    },
    { name: 'never looks at objects without the labels', live: [cmOf('a'), cmOf('hand-made', {})], declared: ['a'], deletes: [] },
    {
      name: 'leaves other components and environments alone',
      live: [cmOf('a'), cmOf('theirs', { ...OWNED, [OWNERSHIP_LABELS.component]: 'cart' }), cmOf('staging', { ...OWNED, [OWNERSHIP_LABELS.env]: 'staging' })],
      declared: ['a'],
      deletes: [],
    },
    {
      name: 'leaves labelled objects helix never applied, and says so',
      live: [cmOf('a'), cmOf('copied', OWNED, BY_KUBECTL)],
      declared: ['a'],
      deletes: [],
      warns: [/ConfigMap shop\/copied carries helix's labels but helix never applied it/],
    },
    {
      name: 'looks at kinds only earlier runs applied (from the journal)',
      live: [cmOf('a'), obj('apps/v1', 'Deployment', 'gone-web', 'shop', OWNED)],
      declared: ['a'],
      journal: ['k8s:apps/v1/Deployment/shop/gone-web', 'file:localhost:/tmp/x'],
      deletes: ['delete k8s:apps/v1/Deployment/shop/gone-web'],
    },
    {
      name: 'never deletes a Namespace (it may hold what helix did not create), and says so',
      live: [cmOf('a'), obj('v1', 'Namespace', 'old-shop', undefined, OWNED)],
      declared: ['a'],
      journal: ['k8s:v1/Namespace/_/old-shop'],
      deletes: [],
      warns: [/Namespace old-shop is no longer declared; --prune does not delete a Namespace/],
    },
    {
      name: "never touches helix's own records in helix-system",
      live: [cmOf('a'), obj('v1', 'Secret', 'helix-run-shop-prod.v1', 'helix-system', OWNED)],
      declared: ['a'],
      journal: ['k8s:v1/Secret/shop/token'],
      deletes: [],
    },
    { name: 'second run plans nothing', live: [cmOf('a')], declared: ['a'], journal: ['k8s:v1/ConfigMap/shop/old'], deletes: [] },
  ];

  for (const row of table) {
    it(row.name, async () => {
      const cluster = new FakeCluster([ns('shop'), ns('helix-system'), ...row.live]);
      const before = new Set(cluster.objects.keys());
      const check = await playWithPrune(cluster, row.declared, row.journal ?? [], 'check');
      expect(check.errors).toEqual([]);
      expect(check.keys.filter((k) => k.startsWith('delete'))).toEqual(row.deletes);
      expect(new Set(cluster.objects.keys())).toEqual(before);
      const real = await playWithPrune(cluster, row.declared, row.journal ?? []);
      expect(real.errors).toEqual([]);
      expect(real.keys.filter((k) => k.startsWith('delete'))).toEqual(row.deletes);
      for (const d of row.deletes) expect(cluster.get(d.slice('delete '.length))).toBeUndefined();
      const warnings = real.events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.message] : []));
      for (const w of row.warns ?? []) expect(warnings).toContainEqual(expect.stringMatching(w));
      const again = await playWithPrune(cluster, row.declared, row.journal ?? []);
      expect(again.keys).toEqual([]);
    });
  }

  it('applies ownership labels on the objects it creates, so the next prune finds them', async () => {
    const cluster = new FakeCluster([ns('shop')]);
    await playWithPrune(cluster, ['a'], []);
    expect(cluster.get('k8s:v1/ConfigMap/shop/a')?.metadata.labels).toEqual(OWNED);
  });
});
