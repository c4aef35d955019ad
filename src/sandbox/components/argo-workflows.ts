import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ensureUpstreamCrds } from '../../crds/apply.ts';
import { mkdirSync } from 'node:fs';
import { ARGO_WORKFLOWS_BUILD, goBuild, goBuildDir, KANIKO_BUILD } from '../build.ts';
import { type Component, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { addFile, type ImageSpec, imageRef, staticBinaryRootfs } from '../images.ts';
import { applyObjects, userRole } from '../kube-apply.ts';
import { step } from '../progress.ts';
import { NODE_NAME, VERSIONS } from '../versions.ts';
import { ensureImages } from './image-registry.ts';
import { adminKubeconfig, componentKubeconfig } from './kubernetes.ts';
import { REAL_NODE_TAINT } from './node.ts';
import { requireRoot } from './net.ts';

/**
 * Argo Workflows on the sandbox: the workflow controller (built from the Go module proxy,
 * docs/decisions/040-argo-and-kaniko-from-source.md) runs on the host like Traefik, watching
 * the API with its own client certificate; workflow pods run on the real node with the
 * executor (`argoexec`, emissary) from an image the sandbox builds. The controller's
 * `workflowDefaults` put every workflow's pods on the real node. It runs the workflows of the
 * `argo` namespace (namespaced mode).
 */
const USER = 'helix-argo-workflows';
export const ARGO_NAMESPACE = 'argo';
const CONFIGMAP = 'workflow-controller-configmap';
/** The controller's health endpoint (upstream binds `:6060`, fixed). */
const HEALTH_URL = 'http://127.0.0.1:6060/healthz';

/** The executor image: our static argoexec. */
export const ARGOEXEC: ImageSpec = {
  name: 'helix/argoexec',
  tag: `v${VERSIONS.argoWorkflows}`,
  rootfs: async (dir) => staticBinaryRootfs(dir, join(await goBuild(ARGO_WORKFLOWS_BUILD), 'argoexec'), 'bin/argoexec'),
  entrypoint: ['/bin/argoexec'],
  user: '8737:8737',
  inputs: [`argo-workflows ${VERSIONS.argoWorkflows}`],
};

/**
 * Kaniko's executor (Chainguard's fork, decision 040) laid out as upstream's image is:
 * `/kaniko/executor`, CAs in `/kaniko/ssl/certs`, registry credentials in `/kaniko/.docker`.
 * A build trusts the sandbox registry with `--registry-certificate`.
 */
export const KANIKO: ImageSpec = {
  name: 'helix/kaniko-executor',
  tag: `v${VERSIONS.kaniko}`,
  rootfs: async (dir) => {
    addFile(dir, join(await goBuild(KANIKO_BUILD), 'executor'), 'kaniko/executor');
    addFile(dir, '/etc/ssl/certs/ca-certificates.crt', 'kaniko/ssl/certs/ca-certificates.crt');
    mkdirSync(join(dir, 'kaniko', '.docker'), { recursive: true });
    mkdirSync(join(dir, 'workspace'), { recursive: true });
  },
  entrypoint: ['/kaniko/executor'],
  env: ['PATH=/usr/local/bin:/kaniko', 'SSL_CERT_DIR=/kaniko/ssl/certs', 'DOCKER_CONFIG=/kaniko/.docker/', 'HOME=/root', 'USER=root'],
  workdir: '/workspace',
  inputs: [`kaniko ${VERSIONS.kaniko}`],
};

function clusterObjects(): KubernetesObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ARGO_NAMESPACE } },
    ...userRole('helix-sandbox:argo-workflows', USER, [
      {
        apiGroups: [''],
        resources: ['pods', 'pods/exec', 'pods/log', 'configmaps', 'persistentvolumeclaims', 'events', 'serviceaccounts', 'secrets'],
        verbs: ['*'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['*'] },
      { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['*'] },
      { apiGroups: ['argoproj.io'], resources: ['*'], verbs: ['*'] },
    ]),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIGMAP, namespace: ARGO_NAMESPACE },
      data: {
        executor: stringify({ imagePullPolicy: 'IfNotPresent' }),
        metricsConfig: stringify({ enabled: false }),
        telemetryConfig: stringify({ enabled: false }),
        // Every workflow's pods on the real node (kwok's nodes run nothing).
        workflowDefaults: stringify({
          spec: {
            nodeSelector: { 'kubernetes.io/hostname': NODE_NAME },
            tolerations: [{ key: REAL_NODE_TAINT.key, operator: 'Equal', value: REAL_NODE_TAINT.value, effect: REAL_NODE_TAINT.effect }],
          },
        }),
      },
    },
  ] as KubernetesObject[];
}

