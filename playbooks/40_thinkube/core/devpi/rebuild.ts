import { readFileSync } from 'node:fs';
import { type Env, Secret } from 'helix';
import type * as k8s from 'helix/modules/k8s';
import { secretManifest } from '../../../../roles/common/kept_secret.ts';
import { ACCEPT } from '../../../../roles/waiting_for_image.ts';
import { buildConfigHash, revisionTag } from './build.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES } from './names.ts';

/**
 * The resolve step: reads the tree the branch points at, computes the tag as helix does
 * (`builtImageTag`: `<branch>-<tree>-<config>`), asks the registry whether it has it and the API
 * server whether the Deployment runs it (the API server pretty-prints JSON for curl). Its
 * outputs steer the build and the rollout.
 */
const RESOLVE = `set -eu
git init -q /tmp/src && cd /tmp/src
git fetch -q --depth=1 "$SOURCE_REPO" "refs/heads/$SOURCE_BRANCH"
commit=$(git rev-parse FETCH_HEAD)
tree=$(git rev-parse 'FETCH_HEAD^{tree}')
image="$REGISTRY/$REPOSITORY:$TAG_PREFIX-$(printf %s "$tree" | cut -c1-12)-$CONFIG_HASH"
set -- -sS -o /dev/null -w '%{http_code}' -I -H "Accept: $ACCEPT"
if [ -f /registry-ca/ca.crt ]; then set -- "$@" --cacert /registry-ca/ca.crt; fi
if [ -f /docker/config.json ]; then
  auth=$(sed -n 's/.*"auth": *"\\([^"]*\\)".*/\\1/p' /docker/config.json | head -n1)
  set -- "$@" -H "Authorization: Basic $auth"
fi
tag=\${image##*:}
code=$(curl "$@" "https://$REGISTRY/v2/$REPOSITORY/manifests/$tag")
case "$code" in
  200) built=true ;;
  404) built=false ;;
  *) echo "registry answered HTTP $code for $image" >&2; exit 1 ;;
esac
sa=/var/run/secrets/kubernetes.io/serviceaccount
code=$(curl -sS -o /tmp/deployment.json -w '%{http_code}' --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" \\
  "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/apps/v1/namespaces/$APP_NAMESPACE/deployments/$DEPLOYMENT")
case "$code" in
  200) if grep -q "\\"image\\": *\\"$image\\"" /tmp/deployment.json; then rolled=true; else rolled=false; fi ;;
  404) rolled=true; echo "no Deployment $APP_NAMESPACE/$DEPLOYMENT yet: the play deploys it" ;;
  *) echo "the API server answered HTTP $code for Deployment $APP_NAMESPACE/$DEPLOYMENT" >&2; exit 1 ;;
esac
echo "commit $commit, image $image, built $built, rolled out $rolled"
mkdir -p /tmp/out
printf %s "$commit" >/tmp/out/commit
printf %s "$image" >/tmp/out/image
printf %s "$built" >/tmp/out/built
printf %s "$rolled" >/tmp/out/rolled
`;

/** The rollout step: a strategic merge patch of the Deployment's two containers (field manager `devpi-rebuild`). */
const ROLLOUT = `set -eu
sa=/var/run/secrets/kubernetes.io/serviceaccount
body=$(printf '{"spec":{"template":{"spec":{"initContainers":[{"name":"%s","image":"%s"}],"containers":[{"name":"%s","image":"%s"}]}}}}' "$INIT_CONTAINER" "$IMAGE" "$CONTAINER" "$IMAGE")
curl -sSf -o /dev/null --cacert "$sa/ca.crt" -H "Authorization: Bearer $(cat "$sa/token")" \\
  -X PATCH -H 'Content-Type: application/strategic-merge-patch+json' --data "$body" \\
  "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/apis/apps/v1/namespaces/$APP_NAMESPACE/deployments/$DEPLOYMENT?fieldManager=devpi-rebuild"
echo "deployment $APP_NAMESPACE/$DEPLOYMENT now runs $IMAGE"
`;

/** The record step's rewrite of the manifests in `$DEPLOY_PATH`: every `$REGISTRY/$REPOSITORY:<tag>` becomes `$IMAGE`. */
export const RECORD_REWRITE = `find "$DEPLOY_PATH" -type f -name '*.yaml' -exec sed -i "s#$REGISTRY/$REPOSITORY:[A-Za-z0-9_.-]*#$IMAGE#g" {} +`;

