import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { definePlaybook, type Env, type Step } from 'helix';
import * as k8s from 'helix/modules/k8s';
import * as template from 'helix/modules/template';
import { githubSshKeys, githubSshKeysAbsent } from '../../../../roles/common/github_ssh_keys.ts';
import { gitBranchAbsent, gitPush } from '../../../../roles/container_deployment/git_push.ts';
import { dockerKaniko } from '../../../../roles/container_deployment/docker_kaniko.ts';
import { sourceRepo } from '../../../../roles/container_deployment/repo.ts';
import { workflow } from '../../../../roles/container_deployment/workflow.ts';
import { imageAbsent, imageExists, imagesAbsent, waitingForImage } from '../../../../roles/waiting_for_image.ts';
import { builtImageTag, imageSource, rebuildTagPattern } from './build.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';
import { rebuildManifests } from './rebuild.ts';

/** GitHub's published SSH host keys (verified, never `StrictHostKeyChecking no`). */
export const GITHUB_KNOWN_HOSTS = [
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
  'github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=',
];

/** Host keys of the server the build clones from: `git_known_hosts` when given (the sandbox's git host), else GitHub's. */
function sourceKnownHosts(v: DevpiVars): readonly string[] {
  if (!v.git_known_hosts) return GITHUB_KNOWN_HOSTS;
  return readFileSync(v.git_known_hosts, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** The build Workflow for the configured source revision (its name carries the image tag). */
export function buildWorkflowManifest(env: Env<DevpiVars>): k8s.Manifest {
  const d = devpi(env);
  const v = d.v;
  const tag = builtImageTag(v) ?? 'unbuilt';
  const destination = `${v.harbor_registry}/${v.harbor_project}/devpi:${tag}`;
  const name = `${NAMES.workflowPrefix}-${createHash('sha256').update(destination).digest('hex').slice(0, 10)}`;
  const volumes: unknown[] = [{ name: 'git-ssh', secret: { secretName: NAMES.deployKeySecret, defaultMode: 0o400 } }];
  const kanikoMounts: unknown[] = [{ name: 'workspace', mountPath: '/workspace' }];
  const kanikoArgs = [
    '--context=dir:///workspace/src',
    '--dockerfile=dockerfile/Dockerfile',
    `--destination=${destination}`,
    '--snapshot-mode=redo',
    '--cleanup',
  ];
  if (v.harbor_robot_user) {
    volumes.push({ name: 'docker-config', secret: { secretName: NAMES.builderDockerConfig, items: [{ key: 'config.json', path: 'config.json' }] } });
    kanikoMounts.push({ name: 'docker-config', mountPath: '/kaniko/.docker', readOnly: true });
  }
  if (v.registry_ca_file) {
    volumes.push({ name: 'registry-ca', configMap: { name: NAMES.registryCa } });
    kanikoMounts.push({ name: 'registry-ca', mountPath: '/registry-ca', readOnly: true });
    kanikoArgs.push(`--registry-certificate=${v.harbor_registry}=/registry-ca/ca.crt`);
  }
  for (const [k, val] of Object.entries(v.build.build_args).sort(([a], [b]) => a.localeCompare(b))) kanikoArgs.push(`--build-arg=${k}=${val}`);
  return template.manifest(
    { src: d.tpl('build-workflow.yaml.hbs') },
    {
      name,
      argoNamespace: v.argo_namespace,
      labels: { ...d.labels, app: NAMES.workflowPrefix, 'helix.dev/image-tag': tag },
      serviceAccount: NAMES.kanikoServiceAccount,
      timeoutSeconds: v.build.timeout_seconds,
      nodeSelector: v.build.node_name ? { 'kubernetes.io/hostname': v.build.node_name } : {},
      volumes,
      gitImage: v.build.git_image,
      sourceRepo: v.build.source_repo_url,
      sourceRevision: v.build.source_revision,
      kanikoImage: v.build.kaniko_image,
      kanikoArgs,
      kanikoMounts,
    },
  ) as k8s.Manifest;
}

/**
 * The image build chain (Argo Workflows + Kaniko), when `build.enabled`: the source
 * repository is checked, a read-only deploy key is generated once and registered on GitHub,
 * registry credentials become Secrets for the builder and for pulls, the Workflow for the
 * pinned revision is submitted and followed (a failure names the failed node), and the
 * registry is asked until the tag exists. With `build.push_source` (the sandbox), the
 * component's own `image/` is pushed to the source branch first. With the build off, only
 * the pull secret is kept when credentials are given; the named `devpi_image` is deployed.
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const v = d.v;
  const steps: Step[] = [];
  const gh = { baseUrl: v.github_api_url, ...(v.github_token ? { token: v.github_token } : {}) };
  if (v.harbor_robot_user && v.harbor_robot_token && v.image_pull_secret) {
    steps.push(
      dockerKaniko({
        registry: v.harbor_registry,
        user: v.harbor_robot_user,
        token: v.harbor_robot_token,
        buildNamespace: v.argo_namespace,
        builderSecret: NAMES.builderDockerConfig,
        appNamespace: d.ns,
        pullSecret: NAMES.pullSecret,
        labels: d.labels,
      }),
    );
  }
  if (!v.build.enabled) return steps;
  const wf = buildWorkflowManifest(env);
  const tag = builtImageTag(v)!;
  steps.push(
    sourceRepo({ owner: v.github_org, repo: v.build.github_repo_name, baseUrl: v.github_api_url, ...(v.github_token ? { token: v.github_token } : {}) }),
  );
  if (v.build.push_source) {
    steps.push(
      gitPush({
        name: 'image-source',
        repoUrl: v.build.source_repo_url,
        branch: v.build.source_revision,
        files: imageSource(),
        prune: true,
        message: `devpi ${v.devpi_component_version}: image source`,
        ...(v.git_ssh_key ? { sshKey: v.git_ssh_key } : {}),
        ...(v.git_known_hosts ? { knownHostsFile: v.git_known_hosts } : {}),
      }),
    );
  }
  steps.push(
    githubSshKeys({
      github: gh,
      owner: v.github_org,
      repo: v.build.github_repo_name,
      namespace: v.argo_namespace,
      secretName: NAMES.deployKeySecret,
      knownHosts: sourceKnownHosts(v),
      labels: d.labels,
    }),
    k8s.apply('kaniko-rbac', {
      manifests: template.manifests(
        { src: d.tpl('kaniko-rbac.yaml.hbs') },
        { serviceAccount: NAMES.kanikoServiceAccount, argoNamespace: v.argo_namespace, labels: d.labels },
      ),
    }),
  );
  if (v.registry_ca_file) steps.push(k8s.apply('registry-ca', { manifest: registryCaManifest(env) }));
  const image = builtImage(v, tag);
  const built = imageExists('built', image);
  steps.push(
    built,
    // Built only when the registry lacks the tag (a rebuild may have built it already).
    workflow({ manifest: wf, timeoutMs: v.build.timeout_seconds * 1000, when: (ctx) => !ctx.result(built) }),
    waitingForImage('image', {
      ...image,
      plannedBy: k8s.targetOf({ apiVersion: wf.apiVersion, kind: wf.kind, namespace: wf.metadata.namespace!, name: wf.metadata.name }),
    }),
  );
  if (v.build.rebuild_schedule) steps.push(k8s.apply('rebuild', { manifests: rebuildManifests(env, wf) }));
  return steps;
});

/** Where the built image lives, and the credentials and CA to ask the registry with. */
function builtImage(v: DevpiVars, tag: string) {
  return {
    registry: v.harbor_registry,
    repository: `${v.harbor_project}/devpi`,
    tag,
    ...(v.harbor_robot_user ? { user: v.harbor_robot_user } : {}),
    ...(v.harbor_robot_token ? { token: v.harbor_robot_token } : {}),
    ...(v.registry_ca_file ? { caFile: v.registry_ca_file } : {}),
  };
}

/** The registry's CA for Kaniko (a ConfigMap: a CA certificate is public). */
function registryCaManifest(env: Env<DevpiVars>): k8s.Manifest {
  const d = devpi(env);
  const v = d.v;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: NAMES.registryCa, namespace: v.argo_namespace, labels: d.labels },
    data: { 'ca.crt': readFileSync(v.registry_ca_file!, 'utf8') },
  };
}

