import { z } from 'zod';
import { defineComponent, purgeData, secret, type VarsOf } from 'helix';

/**
 * DevPi: the private Python package index (devpi-server + devpi-web), its dashboard behind
 * oauth2-proxy and Keycloak, an open API host for pip and devpi-client, the image build chain
 * (Argo Workflows + Kaniko) and the CLI on the admin's workstation.
 *
 * Every variable of devpi-originals.md §3 is here, under the name the sandbox inventory uses
 * where one exists. README.md maps each original name to its helix name.
 */

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, 'must be a lower-case DNS name with a dot');
const k8sName = z.string().max(63).regex(label, 'must be a DNS-1123 label (lower case, digits, "-")');
const posixUser = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a POSIX user name');
const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const imageRef = z
  .string()
  .regex(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$/, 'must be an image reference registry/path[:tag][@digest]');
const sshUrl = z
  .string()
  .regex(/^(ssh:\/\/[^\s]+|[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s]+)$/, 'must be an SSH git URL (ssh://user@host[:port]/path or user@host:path)');

/** How the dashboard and API hosts are published. */
const ingress = z
  .object({
    /** `ingress`: networking.k8s.io/v1 Ingress (ingress-nginx); `httproute`: Gateway API. @default 'ingress' */
    kind: z.enum(['ingress', 'httproute']).default('ingress'),
    /** IngressClass for kind `ingress`. @default 'nginx' */
    class_name: k8sName.default('nginx'),
    /** The controller behind that class, whose annotations the Ingresses carry (headers, body size, TLS). @default 'nginx' */
    controller: z.enum(['nginx', 'traefik']).default('nginx'),
    /** TLS Secret in the devpi namespace for kind `ingress` (none: TLS ends elsewhere). */
    tls_secret_name: k8sName.optional(),
    /** Gateway for kind `httproute` (§3 gateway_name / gateway_namespace). */
    gateway_name: k8sName.default('thinkube-gateway'),
    gateway_namespace: k8sName.default('gateway-system'),
    gateway_section: z.string().default('https'),
    /** Request body limit on both hosts (uploads). @default '50m' */
    body_size: z
      .string()
      .regex(/^\d+[kmg]?$/)
      .default('50m'),
  })
  .strict()
  .default({
    kind: 'ingress',
    class_name: 'nginx',
    controller: 'nginx',
    gateway_name: 'thinkube-gateway',
    gateway_namespace: 'gateway-system',
    gateway_section: 'https',
    body_size: '50m',
  });