/**
 * The record step (before the rollout): the deployment repository keeps the manifests helix
 * renders, so it is brought to the new image as helix would render it. Every reference to an
 * image of the repository in the manifest folder names the new one ({@link RECORD_REWRITE}: the
 * unit tests run it on two renders, whose only difference it must be), committed and pushed
 * fast-forward. Nothing is committed when the files already name it.
 */
const RECORD = `set -eu
git init -q /tmp/deploy && cd /tmp/deploy
git fetch -q --depth=1 "$DEPLOY_REPO" "refs/heads/$DEPLOY_BRANCH"
git checkout -q FETCH_HEAD
${RECORD_REWRITE}
if git diff --quiet; then echo "branch $DEPLOY_BRANCH already names $IMAGE"; exit 0; fi
git -c user.name=devpi-rebuild -c user.email=devpi-rebuild@helix.invalid commit -qam "devpi: rebuilt $IMAGE"
git push -q "$DEPLOY_REPO" "HEAD:refs/heads/$DEPLOY_BRANCH"
echo "branch $DEPLOY_BRANCH of the deployment repository now names $IMAGE"
`;

type Template = { name: string; container?: { env?: unknown[]; args?: string[] } & Record<string, unknown> } & Record<string, unknown>;

/**
 * Automatic rebuilds (`build.rebuild_schedule`): a CronWorkflow that runs the build Workflow's
 * own clone and Kaniko steps (from `buildWorkflowManifest`) for the tree the branch points at,
 * only when the registry lacks its tag, then rolls the devpi Deployment onto it when it runs
 * something else; and the Role that lets the builder's service account patch that one
 * Deployment. One run at a time; finished runs are kept 1 (success) and 3 (failure) deep.
 */
