/**
 * Every name the devpi playbooks create, in one place: the play, the test (88) and the
 * rollback (89) read the same constants, so a renamed object cannot make the test look for
 * the wrong thing (original defect #21).
 */
export const APP = 'devpi';

export const NAMES = {
  /** Deployment, Service and app label of devpi-server. */
  app: 'devpi',
  pvc: 'devpi-data-pvc',
  limitRange: 'default-resources',
  resourceQuota: 'resource-budget',
  /** Secret with the devpi root password (key `password`), consumed by secretKeyRef only. */
  rootSecret: 'devpi-root',
  /** ConfigMap with the index bootstrap script (no secret inside). */
  initScript: 'devpi-init-script',
  /** Job that makes sure `root/<index>` exists with the wanted bases. */
  initJob: 'devpi-index-init',
  redis: 'ephemeral-redis',
  /** Secret holding redis.conf (it carries `requirepass`). */
  redisConfig: 'ephemeral-redis-config',
  oauth2Proxy: 'oauth2-proxy',
  /** Secret: client-secret, cookie-secret, redis-password for oauth2-proxy. */
  oauth2ProxySecret: 'oauth2-proxy',
  /** ConfigMap: oauth2_proxy.cfg (no secret inside). */
  oauth2ProxyConfig: 'oauth2-proxy-config',
  /** NetworkPolicy: only oauth2-proxy may talk to the session store. */
  redisPolicy: 'ephemeral-redis-clients',
  dashboardIngress: 'devpi-dashboard',
  apiIngress: 'devpi-api',
  /** ConfigMaps nginx adds as request headers (X-Outside-URL per host). */
  dashboardHeaders: 'devpi-dashboard-headers',
  apiHeaders: 'devpi-api-headers',
  /** Traefik Middleware: the request body limit of both hosts. */
  bodyLimit: 'devpi-body-limit',
  /** Registry credentials: the builder's docker config (argo ns) and the pull secret (devpi ns). */
  builderDockerConfig: 'devpi-kaniko-docker-config',
  pullSecret: 'devpi-pull-secret',
  /** ConfigMap (build namespace): the registry's private CA for Kaniko. */
  registryCa: 'devpi-registry-ca',
  kanikoServiceAccount: 'devpi-kaniko-builder',
  /** GitHub deploy key of the source repo, as a Secret in the argo namespace. */
  deployKeySecret: 'github-ssh-key-thinkube-devpi',
  /** Argo CD Application and its repository Secret. */
  argocdApp: 'devpi',
  argocdRepoSecret: 'devpi-deployment-repo',
  /** Workflow name prefix; the full name carries the source revision. */
  workflowPrefix: 'devpi-build',
  /** CronWorkflow of automatic rebuilds, and the Role that lets it roll the Deployment out. */
  rebuild: 'devpi-rebuild',
  /** Secret (in argo_namespace) with the key the rebuild pushes the new image to the deployment repository with. */
  rebuildGit: 'devpi-rebuild-git',
} as const;

/** Labels on every object the play creates; rollback also finds leftovers by them. */
export function commonLabels(version: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': APP,
    'app.kubernetes.io/managed-by': 'helix',
    'app.kubernetes.io/version': version,
  };
}

/** The devpi-server port inside the cluster. */
export const DEVPI_PORT = 3141;
/** oauth2-proxy's HTTP port. */
export const OAUTH2_PROXY_PORT = 4180;
export const REDIS_PORT = 6379;

/** Files the workstation setup writes, relative to the user's home (rollback removes exactly these). */
export const WORKSTATION_FILES = {
  venv: '.local/share/devpi-client/venv',
  bin: '.local/bin/devpi',
  scriptsDir: 'devpi-scripts',
  initScript: 'devpi-scripts/devpi-init-admin.sh',
  uploadScript: 'devpi-scripts/devpi-upload-pkg.sh',
  fish: '.config/fish/conf.d/devpi.fish',
  bash: '.config/devpi/devpi.bash',
  bashrcMarker: 'helix devpi',
  pipConf: '.config/pip/pip.conf',
  clientDir: '.devpi/client',
  /** The private CA the hosts' certificates chain to (the sandbox's), for devpi-client and pip. */
  caDir: '.local/share/devpi-client',
  caCert: '.local/share/devpi-client/ca.crt',
} as const;