/** Where devpi's pods run (every Deployment, Job and build pod): a dedicated or tainted node pool. */
const placement = z
  .object({
    node_selector: z.record(z.string(), z.string()).default({}),
    tolerations: z
      .array(
        z
          .object({
            key: z.string().optional(),
            operator: z.enum(['Exists', 'Equal']).optional(),
            value: z.string().optional(),
            effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
            tolerationSeconds: z.number().int().optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict()
  .default({ node_selector: {}, tolerations: [] });

/** The image build chain: Argo Workflows + Kaniko from the source repository. */
const build = z
  .object({
    /** Submit the build Workflow. Off: deploy `devpi_image` as given. @default false */
    enabled: z.boolean().default(false),
    /**
     * Source of the devpi image (Dockerfile at `dockerfile/Dockerfile`), cloned over SSH with the deploy key.
     * @default `<git_remote_base>/<github_repo_name>.git`, else `git@github.com:<github_org>/<github_repo_name>.git`
     */
    source_repo_url: z.string().optional(),
    /**
     * Push this component's own image source (`image/`) to `source_revision` (a branch helix
     * owns, deleted on rollback, so not the default branch) of the source repository before
     * building: the sandbox, whose git host stands in for GitHub. In production the repository
     * is maintained on its own. @default false
     */
    push_source: z.boolean().default(false),
    /** Image of the clone step (git and an SSH client). */
    git_image: z.string().default('docker.io/alpine/git:2.47.2'),
    /** `--build-arg`s given to Kaniko. */
    build_args: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** GitHub repository (org/name taken from github_org) that gets the deploy key. */
    github_repo_name: z.string().default('thinkube-devpi'),
    /** Commit or tag to build; the image tag is derived from it (no `latest`). */
    source_revision: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/)
      .default('main'),
    /** How long to follow the Workflow before failing. @default 1800 */
    timeout_seconds: z.number().int().min(10).default(1800),
    /** Kaniko executor image (pinned). */
    kaniko_image: z.string().default('gcr.io/kaniko-project/executor:v1.23.2'),
    /** Node to run the build on (original: master_node_name). */
    node_name: z.string().optional(),
    /**
     * Automatic rebuilds (the component's repository monitoring): a CronWorkflow on this cron
     * schedule reads the tree `source_revision` (a branch) points at, builds it when the registry
     * lacks its tag, and rolls the devpi Deployment onto it, without helix. The image tag then
     * names the tree (`<branch>-<tree>-<config>`), read from the repository when the play starts,
     * so a play after a rebuild finds everything in place. Needs `deploy.mode: direct` and no
     * `push_source`. Off when not given.
     */
    rebuild_schedule: z
      .string()
      .regex(/^(\S+\s+){4}\S+$/, 'a cron schedule of five fields, e.g. "*/5 * * * *"')
      .optional(),
  })
  .strict()
  .default({
    enabled: false,
    push_source: false,
    git_image: 'docker.io/alpine/git:2.47.2',
    build_args: {},
    github_repo_name: 'thinkube-devpi',
    source_revision: 'main',
    timeout_seconds: 1800,
    kaniko_image: 'gcr.io/kaniko-project/executor:v1.23.2',
  });

/** Where the rendered manifests live and who applies them. */
const deploy = z
  .object({
    /** `argocd`: an Argo CD Application syncs the deployment repo; `direct`: helix applies the same manifests. */
    mode: z.enum(['argocd', 'direct']).default('argocd'),
    /** Deployment repository (SSH). @default `<git_remote_base>/<repo_name>` */
    repo_url: sshUrl.optional(),
    /** Repository name under git_remote_base when repo_url is absent. @default 'devpi-deployment.git' */
    repo_name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/)
      .default('devpi-deployment.git'),
    branch: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/)
      .default('main'),
    /** Folder inside the repository holding the manifests. */
    path: z
      .string()
      .regex(/^[A-Za-z0-9._/-]+$/)
      .default('k8s'),
  })
  .strict()
  .default({ mode: 'argocd', repo_name: 'devpi-deployment.git', branch: 'main', path: 'k8s' });

const vars = z
  .object({
    // ----- platform (§3.1) -----
    domain_name: dnsName,
    devpi_namespace: k8sName.default('devpi'),
    /** Dashboard host, behind oauth2-proxy. @default `packages.<domain_name>` */
    devpi_dashboard_hostname: dnsName.optional(),
    /** API host, open for pip and devpi-client. @default `packages-api.<domain_name>` */
    devpi_api_hostname: dnsName.optional(),
    /** The index created server-side as `root/<name>` with bases root/pypi. @default 'stable' */
    devpi_index_name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
      .default('stable'),
    /** devpi root password (DEVPI_ADMIN_PASSWORD): set at first init, kept in a Secret. */
    devpi_root_password: secret(),
    /** Size of the package volume. @default '5Gi' */
    devpi_storage_size: z
      .string()
      .regex(/^\d+(Mi|Gi|Ti)$/)
      .default('5Gi'),
    /** StorageClass of the volume; the cluster default when absent. */
    devpi_storage_class: k8sName.optional(),
    /** A hostPath PersistentVolume for the claim, for clusters without a provisioner (the sandbox). */
    devpi_storage_host_path: z.string().startsWith('/').optional(),
    /** The devpi image deployed when the build is off, and the base name when it is on. */
    devpi_image: imageRef.optional(),
    /**
     * Rollback also deletes the package volume (PVC and PV) and its namespace: `helix rollback
     * devpi --purge-data`. Without it the packages survive a rollback. @default false
     */
    purge_data: purgeData(),
    /** Component version, a label on every object (original: VERSION file). */
    devpi_component_version: z.string().default('0.1.0'),

    // ----- Keycloak (§3.1: keycloak_url, keycloak_hostname, keycloak_realm, keycloak_validate_certs; admin_username / ADMIN_PASSWORD) -----
    keycloak_url: httpUrl,
    /** Only informative; derived from keycloak_url when absent. */
    keycloak_hostname: z.string().optional(),
    keycloak_realm: z.string().min(1).default('thinkube'),
    /** Create the realm when missing (and remove it on rollback). Off where the keycloak component owns it. @default false */
    keycloak_manage_realm: z.boolean().default(false),
    /** Verify Keycloak's TLS certificate. Turning it off is logged. @default true */
    keycloak_validate_certs: z.boolean().default(true),
    /** Keycloak admin user in the master realm (original: admin_username). */
    keycloak_admin_user: z.string().min(1),
    /** Its password (original: ADMIN_PASSWORD; never the sudo password). */
    keycloak_admin_password: secret(),
    /** oauth2-proxy's Keycloak client. @default 'oauth2-proxy-devpi' */
    oauth2_proxy_client_id: z.string().min(1).default('oauth2-proxy-devpi'),
    /** Realm roles allowed into the dashboard (none: every realm user, as the originals). */
    oauth2_proxy_allowed_roles: z.array(z.string().min(1)).default([]),
    /** Cookie SameSite (CORE-010 said `none`; the role and helix use `lax`). */
    oauth2_proxy_cookie_samesite: z.enum(['lax', 'strict', 'none']).default('lax'),
    oauth2_proxy_image: z.string().default('quay.io/oauth2-proxy/oauth2-proxy:v7.15.3'),
    redis_image: z.string().default('docker.io/library/redis:7.4.2-alpine'),

    // ----- users (§3.1 admin_username, system_username, auth_realm_username) -----
    /** OS user on the admin workstation that gets devpi-client and the shell config. @default the SSH login user */
    system_username: posixUser.optional(),
    /** Realm user the shell helpers suggest for the dashboard (informative). */
    auth_realm_username: z.string().optional(),
    /** Python used to create the devpi-client virtualenv (original: ansible_python_interpreter). @default '/usr/bin/python3' */
    devpi_client_python: z.string().startsWith('/').default('/usr/bin/python3'),
    devpi_client_version: z.string().default('7.3.0'),
    /** Index the workstation installs devpi-client from. @default the devpi API host's root/pypi */
    devpi_client_index_url: httpUrl.optional(),

    // ----- registry (§3.1 harbor_registry, harbor_project; §3.2 robot credentials) -----
    harbor_registry: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/, 'must be a registry host[:port]'),
    harbor_project: z
      .string()
      .regex(/^[a-z0-9._-]+$/)
      .default('thinkube'),
    harbor_robot_user: z.string().optional(),
    harbor_robot_token: secret().optional(),
    /** PEM file of a private CA the registry's certificate chains to (the sandbox's): given to Kaniko and to the image wait. */
    registry_ca_file: z.string().startsWith('/').optional(),
    /** Secret (same namespace) with pull credentials; none: pull anonymously. */
    image_pull_secret: k8sName.optional(),

    // ----- namespaces of the build and GitOps tools (§3.1 argo_namespace, argocd_namespace) -----
    argo_namespace: k8sName.default('argo'),
    argocd_namespace: k8sName.default('argocd'),

    // ----- GitHub (§3.1 github_org; §3.2 GITHUB_TOKEN) -----
    github_org: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .default('thinkube'),
    /** REST API base URL (GitHub Enterprise, or the test server). */
    github_api_url: httpUrl.default('https://api.github.com'),
    github_token: secret().optional(),

    // ----- git (sandbox: git_remote_base) -----
    /** Base of SSH git URLs (`ssh://git@host/srv/git`); the deployment repo lives under it. */
    git_remote_base: sshUrl.optional(),
    /** known_hosts file for the git server (host keys are always verified). */
    git_known_hosts: z.string().startsWith('/').optional(),
    /** Private key file used to push to the deployment repository. */
    git_ssh_key: z.string().startsWith('/').optional(),

    // ----- the test (88) -----
    /** An existing devpi (the sandbox's): the workstation installs devpi-client from its root/pypi. */
    devpi_url: httpUrl.optional(),
    /** PEM file of a private CA the hosts' certificates chain to (the sandbox's), trusted by the test's browser, requests and pip. */
    tls_ca_file: z.string().startsWith('/').optional(),

    ingress,
    placement,
    build,
    deploy,
  })
  .superRefine((v, ctx) => {
    if (!v.harbor_robot_user !== !v.harbor_robot_token) {
      ctx.addIssue({
        code: 'custom',
        path: ['harbor_robot_token'],
        message: 'give both harbor_robot_user and harbor_robot_token, or neither (a registry that takes anonymous pushes)',
      });
    }
    if (v.build.enabled && !v.github_token) {
      ctx.addIssue({
        code: 'custom',
        path: ['github_token'],
        message: 'build.enabled needs github_token (the deploy key is registered through the GitHub API)',
      });
    }
    if (v.build.push_source && /^(main|master)$/.test(v.build.source_revision)) {
      ctx.addIssue({
        code: 'custom',
        path: ['build', 'source_revision'],
        message: `build.push_source pushes to a branch helix owns and deletes on rollback; "${v.build.source_revision}" is usually the repository's default branch, which git and GitHub refuse to delete: name a branch of its own`,
      });
    }
    if (v.build.rebuild_schedule) {
      if (!v.build.enabled) ctx.addIssue({ code: 'custom', path: ['build', 'rebuild_schedule'], message: 'build.rebuild_schedule needs build.enabled' });
      if (v.build.push_source) {
        ctx.addIssue({
          code: 'custom',
          path: ['build', 'rebuild_schedule'],
          message: 'build.rebuild_schedule watches a branch others push to; with build.push_source helix owns that branch and replaces what is pushed to it',
        });
      }
      if ((v.deploy.repo_url || v.git_remote_base) && !v.git_ssh_key) {
        ctx.addIssue({
          code: 'custom',
          path: ['git_ssh_key'],
          message: 'build.rebuild_schedule records each new image in the deployment repository: give git_ssh_key, the key it pushes with',
        });
      }
      if (v.deploy.mode !== 'direct') {
        ctx.addIssue({
          code: 'custom',
          path: ['build', 'rebuild_schedule'],
          message:
            'build.rebuild_schedule rolls the Deployment out itself, so it needs deploy.mode direct (with Argo CD the rebuild would have to commit the new tag to the deployment repository: not built yet)',
        });
      }
    }
    if (!v.build.enabled && !v.devpi_image) {
      ctx.addIssue({ code: 'custom', path: ['devpi_image'], message: 'give devpi_image, or turn build.enabled on' });
    }
    if (v.deploy.mode === 'argocd' && !v.deploy.repo_url && !v.git_remote_base) {
      ctx.addIssue({ code: 'custom', path: ['deploy', 'repo_url'], message: 'deploy.mode argocd needs deploy.repo_url (or git_remote_base)' });
    }
  })
  .transform((v) => {
    const dashboard = v.devpi_dashboard_hostname ?? `packages.${v.domain_name}`;
    const api = v.devpi_api_hostname ?? `packages-api.${v.domain_name}`;
    return {
      ...v,
      devpi_dashboard_hostname: dashboard,
      devpi_api_hostname: api,
      keycloak_hostname: v.keycloak_hostname ?? new URL(v.keycloak_url).host,
      devpi_client_index_url: v.devpi_client_index_url ?? (v.devpi_url ? `${v.devpi_url}/root/pypi/+simple/` : `https://${api}/root/pypi/+simple/`),
      build: {
        ...v.build,
        source_repo_url:
          v.build.source_repo_url ??
          (v.git_remote_base
            ? `${v.git_remote_base.replace(/\/+$/, '')}/${v.build.github_repo_name}.git`
            : `git@github.com:${v.github_org}/${v.build.github_repo_name}.git`),
      },
      deploy: {
        ...v.deploy,
        repo_url: v.deploy.repo_url ?? (v.git_remote_base ? `${v.git_remote_base.replace(/\/+$/, '')}/${v.deploy.repo_name}` : undefined),
      },
    };
  });

const component = defineComponent({
  name: 'devpi',
  description: 'DevPi package index: dashboard behind oauth2-proxy/Keycloak, open API host, Argo build chain, workstation CLI',
  vars,
});

export default component;

/** The validated variables every devpi playbook receives. */
export type DevpiVars = VarsOf<typeof component>;
