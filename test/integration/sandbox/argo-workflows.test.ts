import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ARGO_NAMESPACE, KANIKO } from '../../../src/sandbox/components/argo-workflows.ts';
import { REAL_NODE_TAINT } from '../../../src/sandbox/components/node.ts';
import { BUSYBOX, imageRef } from '../../../src/sandbox/images.ts';
import { NODE_NAME } from '../../../src/sandbox/versions.ts';
import { sandboxClient, unique } from '../k8s/helpers.ts';
import { eventually, sandbox } from './helpers.ts';

/**
 * Argo Workflows runs for real on the sandbox: the controller (a host process) takes a
 * Workflow, its pods run on the real node with the executor image the sandbox built, and the
 * phase it reports is what the containers did: a script that succeeds gives Succeeded (with
 * the output in the pod's log), one that exits 3 gives Failed naming the exit code.
 */
const kube = sandboxClient();
/** The namespace the sandbox's controller runs workflows of; every name here is this run's own. */
const ns = ARGO_NAMESPACE;
const runner = unique('runner');
const names = {
  good: unique('good'),
  bad: unique('bad'),
  build: unique('kaniko'),
  context: unique('context'),
  ca: unique('registry-ca'),
  run: unique('built'),
};

function workflow(name: string, script: string): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name, namespace: ns },
    spec: {
      entrypoint: 'main',
      serviceAccountName: runner,
      templates: [
        {
          name: 'main',
          steps: [[{ name: 'first', template: 'run' }], [{ name: 'second', template: 'run' }]],
        },
        { name: 'run', container: { image: imageRef(BUSYBOX), command: ['sh', '-c', script] } },
      ],
    },
  };
}

async function finished(name: string): Promise<KubeObject> {
  return eventually(
    `workflow ${ns}/${name} to finish`,
    async () => {
      const wf = await kube.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: ns, name });
      const phase = (wf?.status as { phase?: string } | undefined)?.phase;
      return phase && !['Pending', 'Running'].includes(phase) ? wf : undefined;
    },
    240_000,
  );
}

describe('Argo Workflows on the sandbox', () => {
  afterAll(async () => {
    for (const name of [names.good, names.bad, names.build])
      await kube.delete({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: ns, name }).catch(() => {});
    for (const name of [names.context, names.ca]) await kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ns, name }).catch(() => {});
    await kube.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: names.run }).catch(() => {});
    for (const [apiVersion, kind] of [
      ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
      ['rbac.authorization.k8s.io/v1', 'Role'],
      ['v1', 'ServiceAccount'],
    ] as const) {
      await kube.delete({ apiVersion, kind, namespace: ns, name: runner }).catch(() => {});
    }
  });

  it('runs a workflow on the real node with the sandbox executor, and reports Succeeded or Failed as the containers did', async () => {
    expect((await kube.get({ apiVersion: 'v1', kind: 'ConfigMap', namespace: ARGO_NAMESPACE, name: 'workflow-controller-configmap' }))?.data).toBeDefined();
    await kube.apply({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: runner, namespace: ns } });
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: runner, namespace: ns },
      rules: [{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }],
    });
    await kube.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: runner, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: runner },
      subjects: [{ kind: 'ServiceAccount', name: runner, namespace: ns }],
    });

    await kube.apply(workflow(names.good, 'echo "ran in $(hostname)"'));
    await kube.apply(workflow(names.bad, 'echo about to fail; exit 3'));

    const good = await finished(names.good);
    expect((good.status as { phase: string }).phase, JSON.stringify(good.status)).toBe('Succeeded');
    const pods = (await kube.list('v1', 'Pod', { namespace: ns })).filter((p) => p.metadata.name.startsWith(`${names.good}-`));
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect((p.spec as { nodeName: string }).nodeName).toBe(NODE_NAME);
      const containers = (p.spec as { containers: { name: string; image: string }[] }).containers;
      expect(containers.find((c) => c.name === 'wait')?.image).toMatch(/\/helix\/argoexec:v/);
      expect(await kube.logs(ns, p.metadata.name, { container: 'main' })).toContain(`ran in ${p.metadata.name}`);
    }

    const bad = await finished(names.bad);
    const status = bad.status as { phase: string; nodes: Record<string, { type: string; phase: string; message?: string }> };
    expect(status.phase).toBe('Failed');
    const failed = Object.values(status.nodes).find((n) => n.type === 'Pod' && n.phase === 'Failed');
    expect(failed?.message).toMatch(/exit code 3/);
    // The second step never ran after the first failed.
    expect((await kube.list('v1', 'Pod', { namespace: ns })).filter((p) => p.metadata.name.startsWith(`${names.bad}-`))).toHaveLength(1);
  }, 400_000);

  it('builds an image with Kaniko in a workflow, pushes it to the sandbox registry, and a pod runs it', async () => {
    const tag = `registry.sandbox.test/helix-test/kaniko-smoke:${names.build}`;
    const caFile = join(process.env.HELIX_SANDBOX_DIR ?? sandbox().dir, 'pki', 'ca.crt');
    await kube.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: names.context, namespace: ns },
      data: { Dockerfile: `FROM ${imageRef(BUSYBOX)}\nRUN echo "built by kaniko: $(uname -s)" > /built.txt\nCMD ["cat", "/built.txt"]\n` },
    });
    await kube.apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: names.ca, namespace: ns }, data: { 'ca.crt': readFileSync(caFile, 'utf8') } });
    await kube.apply({
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Workflow',
      metadata: { name: names.build, namespace: ns },
      spec: {
        entrypoint: 'build',
        serviceAccountName: runner,
        volumes: [
          { name: 'context', configMap: { name: names.context } },
          { name: 'ca', configMap: { name: names.ca } },
        ],
        templates: [
          {
            name: 'build',
            container: {
              image: imageRef(KANIKO),
              command: ['/kaniko/executor'],
              args: [
                '--context=dir:///workspace',
                '--dockerfile=/workspace/Dockerfile',
                `--destination=${tag}`,
                '--registry-certificate=registry.sandbox.test=/certs/ca.crt',
              ],
              volumeMounts: [
                { name: 'context', mountPath: '/workspace' },
                { name: 'ca', mountPath: '/certs' },
              ],
            },
          },
        ],
      },
    });
    const built = await finished(names.build);
    expect((built.status as { phase: string }).phase, JSON.stringify((built.status as { nodes?: unknown }).nodes)).toBe('Succeeded');

    await kube.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: names.run, namespace: ns },
      spec: {
        restartPolicy: 'Never',
        nodeSelector: { 'kubernetes.io/hostname': NODE_NAME },
        tolerations: [{ key: REAL_NODE_TAINT.key, operator: 'Exists', effect: REAL_NODE_TAINT.effect }],
        containers: [{ name: 'built', image: tag }],
      },
    });
    await eventually(
      'the built image to run to completion',
      async () =>
        ((await kube.get({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: names.run }))?.status as { phase?: string } | undefined)?.phase === 'Succeeded',
      180_000,
    );
    expect(await kube.logs(ns, names.run, { container: 'built' })).toContain('built by kaniko: Linux');
  }, 600_000);
});
