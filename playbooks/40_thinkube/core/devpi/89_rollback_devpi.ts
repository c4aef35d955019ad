import { definePlaybook, type Step } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as keycloak from 'helix/modules/keycloak';
import { keycloakClientAbsent } from '../../../../roles/oauth2_proxy/index.ts';
import { gitBranchAbsent, gitPush } from '../../../../roles/container_deployment/git_push.ts';
import { buildRollback } from './60_build_workflow.ts';
import { staticVolumeName } from './20_storage.ts';
import { routeManifests } from './80_ingress.ts';
import { devpi, devpiImage } from './common.ts';
import type { DevpiVars } from './component.ts';
import { builtImageTag } from './build.ts';
import { devpiFiles } from './manifests.ts';
import { NAMES } from './names.ts';

const obj = (apiVersion: string, kind: string, namespace: string | undefined, name: string) => ({
  apiVersion,
  kind,
  name,
  ...(namespace ? { namespace } : {}),
});

/**
 * Removes what the play created, newest first, each object by name (so the report says what
 * was removed): routes, devpi, the deployment repository's branch, oauth2-proxy, Redis, the
 * Keycloak client (by its internal id, in keycloak_realm) and the build chain. The data (the
 * package volume and the namespace that holds it) stays unless `purge_data` is set
 * (`helix rollback devpi --purge-data`), as for every component. Nothing is hidden: a delete that fails fails the rollback. A second rollback
 * finds nothing to do. The workstation files are removed by 89_rollback_workstation.
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const v = d.v;
  const ns = d.ns;
  const files = devpiFiles(env, devpiImage(v, builtImageTag(v)));
  const manifests = Object.entries(files)
    .filter(([p]) => !p.endsWith('/kustomization.yaml'))
    .map(([, t]) => t);
  const steps: Step[] = [k8s.remove('routes', { manifests: routeManifests(env) })];
  if (v.deploy.mode === 'argocd') {
    // The Application first (its finalizer has Argo CD prune what it deployed), and devpi's own
    // objects by name in the same task: Argo CD may prune them before helix gets to them, and
    // either way the report names them, as `--check` predicts.
    const app = { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: NAMES.argocdApp, namespace: v.argocd_namespace } };
    steps.push(k8s.remove('devpi', { manifests: [app, ...manifests] }));
    steps.push(k8s.remove('argocd-repository', obj('v1', 'Secret', v.argocd_namespace, NAMES.argocdRepoSecret)));
  } else {
    steps.push(k8s.remove('devpi', { manifests }));
  }
  steps.push(k8s.remove('root-password', obj('v1', 'Secret', ns, NAMES.rootSecret)));
  if (v.deploy.repo_url) {
    const access = { ...(v.git_ssh_key ? { sshKey: v.git_ssh_key } : {}), ...(v.git_known_hosts ? { knownHostsFile: v.git_known_hosts } : {}) };
    if (v.deploy.branch === 'main' || v.deploy.branch === 'master') {
      // A shared default branch is not deleted: the rendered manifests are removed from it.
      steps.push(
        gitPush({
          name: 'deployment-repo',
          repoUrl: v.deploy.repo_url,
          branch: v.deploy.branch,
          files: {},
          prune: [`${v.deploy.path}/`],
          message: 'devpi: rollback',
          ...access,
        }),
      );
    } else {
      steps.push(gitBranchAbsent({ name: 'deployment-branch', repoUrl: v.deploy.repo_url, branch: v.deploy.branch, ...access }));
    }
  }
  steps.push(
    k8s.remove('oauth2-proxy', {
      manifests: [
        obj('apps/v1', 'Deployment', ns, NAMES.oauth2Proxy),
        obj('v1', 'Service', ns, NAMES.oauth2Proxy),
        obj('v1', 'ConfigMap', ns, NAMES.oauth2ProxyConfig),
        obj('v1', 'Secret', ns, NAMES.oauth2ProxySecret),
      ].map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: ns } })),
    }),
    k8s.remove('redis', {
      manifests: [
        obj('apps/v1', 'Deployment', ns, NAMES.redis),
        obj('v1', 'Service', ns, NAMES.redis),
        obj('networking.k8s.io/v1', 'NetworkPolicy', ns, NAMES.redisPolicy),
        obj('v1', 'Secret', ns, NAMES.redisConfig),
      ].map((r) => ({ apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: ns } })),
    }),
    keycloakClientAbsent({ admin: d.admin, realm: v.keycloak_realm, clientId: v.oauth2_proxy_client_id }),
  );
  if (v.keycloak_manage_realm) steps.push(keycloak.realm('realm', { admin: d.admin, realm: v.keycloak_realm, state: 'absent' }));
  steps.push(...buildRollback(env));
  if (v.purge_data) {
    steps.push(
      k8s.remove('pvc', obj('v1', 'PersistentVolumeClaim', ns, NAMES.pvc)),
      ...(v.devpi_storage_host_path ? [k8s.remove('volume', obj('v1', 'PersistentVolume', undefined, staticVolumeName(ns)))] : []),
      k8s.remove('namespace', {
        manifests: [
          { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: NAMES.resourceQuota, namespace: ns } },
          { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: NAMES.limitRange, namespace: ns } },
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        ],
      }),
    );
  }
  return steps;
});