/** What 89_rollback_devpi removes of the build chain. */
export function buildRollback(env: Env<DevpiVars>): Step[] {
  const d = devpi(env);
  const v = d.v;
  const steps: Step[] = [];
  if (v.harbor_robot_user && v.harbor_robot_token && v.image_pull_secret) {
    steps.push(
      k8s.remove('registry-auth', {
        manifests: [
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: NAMES.builderDockerConfig, namespace: v.argo_namespace } },
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: NAMES.pullSecret, namespace: d.ns } },
        ],
      }),
    );
  }
  if (!v.build.enabled) return steps;
  const wf = buildWorkflowManifest(env);
  const gh = { baseUrl: v.github_api_url, ...(v.github_token ? { token: v.github_token } : {}) };
  if (v.build.rebuild_schedule) {
    // The Workflows it started go with it (Argo makes the CronWorkflow their owner).
    steps.push(k8s.remove('rebuild', { manifests: rebuildManifests(env, wf) }));
  }
  steps.push(
    k8s.remove('workflow', { apiVersion: wf.apiVersion, kind: wf.kind, namespace: wf.metadata.namespace!, name: wf.metadata.name }),
    // The image the build pushed: a build output, not data (it is rebuilt from the source).
    // With automatic rebuilds, also the images they made of the branch's older trees.
    v.build.rebuild_schedule
      ? imagesAbsent('image', { ...builtImage(v, ''), tagPattern: rebuildTagPattern(v) })
      : imageAbsent('image', builtImage(v, builtImageTag(v)!)),
    k8s.remove('registry-ca', { apiVersion: 'v1', kind: 'ConfigMap', namespace: v.argo_namespace, name: NAMES.registryCa }),
    k8s.remove('kaniko-rbac', {
      manifests: template.manifests(
        { src: d.tpl('kaniko-rbac.yaml.hbs') },
        { serviceAccount: NAMES.kanikoServiceAccount, argoNamespace: v.argo_namespace, labels: d.labels },
      ),
    }),
    githubSshKeysAbsent({ github: gh, owner: v.github_org, repo: v.build.github_repo_name, namespace: v.argo_namespace, secretName: NAMES.deployKeySecret }),
  );
  if (v.build.push_source) {
    // The branch helix pushed the image source to.
    steps.push(
      gitBranchAbsent({
        name: 'image-source',
        repoUrl: v.build.source_repo_url,
        branch: v.build.source_revision,
        ...(v.git_ssh_key ? { sshKey: v.git_ssh_key } : {}),
        ...(v.git_known_hosts ? { knownHostsFile: v.git_known_hosts } : {}),
      }),
    );
  }
  return steps;
}
