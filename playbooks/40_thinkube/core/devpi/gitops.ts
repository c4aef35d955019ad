import { readFileSync } from 'node:fs';
import { type Env, Secret, type Step } from 'helix';
import * as k8s from 'helix/modules/k8s';
import { secretManifest } from '../../../../roles/common/kept_secret.ts';
import { type GitPushRole, gitPush } from '../../../../roles/container_deployment/git_push.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';

/** Pushes the rendered manifests to the deployment repository's branch (only the manifest folder is pruned). */
export function deploymentRepoPush(env: Env<DevpiVars>, files: Record<string, string>): GitPushRole {
  const v = env.vars;
  return gitPush({
    name: 'deployment-repo',
    repoUrl: v.deploy.repo_url!,
    branch: v.deploy.branch,
    files,
    prune: [`${v.deploy.path}/`],
    message: `devpi ${v.devpi_component_version}: rendered manifests`,
    ...(v.git_ssh_key ? { sshKey: v.git_ssh_key } : {}),
    ...(v.git_known_hosts ? { knownHostsFile: v.git_known_hosts } : {}),
  });
}

/** Argo CD's credentials for the deployment repository (SSH key and pinned host keys). */
export function argocdRepoSecret(env: Env<DevpiVars>): Step {
  const d = devpi(env);
  const v = d.v;
  return k8s.apply('argocd-repository', {
    manifest: () => {
      const key = v.git_ssh_key ? new Secret(readFileSync(v.git_ssh_key, 'utf8'), `file ${v.git_ssh_key}`) : undefined;
      if (!key) throw new Error('deploy.mode argocd needs git_ssh_key (the key Argo CD reads the deployment repository with)');
      return secretManifest({
        name: NAMES.argocdRepoSecret,
        namespace: v.argocd_namespace,
        labels: { ...d.labels, 'argocd.argoproj.io/secret-type': 'repository' },
        data: { type: 'git', url: v.deploy.repo_url!, sshPrivateKey: key },
      });
    },
  });
}
