import { afterAll, describe, expect, it } from 'vitest';
import { hasKubernetes, sandboxClient } from '../k8s/helpers.ts';
import { changedKeys, dropNamespaces, helix, journal, kube, playArgs, recapOf, resourceVersions, settledResourceVersions, uniqueNs } from './helpers.ts';

/**
 * Issue 9, `--prune`: objects helix applied for the component that its playbooks no longer
 * declare are deleted (planned as deletes by --check), and nothing helix did not create is
 * touched: not an unlabelled object, not one carrying helix's labels that another manager
 * applied, not helix's objects of another environment.
 */
const ENV = 'prune';
const NS = uniqueNs('helix-safety-prune');
const OWNED = { 'app.kubernetes.io/managed-by': 'helix', 'helix.dev/component': 'safety', 'helix.dev/env': ENV };

/** No pods needed to test pruning: the Deployment rolls out at once (the shared nodes may be full). */
const prune = (...more: string[]): string[] => playArgs(ENV, NS, '--set', 'web.replicas=0', ...more);

const configMap = (name: string, labels: Record<string, string>) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS, labels },
  data: { who: name },
});

describe.skipIf(!hasKubernetes())('play --prune', () => {
  afterAll(() => dropNamespaces([NS]));

  it('removes what the playbooks stopped declaring, and only that', async () => {
    const withLegacy = await helix(prune('--set', 'legacy=true'));
    expect(withLegacy.code, withLegacy.stderr).toBe(0);
    expect(changedKeys(withLegacy.events)).toContain(`create k8s:v1/ConfigMap/${NS}/safety-legacy`);
    for (const [apiVersion, kind, name, namespace] of [
      ['v1', 'Namespace', NS, undefined],
      ['v1', 'ConfigMap', 'safety-legacy', NS],
      ['v1', 'Secret', 'safety-db', NS],
      ['apps/v1', 'Deployment', 'safety-web', NS],
    ] as const) {
      const o = await kube().get({ apiVersion, kind, name, ...(namespace ? { namespace } : {}) });
      expect(o?.metadata.labels, `${kind} ${name}`).toMatchObject(OWNED);
    }

    // Objects helix did not create (or not for this environment).
    await sandboxClient('someone-else').apply(configMap('hand-made', {}));
    await sandboxClient('someone-else').apply(configMap('lookalike', OWNED));
    await sandboxClient().apply(configMap('other-env', { ...OWNED, 'helix.dev/env': 'elsewhere' }));

    // Without --prune, an object no longer declared stays.
    const plain = await helix(prune());
    expect(plain.code).toBe(0);
    expect(recapOf(plain.events)?.changed).toBe(0);
    expect(await kube().get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'safety-legacy' })).toBeDefined();

    // --check --prune plans the delete and makes none.
    const before = await settledResourceVersions([NS]);
    const check = await helix(prune('--check', '--prune'));
    expect(check.code, check.stderr).toBe(0);
    expect(check.events.find((e) => e.type === 'run.start')).toMatchObject({ playbooks: ['10_namespace', '20_config', '30_secrets', '40_web', 'prune'] });
    expect(changedKeys(check.events)).toEqual([`delete k8s:v1/ConfigMap/${NS}/safety-legacy`]);
    expect(check.events.find((e) => e.type === 'task.changed')).toMatchObject({ path: 'safety/prune/k8s', applied: false });
    expect(await resourceVersions([NS])).toEqual(before);

    // The real run makes exactly that change, journals it, and warns about the lookalike.
    const pruned = await helix(prune('--prune'));
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(changedKeys(pruned.events)).toEqual(changedKeys(check.events));
    const warnings = pruned.events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.message] : []));
    expect(warnings).toContainEqual(`ConfigMap ${NS}/lookalike carries helix's labels but helix never applied it: left alone`);
    expect(await kube().get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'safety-legacy' })).toBeUndefined();
    const after = await resourceVersions([NS]);
    const { [`ConfigMap/${NS}/safety-legacy`]: gone, ...rest } = before;
    expect(gone).toBeDefined();
    expect(after).toEqual(rest);
    for (const name of ['hand-made', 'lookalike', 'other-env']) {
      expect(await kube().get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name }), name).toBeDefined();
    }
    const last = (await journal(ENV)).records.at(-1)!;
    expect(last.changes).toEqual([
      {
        path: 'safety/prune/k8s',
        host: 'localhost',
        action: 'delete',
        target: `k8s:v1/ConfigMap/${NS}/safety-legacy`,
        summary: 'no longer declared by the playbooks',
      },
    ]);

    // Second run plans nothing.
    const again = await helix(prune('--prune'));
    expect(again.code).toBe(0);
    expect(changedKeys(again.events)).toEqual([]);
    expect(again.events.find((e) => e.type === 'task.ok' && e.path === 'safety/prune/k8s')).toMatchObject({
      reason: `every object helix applied for safety in ${ENV} is still declared`,
    });
  });

  it('a play that fails prunes nothing', async () => {
    const legacy = await helix(prune('--set', 'legacy=true'));
    expect(legacy.code).toBe(0);
    // Another field manager takes a field of safety-flags over: helix's apply of it now fails.
    await sandboxClient('someone-else').apply(
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'safety-flags', namespace: NS }, data: { FEATURE_A: 'taken' } },
      { force: true },
    );
    const failing = await helix(prune('--prune'));
    expect(failing.code).toBe(1);
    expect(failing.events.find((e) => e.type === 'task.failed')).toMatchObject({ path: 'safety/20_config/flags' });
    expect(failing.events.some((e) => e.type === 'task.start' && e.path.startsWith('safety/prune'))).toBe(false);
    expect(await kube().get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: NS, name: 'safety-legacy' })).toBeDefined();
  });
});
