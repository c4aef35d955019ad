import { z } from 'zod';
import { defineComponent, purgeData, secret, type VarsOf } from 'helix';

/**
 * The hardened Devtron platform (design documents 000, 001, 002 and 004, corrected by
 * platform-facts.md): Terraform guardrails, identity, secrets, Devtron's databases, the
 * operators' custom resources, Devtron itself, CloudNativePG, Kyverno and Traefik.
 *
 * Variables are grouped by playbook. Shared inventory variables (`postgres_*` from the
 * sandbox) are read where a group leaves a value out. README.md lists every deviation from
 * the design documents.
 */

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const k8sName = z.string().max(63).regex(label, 'must be a DNS-1123 label (lower case, digits, "-")');
const dnsName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, 'must be a lower-case DNS name with a dot');
const httpsUrl = z.url({ protocol: /^https?$/ });
const pgIdent = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a plain lower-case PostgreSQL identifier');

/** A Helm chart source: a local path (relative to the inventory folder) or a repository chart. */
const chartSource = z
  .object({
    /** `./path`, `/abs/path`, `repo/name` (after `helm repo add`), `oci://…`, or a name with `repo`. */
    chart: z.string().min(1),
    /** Repository URL passed as `helm --repo`. */
    repo: httpsUrl.optional(),
    version: z.string().optional(),
  })
  .strict();