export function rebuildManifests(env: Env<DevpiVars>, build: k8s.Manifest): k8s.Manifest[] {
  const d = devpi(env);
  const v = d.v;
  const spec = structuredClone(build.spec) as { templates: Template[]; volumes: { name: string }[] } & Record<string, unknown>;
  const clone = spec.templates.find((t) => t.name === 'clone')!;
  const kaniko = spec.templates.find((t) => t.name === 'kaniko')!;
  clone.inputs = { parameters: [{ name: 'revision' }] };
  clone.container!.env = clone.container!.env!.map((e) =>
    (e as { name: string }).name === 'SOURCE_REVISION' ? { name: 'SOURCE_REVISION', value: '{{inputs.parameters.revision}}' } : e,
  );
  kaniko.inputs = { parameters: [{ name: 'destination' }] };
  kaniko.container!.args = kaniko.container!.args!.map((a) => (a.startsWith('--destination=') ? '--destination={{inputs.parameters.destination}}' : a));
  const has = (volume: string) => spec.volumes.some((vol) => vol.name === volume);
  const mounts = [
    { name: 'git-ssh', mountPath: '/git-ssh', readOnly: true },
    ...(has('registry-ca') ? [{ name: 'registry-ca', mountPath: '/registry-ca', readOnly: true }] : []),
    ...(has('docker-config') ? [{ name: 'docker-config', mountPath: '/docker', readOnly: true }] : []),
  ];
  const gitSsh = 'ssh -i /git-ssh/ssh-privatekey -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/git-ssh/known_hosts';
  const envOf = (vars: Record<string, string>) => Object.entries(vars).map(([name, value]) => ({ name, value }));
  const target = { APP_NAMESPACE: d.ns, DEPLOYMENT: NAMES.app };
  const out = (name: string) => ({ name, valueFrom: { path: `/tmp/out/${name}` } });
  const step = (name: string, template: string, when: string, parameters: Record<string, string>) => ({
    name,
    template,
    when,
    arguments: { parameters: Object.entries(parameters).map(([n, value]) => ({ name: n, value })) },
  });
  // The deployment repository, when there is one, is written with the key helix pushes with.
  const record = v.deploy.repo_url && v.git_ssh_key ? { repo: v.deploy.repo_url, key: v.git_ssh_key, knownHosts: v.git_known_hosts } : undefined;
  if (record) spec.volumes.push({ name: 'deploy-git', secret: { secretName: NAMES.rebuildGit, defaultMode: 0o400 } } as { name: string });
  /** A shell step in the git image that acts on the image the resolve step named (`$IMAGE`). */
  const imageStep = (name: string, script: string, vars: Record<string, string>, volumeMounts?: unknown[]): Template => ({
    name,
    inputs: { parameters: [{ name: 'image' }] },
    container: {
      image: v.build.git_image,
      command: ['sh', '-c'],
      args: [script],
      env: [...envOf(vars), { name: 'IMAGE', value: '{{inputs.parameters.image}}' }],
      ...(volumeMounts ? { volumeMounts } : {}),
    },
  });
  const templates: Template[] = [
    {
      name: 'rebuild',
      steps: [
        [{ name: 'resolve', template: 'resolve' }],
        [step('clone', 'clone', '{{steps.resolve.outputs.parameters.built}} == false', { revision: '{{steps.resolve.outputs.parameters.commit}}' })],
        [step('build-image', 'kaniko', '{{steps.resolve.outputs.parameters.built}} == false', { destination: '{{steps.resolve.outputs.parameters.image}}' })],
        ...(record
          ? [[step('record', 'record', '{{steps.resolve.outputs.parameters.rolled}} == false', { image: '{{steps.resolve.outputs.parameters.image}}' })]]
          : []),
        [step('rollout', 'rollout', '{{steps.resolve.outputs.parameters.rolled}} == false', { image: '{{steps.resolve.outputs.parameters.image}}' })],
      ],
    },
    {
      name: 'resolve',
      container: {
        image: v.build.git_image,
        command: ['sh', '-c'],
        args: [RESOLVE],
        env: envOf({
          SOURCE_REPO: v.build.source_repo_url,
          SOURCE_BRANCH: v.build.source_revision,
          TAG_PREFIX: revisionTag(v),
          CONFIG_HASH: buildConfigHash(v),
          REGISTRY: v.harbor_registry,
          REPOSITORY: `${v.harbor_project}/devpi`,
          ACCEPT,
          GIT_SSH_COMMAND: gitSsh,
          ...target,
        }),
        volumeMounts: mounts,
      },
      outputs: { parameters: ['commit', 'image', 'built', 'rolled'].map(out) },
    },
    clone,
    kaniko,
    imageStep('rollout', ROLLOUT, { ...target, CONTAINER: 'devpi', INIT_CONTAINER: 'devpi-init' }),
    ...(record
      ? [
          imageStep(
            'record',
            RECORD,
            {
              DEPLOY_REPO: record.repo,
              DEPLOY_BRANCH: v.deploy.branch,
              DEPLOY_PATH: v.deploy.path,
              REGISTRY: v.harbor_registry,
              REPOSITORY: `${v.harbor_project}/devpi`,
              GIT_SSH_COMMAND: gitSsh.replaceAll('/git-ssh/', '/deploy-git/'),
            },
            [{ name: 'deploy-git', mountPath: '/deploy-git', readOnly: true }],
          ),
        ]
      : []),
  ];
  const labels = { ...d.labels, app: NAMES.rebuild };
  const rbac = { name: NAMES.rebuild, namespace: d.ns, labels };
  return [
    ...(record
      ? [
          secretManifest({
            name: NAMES.rebuildGit,
            namespace: v.argo_namespace,
            labels,
            data: {
              'ssh-privatekey': new Secret(readFileSync(record.key, 'utf8'), `file ${record.key}`),
              known_hosts: record.knownHosts ? readFileSync(record.knownHosts, 'utf8') : '',
            },
          }),
        ]
      : []),
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'CronWorkflow',
      metadata: { name: NAMES.rebuild, namespace: v.argo_namespace, labels },
      spec: {
        schedules: [v.build.rebuild_schedule!],
        concurrencyPolicy: 'Forbid',
        startingDeadlineSeconds: 60,
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 3,
        workflowMetadata: { labels },
        workflowSpec: { ...spec, entrypoint: 'rebuild', templates },
      },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: rbac,
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [NAMES.app], verbs: ['get', 'patch'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: rbac,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: NAMES.rebuild },
      subjects: [{ kind: 'ServiceAccount', name: NAMES.kanikoServiceAccount, namespace: v.argo_namespace }],
    },
  ];
}
