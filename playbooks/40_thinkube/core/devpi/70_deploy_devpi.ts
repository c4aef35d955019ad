import { parseAllDocuments } from 'yaml';
import { definePlaybook, type Step } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as template from 'helix/modules/template';
import { secretManifest } from '../../../../roles/common/kept_secret.ts';
import { devpi, devpiImage } from './common.ts';
import type { DevpiVars } from './component.ts';
import { builtImageTag } from './build.ts';
import { devpiFiles } from './manifests.ts';
import { NAMES } from './names.ts';
import { deploymentRepoPush, argocdRepoSecret } from './gitops.ts';
import { argocdSynced } from '../../../../roles/container_deployment/argocd_synced.ts';

/**
 * devpi-server, GitOps style: the root password goes into a Secret (applied by helix, never
 * into git); the manifests are pushed to the deployment repository; Argo CD syncs them
 * (`deploy.mode: argocd`), or helix applies the very same files (`direct`, for environments
 * without Argo CD such as the sandbox) and waits for the rollout and the index Job.
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const image = devpiImage(d.v, builtImageTag(d.v));
  const files = devpiFiles(env, image);
  const steps: Step[] = [
    k8s.apply('root-password', {
      manifest: secretManifest({ name: NAMES.rootSecret, namespace: d.ns, labels: d.labels, data: { password: d.v.devpi_root_password } }),
    }),
  ];
  const push = d.v.deploy.repo_url ? deploymentRepoPush(env, files) : undefined;
  if (push) steps.push(push);
  if (d.v.deploy.mode === 'argocd' && push) {
    steps.push(
      argocdRepoSecret(env),
      k8s.apply('application', {
        manifest: template.manifest(
          { src: d.tpl('argocd-application.yaml.hbs') },
          {
            name: NAMES.argocdApp,
            argocdNamespace: d.v.argocd_namespace,
            namespace: d.ns,
            labels: d.labels,
            repoUrl: d.v.deploy.repo_url!,
            branch: d.v.deploy.branch,
            path: d.v.deploy.path,
          },
        ),
      }),
      // Synced and Healthy for the commit just pushed (or already on the branch), never the one before.
      argocdSynced('synced', {
        namespace: d.v.argocd_namespace,
        app: NAMES.argocdApp,
        revision: (ctx) => ctx.result(push.push).commit,
        timeoutMs: 600_000,
      }),
    );
  } else {
    const docs = Object.entries(files)
      .filter(([path]) => !path.endsWith('/kustomization.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((doc) => doc.toJS() as k8s.Manifest));
    const isJob = (m: k8s.Manifest) => m.kind === 'Job';
    steps.push(
      // With the build on, the rebuild workflow may have set the image (field manager
      // devpi-rebuild, also after rebuilds were turned off): a play takes it back (`force`).
      k8s.apply('manifests', { manifests: docs.filter((m) => !isJob(m)), wait: { timeoutMs: 600_000 }, ...(d.v.build.enabled ? { force: true } : {}) }),
      // A Job runs once: its name carries what it does, and a finished Job is history, never
      // applied again (its pod template is immutable, and a rebuild may have moved the image on).
      k8s.apply('index-init', { manifests: docs.filter(isJob), createOnly: true, wait: { timeoutMs: 600_000 } }),
    );
  }
  return steps;
});
