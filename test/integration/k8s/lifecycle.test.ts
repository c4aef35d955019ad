import { afterAll, describe, expect, it } from 'vitest';
import * as k8s from '../../../src/modules/k8s/index.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { runTasks } from '../../unit/k8s/run.ts';
import { cleanup, configMap, deployment, hasKubernetes, kubeEnv, namespace, sandboxClient, unique } from './helpers.ts';

const namespaces: string[] = [];
const crds: string[] = [];

describe.skipIf(!hasKubernetes())('k8s wait, delete and CRDs against the sandbox API server', () => {
  const client = sandboxClient();
  afterAll(async () => {
    await cleanup(client, namespaces);
    for (const name of crds) await client.delete({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name }).catch(() => {});
  });

  it('waits for a 2-replica Deployment to roll out (kwok makes its pods ready), as a wait task and as apply wait', async () => {
    const ns = unique('helix-it-rollout');
    namespaces.push(ns);
    const env = kubeEnv();
    const out = await runTasks(
      [
        k8s.apply('ns', { manifest: namespace(ns) }),
        k8s.apply('web', { manifest: deployment(ns, 'web', 2) }),
        k8s.wait('web-ready', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web', for: 'rollout', timeoutMs: 120_000 }),
      ],
      { env },
    );
    expect(out.errors).toEqual([]);
    expect(out.reasons).toEqual([`Deployment ${ns}/web: 2 of 2 replicas updated and available`]);
    const live = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    expect(live?.status.availableReplicas).toBe(2);

    const rolled = await runTasks([k8s.apply('web', { manifest: deployment(ns, 'web', 2, 'registry.invalid/helix/web:2'), wait: { timeoutMs: 120_000 } })], {
      env,
    });
    expect(rolled.errors).toEqual([]);
    expect(rolled.keys).toEqual([`update k8s:apps/v1/Deployment/${ns}/web`]);
    const after = await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' });
    expect(after?.status.updatedReplicas).toBe(2);
    expect(after?.status.observedGeneration).toBe(after?.metadata.generation);
  });

  it('a wait that cannot be met fails at its timeout with what it last saw', async () => {
    const ns = unique('helix-it-timeout');
    namespaces.push(ns);
    const env = kubeEnv();
    const out = await runTasks(
      [
        k8s.apply('ns', { manifest: namespace(ns) }),
        k8s.apply('c', { manifest: configMap(ns, 'c', { phase: 'starting' }) }),
        k8s.wait('c-ready', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          namespace: ns,
          name: 'c',
          for: { jsonPath: '.data.phase', equals: 'ready' },
          timeoutMs: 2_000,
        }),
      ],
      { env },
    );
    expect(out.errors).toEqual([
      `k8s:v1/ConfigMap/${ns}/c: timed out after 2 s waiting for ConfigMap ${ns}/c to have .data.phase = "ready"; last seen: .data.phase is "starting"`,
    ]);
  });

  it('deletes a Deployment in the foreground and waits until it is gone; then plans nothing', async () => {
    const ns = unique('helix-it-delete');
    namespaces.push(ns);
    const env = kubeEnv();
    await runTasks([k8s.apply('ns', { manifest: namespace(ns) }), k8s.apply('web', { manifest: deployment(ns, 'web', 2), wait: { timeoutMs: 120_000 } })], {
      env,
    });
    const ref = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' };

    const check = await runTasks([k8s.delete('rm', ref)], { mode: 'check', env });
    expect(check.keys).toEqual([`delete k8s:apps/v1/Deployment/${ns}/web`]);
    expect(await client.get(ref)).toBeDefined();

    const out = await runTasks([k8s.delete('rm', { ...ref, timeoutMs: 120_000 })], { env });
    expect(out.errors).toEqual([]);
    expect(out.keys).toEqual(check.keys);
    expect(await client.get(ref)).toBeUndefined();
    expect(await client.list('apps/v1', 'ReplicaSet', { namespace: ns })).toEqual([]);

    const again = await runTasks([k8s.delete('rm', ref)], { env });
    expect(again.keys).toEqual([]);
    expect(again.reasons).toEqual([`Deployment ${ns}/web is already absent`]);
  });

  it('applies a CRD and a resource of it in the same run; check predicts it; the second run plans nothing', async () => {
    const ns = unique('helix-it-crd');
    namespaces.push(ns);
    const id = unique('w').slice(2);
    const plural = `widget${id}s`;
    const group = 'it.helix.dev';
    const kind = `Widget${id.toUpperCase()}`;
    crds.push(`${plural}.${group}`);
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind, plural, singular: `widget${id}`, listKind: `${kind}List` },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
          },
        ],
      },
    };
    const cr: KubeObject = { apiVersion: `${group}/v1`, kind, metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } };
    const tasks = () => [k8s.apply('ns', { manifest: namespace(ns) }), k8s.apply('crd', { manifest: crd }), k8s.apply('widget', { manifest: cr })];
    const env = kubeEnv();

    const check = await runTasks(tasks(), { mode: 'check', env });
    expect(check.errors).toEqual([]);
    const real = await runTasks(tasks(), { env });
    expect(real.errors).toEqual([]);
    expect(new Set(real.keys)).toEqual(new Set(check.keys));
    expect(real.keys).toContain(`create k8s:${group}/v1/${kind}/${ns}/w1`);
    expect((await client.get({ apiVersion: `${group}/v1`, kind, namespace: ns, name: 'w1' }))?.spec).toEqual({ size: 3 });

    const again = await runTasks(tasks(), { env });
    expect(again.keys).toEqual([]);

    // The CRD's schema is enforced in preflight too: an unknown field is rejected (strict validation).
    const bad = await runTasks([k8s.apply('widget', { manifest: { ...cr, spec: { size: 3, colour: 'red' } } })], { env });
    expect(bad.problems[0]?.message).toMatch(/rejected by the API server: .*colour/);
  });
});
