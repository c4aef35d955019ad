import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { helmCli, installHelm, readRelease, release, uninstall } from '../../../src/modules/helm/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import type { TaskContext } from '../../../src/runtime/task.ts';
import { hasKubernetes, kubeEnv } from '../k8s/helpers.ts';

const chart = fileURLToPath(new URL('../../fixtures/charts/helix-demo', import.meta.url));

function ctx(): TaskContext {
  const memo = new Map<string, unknown>();
  return {
    path: 'it/helm',
    env: { name: 'sandbox', vars: {}, hosts: {}, groups: {}, provenance: {}, inventoryDir: '/', kubernetes: kubeEnv().kubernetes },
    host: { name: 'localhost', local: true, vars: {} },
    signal: new AbortController().signal,
    result: () => {
      throw new Error('unused');
    },
    memo: <T>(k: string, make: () => T) => {
      if (!memo.has(k)) memo.set(k, make());
      return memo.get(k) as T;
    },
    plannedCreate: () => false,
    log: () => {},
  };
}

describe.runIf(hasKubernetes())('helm.release on the sandbox (local fixture chart)', () => {
  beforeAll(async () => {
    await installHelm();
  }, 1_200_000);

  it('installs, plans nothing on a second run, upgrades on a changed value, uninstalls', async () => {
    const ns = `helm-it-${Date.now().toString(36)}`;
    const opts = { chart, namespace: ns, createNamespace: true, values: { greeting: 'hello', password: new Secret('helm-it-password-1') } };
    const task = release('demo', opts);
    const first = await task.plan(ctx());
    expect(first.changes.map((c) => `${c.action} ${c.target}`)).toEqual([`create helm:${ns}/demo`]);
    const result = 'apply' in first ? await first.apply() : undefined;
    expect(result).toMatchObject({ name: 'demo', namespace: ns, revision: 1, status: 'deployed', chart: 'helix-demo-0.1.0' });

    const second = await task.plan(ctx());
    expect(second.changes).toEqual([]);

    const changed = await release('demo', { ...opts, values: { ...opts.values, greeting: 'bye' } }).plan(ctx());
    expect(changed.changes[0]!.summary).toMatch(/values changed: greeting; objects: ~ConfigMap\/.*\/demo-config/);
    if ('apply' in changed) await changed.apply();
    expect((await readRelease(helmCli(kubeEnv().kubernetes), 'demo', ns))?.revision).toBe(2);

    const rm = uninstall('demo', { namespace: ns });
    const plan = await rm.plan(ctx());
    if ('apply' in plan) await plan.apply();
    expect((await rm.plan(ctx())).changes).toEqual([]);
  });
});
