import type { KubernetesObject } from '@kubernetes/client-node';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { goBuild, goBuildDir, LOCAL_PATH_BUILD } from '../build.ts';
import { writeIfChanged } from '../host.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { BUSYBOX, imageRef } from '../images.ts';
import { applyObjects, userRole } from '../kube-apply.ts';
import { step } from '../progress.ts';
import { isOurs } from '../proc.ts';
import { VERSIONS } from '../versions.ts';
import { adminKubeconfig, componentKubeconfig } from './kubernetes.ts';
import { NODE_ROOT } from './node.ts';

/**
 * Dynamic storage: Rancher's local-path provisioner (built from the Go module proxy) on the
 * host, behind the default StorageClass `local-path`. A claim gets a folder of the node under
 * `/var/lib/helix-sandbox/volumes`, made and removed by helper pods on the real node.
 */
export const STORAGE_CLASS = 'local-path';
const PROVISIONER = 'rancher.io/local-path';
const NAMESPACE = 'helix-storage';
const USER = 'helix-local-path';
const HELPER_SA = 'local-path-helper';
const CONFIGMAP = 'local-path-config';
export const VOLUMES_DIR = join(NODE_ROOT, 'volumes');

const setup = '#!/bin/sh\nset -eu\nmkdir -m 0777 -p "$VOL_DIR"\n';
const teardown = '#!/bin/sh\nset -eu\nrm -rf "$VOL_DIR"\n';

function helperPod(): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'helper-pod' },
    spec: {
      tolerations: [{ operator: 'Exists' }],
      containers: [{ name: 'helper-pod', image: imageRef(BUSYBOX), imagePullPolicy: 'IfNotPresent' }],
    },
  };
}

function clusterObjects(): KubernetesObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: HELPER_SA, namespace: NAMESPACE } },
    ...userRole('helix-sandbox:local-path', USER, [
      { apiGroups: [''], resources: ['nodes', 'persistentvolumeclaims', 'configmaps', 'pods', 'pods/log'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['persistentvolumes'], verbs: ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'] },
      { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: ['update', 'patch'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['create', 'delete'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
      { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update', 'patch'] },
      { apiGroups: ['storage.k8s.io'], resources: ['storageclasses'], verbs: ['get', 'list', 'watch'] },
    ]),
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIGMAP, namespace: NAMESPACE },
      data: { setup, teardown, 'helperPod.yaml': stringify(helperPod()), 'config.json': JSON.stringify(config()) },
    },
    {
      apiVersion: 'storage.k8s.io/v1',
      kind: 'StorageClass',
      metadata: { name: STORAGE_CLASS, annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: PROVISIONER,
      volumeBindingMode: 'WaitForFirstConsumer',
      reclaimPolicy: 'Delete',
    },
  ] as KubernetesObject[];
}

function config() {
  return { nodePathMap: [{ node: 'DEFAULT_PATH_FOR_NON_LISTED_NODES', paths: [VOLUMES_DIR] }] };
}

const stateDir = (ctx: Ctx) => join(ctx.dir, 'storage');

export const storage: Component = {
  name: 'storage',
  description: `local-path provisioner v${VERSIONS.localPath}: default StorageClass ${STORAGE_CLASS} (folders of the real node)`,
  deps: ['kubelet', 'registry'],
  prepare: async (ctx) => {
    await step(ctx.report, 'storage', `build local-path-provisioner v${VERSIONS.localPath} (cached)`, () => goBuild(LOCAL_PATH_BUILD));
  },
  start: async (ctx) => {
    mkdirSync(stateDir(ctx), { recursive: true, mode: 0o700 });
    mkdirSync(VOLUMES_DIR, { recursive: true });
    const kubeconfig = await componentKubeconfig(ctx, 'local-path', USER);
    await applyObjects(adminKubeconfig(ctx), clusterObjects());
    const configFile = join(stateDir(ctx), 'config.json');
    writeIfChanged(configFile, JSON.stringify(config()));
    const helperFile = join(stateDir(ctx), 'helperPod.yaml');
    writeIfChanged(helperFile, stringify(helperPod()));
    await ensureProcess(ctx, {
      component: 'storage',
      proc: 'local-path-provisioner',
      cmd: join(goBuildDir(LOCAL_PATH_BUILD.name, LOCAL_PATH_BUILD.version), 'bin', 'local-path-provisioner'),
      args: [
        'start',
        `--config=${configFile}`,
        `--provisioner-name=${PROVISIONER}`,
        `--namespace=${NAMESPACE}`,
        `--helper-image=${imageRef(BUSYBOX)}`,
        `--kubeconfig=${kubeconfig}`,
        `--configmap-name=${CONFIGMAP}`,
        `--service-account-name=${HELPER_SA}`,
        `--helper-pod-file=${helperFile}`,
      ],
      marker: `--config=${configFile}`,
      // It serves nothing to probe: alive a few seconds after it read its configuration is healthy.
      healthy: async () => {
        const rec = ctx.state.processes.storage?.['local-path-provisioner'];
        if (!rec || !isOurs(rec.pid, rec.marker)) return false;
        return Date.now() - Date.parse(rec.startedAt) > 3000;
      },
      timeoutMs: 30_000,
    });
  },
  health: async (ctx) => processesAlive(ctx, 'storage', ['local-path-provisioner']),
  cleanup: async () => {
    rmSync(VOLUMES_DIR, { recursive: true, force: true });
  },
  contribute: () => ({ vars: { storage_class: STORAGE_CLASS } }),
};
