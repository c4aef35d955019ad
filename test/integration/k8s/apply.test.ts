import { afterAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import * as k8s from '../../../src/modules/k8s/index.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { changesOf, runTasks } from '../../unit/k8s/run.ts';
import { cleanup, configMap, deployment, hasKubernetes, kubeEnv, namespace, sandboxClient, unique } from './helpers.ts';

const namespaces: string[] = [];

describe.skipIf(!hasKubernetes())('k8s.apply against the sandbox API server', () => {
  const client = sandboxClient();
  afterAll(() => cleanup(client, namespaces));

  it('check predicts exactly, the first apply creates, the second plans nothing', async () => {
    const ns = unique('helix-it-apply');
    namespaces.push(ns);
    const password = new Secret(`pw-${unique('x')}-value`);
    const tasks = () => [
      k8s.apply('namespace', { manifest: namespace(ns) }),
      k8s.apply('objects', {
        manifests: [
          deployment(ns, 'web', 1),
          configMap(ns, 'settings', { mode: 'fast' }),
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'creds', namespace: ns }, stringData: { password } },
          { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
        ],
      }),
    ];
    const env = kubeEnv();

    const check = await runTasks(tasks(), { mode: 'check', env });
    expect(check.problems).toEqual([]);
    expect(check.errors).toEqual([]);
    expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })).toBeUndefined();

    const first = await runTasks(tasks(), { env });
    expect(first.errors).toEqual([]);
    expect(new Set(first.keys)).toEqual(new Set(check.keys));
    expect(first.keys).toEqual([
      `create k8s:apps/v1/Deployment/${ns}/web`,
      `create k8s:v1/ConfigMap/${ns}/settings`,
      `create k8s:v1/Namespace/_/${ns}`,
      `create k8s:v1/Secret/${ns}/creds`,
      `create k8s:v1/Service/${ns}/web`,
    ]);
    const live = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'creds' });
    expect(Buffer.from(live?.data.password, 'base64').toString()).toBe(password.reveal());

    const second = await runTasks(tasks(), { env });
    expect(second.errors).toEqual([]);
    expect(second.keys).toEqual([]);
    const checkAfter = await runTasks(tasks(), { mode: 'check', env });
    expect(checkAfter.keys).toEqual([]);

    const text = JSON.stringify([check.events, first.events, second.events]);
    expect(text).not.toContain(password.reveal());
    expect(text).not.toContain(Buffer.from(password.reveal()).toString('base64'));
  });

  it('an update is planned by the server dry run and names the changed paths; a Secret diff names keys only', async () => {
    const ns = unique('helix-it-update');
    namespaces.push(ns);
    const env = kubeEnv();
    const secret = (values: Record<string, Secret>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: ns },
      stringData: values as unknown as Record<string, string>,
    });
    const one = new Secret(unique('first-secret'));
    await runTasks([k8s.apply('ns', { manifest: namespace(ns) }), k8s.apply('o', { manifests: [configMap(ns, 'c', { a: '1' }), secret({ one })] })], { env });

    const two = new Secret(unique('second-secret'));
    const check = await runTasks([k8s.apply('o', { manifests: [configMap(ns, 'c', { a: '2' }), secret({ one, two })] })], { mode: 'check', env });
    const byTarget = Object.fromEntries(changesOf(check).map((c) => [c.target, c]));
    expect(byTarget[`k8s:v1/ConfigMap/${ns}/c`]?.summary).toBe('data.a');
    expect(byTarget[`k8s:v1/ConfigMap/${ns}/c`]?.diff).toMatchObject({ before: expect.stringContaining('a: "1"'), after: expect.stringContaining('a: "2"') });
    const s = byTarget[`k8s:v1/Secret/${ns}/s`];
    expect(s?.summary).toBe('data keys added: two');
    expect(s?.diff?.after).toContain('two: "********"');
    const text = JSON.stringify(check.events);
    for (const v of [one.reveal(), two.reveal()]) {
      expect(text).not.toContain(v);
      expect(text).not.toContain(Buffer.from(v).toString('base64'));
    }
  });

  it('rejects an invalid manifest in preflight by the real API schema and changes nothing', async () => {
    const ns = unique('helix-it-invalid');
    namespaces.push(ns);
    const env = kubeEnv();
    await runTasks([k8s.apply('ns', { manifest: namespace(ns) }), k8s.apply('c', { manifest: configMap(ns, 'c', { a: '1' }) })], { env });
    const before = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'c' });

    const bad = { ...deployment(ns, 'bad', 1), spec: { ...deployment(ns, 'bad', 1).spec, replicas: 'two', replicaz: 3 } };
    const unknownField = { ...configMap(ns, 'typo', { a: '1' }), dataa: { b: '2' } };
    // Invalid only by the server's validation (not its schema), in a namespace not created yet.
    const later = unique('helix-it-later');
    const policy = deployment(later, 'policy', 1);
    policy.spec.template.spec.containers[0].imagePullPolicy = 'Sometimes';
    const out = await runTasks(
      [
        k8s.apply('c', { manifest: configMap(ns, 'c', { a: 'changed' }) }),
        k8s.apply('bad', { manifest: bad }),
        k8s.apply('typo', { manifest: unknownField }),
        k8s.apply('later-ns', { manifest: namespace(later) }),
        k8s.apply('policy', { manifest: policy }),
      ],
      { env },
    );
    // Preflight checks run in parallel: problems come in any order.
    const problems = [...out.problems].sort(
      (a, b) => ['t/pb/bad', 't/pb/typo', 't/pb/policy'].indexOf(a.path) - ['t/pb/bad', 't/pb/typo', 't/pb/policy'].indexOf(b.path),
    );
    expect(problems.map((p) => p.path)).toEqual(['t/pb/bad', 't/pb/typo', 't/pb/policy']);
    expect(problems[0]?.message).toMatch(/^Deployment .*\/bad rejected by the API server: .*spec\.replica/);
    expect(problems[1]?.message).toMatch(/^ConfigMap .*\/typo rejected by the API server: .*dataa/);
    expect(problems[2]?.message).toMatch(/^Deployment .*\/policy rejected by the API server: .*imagePullPolicy: Unsupported value: "Sometimes"/);
    expect(await client.get({ apiVersion: 'v1', kind: 'Namespace', name: later })).toBeUndefined();
    expect(out.events.filter((e) => e.type === 'task.start')).toEqual([]);
    const after = await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'c' });
    expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
    expect(await client.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'bad' })).toBeUndefined();
  });

  it('reports a field owned by another manager, and takes it over with force', async () => {
    const ns = unique('helix-it-conflict');
    namespaces.push(ns);
    const env = kubeEnv();
    await runTasks([k8s.apply('ns', { manifest: namespace(ns) })], { env });
    // Another field manager owns data.a.
    await sandboxClient('someone-else').apply(configMap(ns, 'c', { a: 'theirs' }));
    const out = await runTasks([k8s.apply('c', { manifest: configMap(ns, 'c', { a: 'mine' }) })], { env });
    expect(out.errors[0]).toMatch(/conflicts with fields owned by other field managers .*someone-else.*set force: true/);
    const forced = await runTasks([k8s.apply('c', { manifest: configMap(ns, 'c', { a: 'mine' }), force: true })], { env });
    expect(forced.keys).toEqual([`update k8s:v1/ConfigMap/${ns}/c`]);
    expect((await client.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name: 'c' }))?.data).toEqual({ a: 'mine' });
  });
});