export const argoWorkflows: Component = {
  name: 'argo-workflows',
  description: `Argo Workflows v${VERSIONS.argoWorkflows}: the workflow controller, workflow pods on ${NODE_NAME} with the executor image`,
  deps: ['kube-apiserver', 'registry', 'kubelet'],
  prepare: async (ctx) => {
    await step(ctx.report, 'argo-workflows', `build workflow-controller and argoexec v${VERSIONS.argoWorkflows} (cached; ~10 min cold)`, () =>
      goBuild(ARGO_WORKFLOWS_BUILD),
    );
    await step(ctx.report, 'argo-workflows', `build the Kaniko executor v${VERSIONS.kaniko} (cached; ~3 min cold)`, () => goBuild(KANIKO_BUILD));
  },
  start: async (ctx) => {
    requireRoot('argo-workflows');
    const kubeconfig = await componentKubeconfig(ctx, 'argo-workflows', USER);
    const executor = imageRef(ARGOEXEC);
    await step(ctx.report, 'argo-workflows', `install the CRDs, RBAC and configuration; push ${executor} and ${imageRef(KANIKO)} (cached)`, async () => {
      await ensureUpstreamCrds(adminKubeconfig(ctx), ['argo-workflows']);
      await applyObjects(adminKubeconfig(ctx), clusterObjects());
      await ensureImages(ctx, [ARGOEXEC, KANIKO]);
    });
    const bin = join(goBuildDir(ARGO_WORKFLOWS_BUILD.name, ARGO_WORKFLOWS_BUILD.version), 'bin', 'workflow-controller');
    // Namespaced: it runs the workflows of `argo` only. (A status-setting test of DevPi's build
    // Workflow elsewhere still stands in for a controller until the build runs here for real.)
    const args = [
      `--kubeconfig=${kubeconfig}`,
      `--namespace=${ARGO_NAMESPACE}`,
      '--namespaced',
      `--managed-namespace=${ARGO_NAMESPACE}`,
      `--configmap=${CONFIGMAP}`,
      `--executor-image=${executor}`,
      '--executor-image-pull-policy=IfNotPresent',
      '--workflow-workers=4',
      '--log-format=text',
    ];
    await ensureProcess(ctx, {
      component: 'argo-workflows',
      proc: 'workflow-controller',
      cmd: bin,
      args,
      // One controller: leader election needs an identity (upstream takes the pod's name).
      env: { ...process.env, LEADER_ELECTION_IDENTITY: 'helix-sandbox' },
      marker: `--configmap=${CONFIGMAP}`,
      healthy: () => httpOk(HEALTH_URL),
      timeoutMs: 120_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'argo-workflows', ['workflow-controller']);
    if (!p.ok) return p;
    const ok = await httpOk(HEALTH_URL);
    return { ok, detail: `${p.detail}; ${HEALTH_URL} ${ok ? 'answers' : 'does not answer'}` };
  },
  contribute: () => ({ vars: { argo_namespace: ARGO_NAMESPACE, argo_executor_image: imageRef(ARGOEXEC), kaniko_image: imageRef(KANIKO) } }),
};