/** An operator installed with Helm (Traefik, Kyverno, CNPG, Argo CD, kube-prometheus-stack). */
const operator = chartSource
  .extend({
    release: k8sName,
    namespace: k8sName,
    /** Chart values, as the chart documents them. */
    values: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const terraform = z
  .object({
    /** Folder of the environment's root module (`backend.tf`, `main.tf`, …), relative to the inventory folder. */
    dir: z.string().min(1),
    /** The CI role's IAM policy (JSON), relative to the inventory folder. */
    ci_policy: z.string().min(1).optional(),
    /** Other Terraform folders scanned for the hard boundary (no kubernetes_* / helm_release). */
    extra_dirs: z.array(z.string()).default([]),
    /**
     * Drift check: `helix verify platform` runs `tofu init` and `tofu plan -detailed-exitcode`
     * on this root module against its real backend (read-only; the backend's credentials come
     * from the environment, as for any tofu run). Unset: no plan is run (the static checks only).
     */
    plan: z
      .object({
        /** The root module to plan, relative to the inventory folder. */
        dir: z.string().min(1),
        /** The tofu binary. @default HELIX_TOFU, the cached build, then `tofu` on PATH */
        binary: z.string().min(1).optional(),
        /** How long the plan waits for a held state lock before the check reports it. @default '0s' */
        lock_timeout: z
          .string()
          .regex(/^\d+(s|m)$/, 'a duration like 0s, 30s or 2m')
          .default('0s'),
      })
      .strict()
      .optional(),
  })
  .strict();

const identity = z
  .object({
    /** Authentik's issuer for the Devtron provider, copied from its discovery document. */
    issuer: httpsUrl,
    client_id: z.string().min(1),
    /** Key of the client secret in the SOPS file, or a secret reference. */
    client_secret: z.union([secret(), z.string().min(1)]),
    /** Authentik outpost Service (`ak-outpost-<name>`) and namespace, for ForwardAuth. */
    outpost_service: k8sName.default('ak-outpost-authentik-embedded-outpost'),
    outpost_namespace: k8sName.default('authentik'),
    outpost_port: z.number().int().min(1).max(65535).default(9000),
  })
  .strict();

const secrets = z
  .object({
    /** SOPS-encrypted YAML/JSON file (relative to the inventory folder); decrypted in memory at run time. */
    sops_file: z.string().min(1).optional(),
    /** age private key file for sops (`SOPS_AGE_KEY_FILE`); KMS and other key sources come from sops' environment. */
    age_key_file: z.string().min(1).optional(),
    /** The sops binary. @default the cached build, then `sops` on PATH */
    sops_binary: z.string().optional(),
  })
  .strict()
  .default({});

const database = z
  .object({
    /** How helix reaches PostgreSQL to pre-create the databases. @default the shared postgres_* variables */
    host: z.string().min(1).optional(),
    port: z.number().int().min(1).max(65535).optional(),
    user: z.string().min(1).optional(),
    /** A secret reference, or a key in the SOPS file. @default postgres_password */
    password: z.union([secret(), z.string().min(1)]).optional(),
    /** Devtron's databases (orchestrator, lens, git_sensor, casbin). */
    names: z.array(pgIdent).default(['orchestrator', 'lens', 'git_sensor', 'casbin']),
    owner: pgIdent.optional(),
  })
  .strict()
  .default({ names: ['orchestrator', 'lens', 'git_sensor', 'casbin'] });

const cnpg = z
  .object({
    namespace: k8sName.default('platform'),
    cluster_name: k8sName.default('platform-db-cluster'),
    instances: z.number().int().min(1).default(2),
    storage_size: z
      .string()
      .regex(/^\d+(Mi|Gi|Ti)$/)
      .default('20Gi'),
    storage_class: k8sName.optional(),
    /** Image of the PostgreSQL operand (the operator's default when absent). */
    image_name: z.string().optional(),
    pooler: z
      .object({
        name: k8sName.default('platform-db-pooler-rw'),
        instances: z.number().int().min(1).default(2),
        pool_mode: z.enum(['session', 'transaction']).default('transaction'),
        max_client_conn: z.number().int().min(1).default(1000),
        default_pool_size: z.number().int().min(1).default(20),
        /** PodDisruptionBudget minAvailable for the pooler pods (a separate object: Pooler has no PDB field). */
        pdb_min_available: z.number().int().min(0).default(1),
      })
      .strict()
      .default({ name: 'platform-db-pooler-rw', instances: 2, pool_mode: 'transaction', max_client_conn: 1000, default_pool_size: 20, pdb_min_available: 1 }),
  })
  .strict()
  .default({
    namespace: 'platform',
    cluster_name: 'platform-db-cluster',
    instances: 2,
    storage_size: '20Gi',
    pooler: { name: 'platform-db-pooler-rw', instances: 2, pool_mode: 'transaction', max_client_conn: 1000, default_pool_size: 20, pdb_min_available: 1 },
  });

const devtron = z
  .object({
    /** Install the chart. Off where no copy of the chart is reachable (the sandbox). */
    enabled: z.boolean().default(true),
    source: chartSource.default({ chart: 'devtron-operator', repo: 'https://helm.devtron.ai', version: '0.23.3' }),
    /** The chart hard-codes this namespace in ~80 places: only `devtroncd` works. */
    namespace: z.literal('devtroncd').default('devtroncd'),
    release: k8sName.default('devtron'),
    /** `installer.modules`: `cicd` turns on the CI/CD stack; none gives the dashboard-only mode. */
    modules: z.array(z.enum(['cicd'])).default(['cicd']),
    trivy: z.boolean().default(true),
    /** Pipeline policy: `FORCE_SECURITY_SCANNING` in the orchestrator. @default false */
    force_security_scanning: z.boolean().default(false),
    hostname: dnsName,
    tls_secret: k8sName.default('devtron-tls'),
  })
  .strict();

const kyverno = z
  .object({
    /** `Audit` first; `Enforce` once every production image is signed (the inventory switch). */
    mode: z.enum(['Audit', 'Enforce']).default('Audit'),
    policy_name: k8sName.default('verify-image-provenance'),
    rule_name: z.string().default('verify-image-keyless'),
    image_references: z.array(z.string().min(1)).min(1),
    /** Keyless attestor: the GitHub Actions OIDC issuer and the signing workflow identity. */
    issuer: httpsUrl.default('https://token.actions.githubusercontent.com'),
    subject: z.string().min(1).optional(),
    subject_regexp: z.string().min(1).optional(),
    rekor_url: httpsUrl.default('https://rekor.sigstore.dev'),
    /** Namespace where Kyverno honours PolicyExceptions (its `features.policyExceptions.namespace`). */
    exceptions_namespace: k8sName.default('kyverno'),
    emergency_exception: z
      .object({
        enabled: z.boolean().default(true),
        name: k8sName.default('allow-emergency-image'),
        namespaces: z.array(k8sName).default(['platform']),
        pod_names: z.array(z.string()).default(['emergency-pod-*']),
      })
      .strict()
      .default({ enabled: true, name: 'allow-emergency-image', namespaces: ['platform'], pod_names: ['emergency-pod-*'] }),
  })
  .strict()
  .refine((k) => (k.subject ? 1 : 0) + (k.subject_regexp ? 1 : 0) === 1, 'give exactly one of subject or subject_regexp');

const traefik = z
  .object({
    namespace: k8sName.default('traefik'),
    middleware_name: k8sName.default('authentik'),
    entry_points: z.array(z.string()).default(['websecure']),
    /** Paths that bypass ForwardAuth: Devtron's own Dex callback and its webhooks. */
    bypass_prefixes: z.array(z.string().startsWith('/')).default(['/orchestrator/api/dex/callback', '/orchestrator/webhook']),
  })
  .strict()
  .default({
    namespace: 'traefik',
    middleware_name: 'authentik',
    entry_points: ['websecure'],
    bypass_prefixes: ['/orchestrator/api/dex/callback', '/orchestrator/webhook'],
  });

const argocd = z
  .object({
    namespace: k8sName.default('argocd'),
    project: k8sName.default('default'),
    repo_url: z.string().min(1),
    revision: z.string().default('main'),
    /** Folder of `apps-root-<env>` in the GitOps repository. @default `envs/<env>` */
    root_path: z.string().optional(),
    /** Environments that get an ApplicationSet (`platform-<env>`). @default [the inventory's env] */
    environments: z.array(k8sName).optional(),
    /** Layers of each environment, in sync-wave order. */
    layers: z.array(z.object({ name: k8sName, path: z.string().min(1), wave: z.number().int() }).strict()).default([
      { name: 'foundation', path: 'foundation', wave: -1 },
      { name: 'platform', path: 'platform', wave: 0 },
      { name: 'apps', path: 'apps', wave: 1 },
    ]),
    retry_limit: z.number().int().min(0).default(5),
    /** ApplicationSet progressive sync (RollingSync, beta, turns autosync off on generated apps). @default false */
    rolling_sync: z.boolean().default(false),
  })
  .strict();

const prometheus = z
  .object({
    namespace: k8sName.default('argocd'),
    /** Labels the Prometheus `ruleSelector` matches. */
    rule_labels: z.record(z.string(), z.string()).default({ release: 'kube-prometheus-stack' }),
    /**
     * More `promtool test rules` files for the Argo CD alerts, relative to the inventory folder,
     * run with the component's own (`rules/argocd-alerts.test.yaml`); their `rule_files` is
     * `argocd-alerts.rules.yaml`. @default []
     */
    rule_tests: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .default({ namespace: 'argocd', rule_labels: { release: 'kube-prometheus-stack' }, rule_tests: [] });

const component = defineComponent({
  name: 'platform',
  description: 'the hardened Devtron platform: guardrails, identity, secrets, databases, operators, Devtron, CNPG, Kyverno, Traefik',
  vars: z.object({
    /** Environment name used in object names (`apps-root-<env>`). @default the inventory's name */
    env_name: k8sName.optional(),
    /**
     * A production environment: readiness treats a missing Argo CD Application, or one no Argo CD
     * controller reports on, as FAIL (elsewhere WARN: the sandbox runs no Argo CD). @default true
     */
    production: z.boolean().default(true),
    terraform,
    identity,
    secrets,
    database,
    operators: z.array(operator).default([]),
    devtron,
    cnpg,
    kyverno,
    traefik,
    argocd,
    prometheus,
    /**
     * Namespaces the play creates and the rollback deletes. Leave out namespaces another
     * owner manages (an operator's). @default every namespace the platform uses
     */
    managed_namespaces: z.array(k8sName).optional(),
    /**
     * Rollback also deletes the data: Devtron's databases, the CNPG cluster (its volumes) with its
     * superuser Secret, and the namespace holding them (`helix rollback platform --purge-data`).
     * @default false
     */
    purge_data: purgeData(),
    // Shared variables the sandbox inventory provides.
    postgres_host: z.string().optional(),
    postgres_port: z.number().int().optional(),
    postgres_user: z.string().optional(),
    postgres_password: secret().optional(),
  }),
});

export default component;

/** The validated variables every platform playbook receives. */
export type PlatformVars = VarsOf<typeof component>;
