import { afterAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { ARGO_NAMESPACE } from '../../../src/sandbox/components/argo-workflows.ts';
import { BUSYBOX, imageRef } from '../../../src/sandbox/images.ts';
import { NODE_NAME } from '../../../src/sandbox/versions.ts';
import { sandboxClient, unique } from '../k8s/helpers.ts';
import { eventually } from './helpers.ts';

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
const names = { good: unique('good'), bad: unique('bad') };

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
    for (const name of Object.values(names)) await kube.delete({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Workflow', namespace: ns, name }).catch(() => {});
    for (const [apiVersion, kind] of [['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['rbac.authorization.k8s.io/v1', 'Role'], ['v1', 'ServiceAccount']] as const) {
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
});
