import type { Secret } from 'helix';
import type { Manifest } from 'helix/modules/k8s';
import type { PlatformVars } from '../component.ts';
import { MANAGED_BY } from './context.ts';

/**
 * The platform's custom resources, built from the validated variables. Field names are the
 * upstream ones (platform-facts.md); README.md lists where they differ from the design.
 */

const meta = (name: string, namespace?: string, extra: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) => ({
  name,
  ...(namespace ? { namespace } : {}),
  labels: { ...MANAGED_BY, ...extra.labels },
  ...(extra.annotations ? { annotations: extra.annotations } : {}),
});

export function namespace(name: string): Manifest {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(name) };
}

/** The CNPG superuser Secret (basic-auth): Devtron's charts ask for user `postgres`. */
export function superuserSecret(v: PlatformVars, password: Secret): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta(`${v.cnpg.cluster_name}-superuser`, v.cnpg.namespace),
    type: 'kubernetes.io/basic-auth',
    // The user name is plain text, not from a secret source: diffs show it and it is not masked.
    data: { username: Buffer.from('postgres').toString('base64') },
    stringData: { password },
  };
}

export function cnpgCluster(v: PlatformVars): Manifest {
  const c = v.cnpg;
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: meta(c.cluster_name, c.namespace),
    spec: {
      instances: c.instances,
      ...(c.image_name ? { imageName: c.image_name } : {}),
      // Devtron's chart connects as `postgres`: the superuser needs a password (default: none).
      enableSuperuserAccess: true,
      superuserSecret: { name: `${c.cluster_name}-superuser` },
      storage: { size: c.storage_size, ...(c.storage_class ? { storageClass: c.storage_class } : {}) },
    },
  };
}

export function cnpgPooler(v: PlatformVars): Manifest {
  const p = v.cnpg.pooler;
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Pooler',
    metadata: meta(p.name, v.cnpg.namespace),
    spec: {
      cluster: { name: v.cnpg.cluster_name },
      instances: p.instances,
      type: 'rw',
      pgbouncer: {
        poolMode: p.pool_mode,
        // map[string]string: numbers are quoted.
        parameters: { max_client_conn: String(p.max_client_conn), default_pool_size: String(p.default_pool_size) },
      },
    },
  };
}

/** The Pooler has no PDB field and the operator makes PDBs only for Clusters: a separate object. */
export function poolerPdb(v: PlatformVars): Manifest {
  const p = v.cnpg.pooler;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: meta(p.name, v.cnpg.namespace),
    spec: { minAvailable: p.pdb_min_available, selector: { matchLabels: { 'cnpg.io/poolerName': p.name } } },
  };
}

/** Kyverno keyless image verification. Audit needs `mutateDigest: false`; Enforce turns it on. */
export function imagePolicy(v: PlatformVars): Manifest {
  const k = v.kyverno;
  const enforce = k.mode === 'Enforce';
  return {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: meta(k.policy_name, undefined, { annotations: { 'policies.kyverno.io/title': 'Verify image provenance (cosign keyless)' } }),
    spec: {
      background: false,
      webhookConfiguration: { timeoutSeconds: 30 },
      rules: [
        {
          name: k.rule_name,
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [
            {
              imageReferences: k.image_references,
              failureAction: k.mode,
              mutateDigest: enforce,
              verifyDigest: true,
              required: true,
              attestors: [
                {
                  count: 1,
                  entries: [
                    {
                      keyless: {
                        issuer: k.issuer,
                        ...(k.subject ? { subject: k.subject } : { subjectRegExp: k.subject_regexp }),
                        rekor: { url: k.rekor_url },
                      },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

/** The emergency bypass. Honoured only when Kyverno runs with PolicyExceptions enabled for this namespace. */
export function policyException(v: PlatformVars): Manifest {
  const k = v.kyverno;
  const e = k.emergency_exception;
  return {
    apiVersion: 'kyverno.io/v2',
    kind: 'PolicyException',
    metadata: meta(e.name, k.exceptions_namespace),
    spec: {
      exceptions: [{ policyName: k.policy_name, ruleNames: [k.rule_name] }],
      match: { any: [{ resources: { kinds: ['Pod'], namespaces: e.namespaces, names: e.pod_names } }] },
    },
  };
}

export const AUTHENTIK_HEADERS = ['X-authentik-username', 'X-authentik-groups', 'X-authentik-email', 'X-authentik-name', 'X-authentik-uid', 'X-authentik-jwt'];

export function forwardAuthMiddleware(v: PlatformVars): Manifest {
  const i = v.identity;
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'Middleware',
    metadata: meta(v.traefik.middleware_name, v.traefik.namespace),
    spec: {
      forwardAuth: {
        address: `http://${i.outpost_service}.${i.outpost_namespace}.svc.cluster.local:${i.outpost_port}/outpost.goauthentik.io/auth/traefik`,
        trustForwardHeader: true,
        authResponseHeaders: AUTHENTIK_HEADERS,
      },
    },
  };
}

/** Devtron's dashboard through ForwardAuth; Authentik's outpost path and Devtron's own callbacks bypass it. */
export function dashboardRoute(v: PlatformVars): Manifest {
  const host = v.devtron.hostname;
  const t = v.traefik;
  const devtronService = { name: 'devtron-service', port: 80 };
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: meta('devtron', v.devtron.namespace),
    spec: {
      entryPoints: t.entry_points,
      routes: [
        {
          kind: 'Rule',
          match: `Host(\`${host}\`) && PathPrefix(\`/outpost.goauthentik.io/\`)`,
          services: [{ name: v.identity.outpost_service, namespace: v.identity.outpost_namespace, port: v.identity.outpost_port }],
        },
        ...t.bypass_prefixes.map((p) => ({ kind: 'Rule', match: `Host(\`${host}\`) && PathPrefix(\`${p}\`)`, services: [devtronService] })),
        {
          kind: 'Rule',
          match: `Host(\`${host}\`)`,
          middlewares: [{ name: t.middleware_name, namespace: t.namespace }],
          services: [devtronService],
        },
      ],
      tls: { secretName: v.devtron.tls_secret },
    },
  };
}

/** Argo CD alerts on the metrics Argo CD really exports (argocd_app_info gauge, argocd_app_sync_total counter). */
export function argoRules(v: PlatformVars): Manifest {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: meta('argocd-alerts', v.prometheus.namespace, { labels: v.prometheus.rule_labels }),
    spec: {
      groups: [
        {
          name: 'argocd',
          rules: [
            {
              alert: 'ArgoAppSyncFailed',
              expr: 'increase(argocd_app_sync_total{phase=~"Failed|Error"}[10m]) > 0',
              for: '1m',
              labels: { severity: 'critical' },
              annotations: { summary: '{{ $labels.name }} failed to sync' },
            },
            {
              alert: 'ArgoAppConfigurationDrift',
              expr: 'argocd_app_info{sync_status="OutOfSync"} == 1',
              for: '15m',
              labels: { severity: 'warning' },
              annotations: { summary: '{{ $labels.name }} is out of sync' },
            },
            {
              alert: 'ArgoAppHealthDegraded',
              expr: 'argocd_app_info{health_status!~"Healthy|Progressing"} == 1',
              for: '5m',
              labels: { severity: 'critical' },
              annotations: { summary: '{{ $labels.name }} is {{ $labels.health_status }}' },
            },
          ],
        },
      ],
    },
  };
}

function syncPolicy(v: PlatformVars) {
  return {
    automated: { prune: true, selfHeal: true },
    syncOptions: ['CreateNamespace=true', 'ServerSideApply=true'],
    retry: { limit: v.argocd.retry_limit, backoff: { duration: '5s', factor: 2, maxDuration: '3m' } },
  };
}

/** `apps-root-<env>`: the app-of-apps that syncs the environment's folder of the GitOps repository. */
export function rootApplication(v: PlatformVars, envName: string): Manifest {
  const a = v.argocd;
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: meta(`apps-root-${envName}`, a.namespace, { annotations: { 'argocd.argoproj.io/sync-wave': '0' } }),
    spec: {
      project: a.project,
      source: { repoURL: a.repo_url, targetRevision: a.revision, path: a.root_path ?? `envs/${envName}` },
      destination: { server: 'https://kubernetes.default.svc', namespace: a.namespace },
      syncPolicy: syncPolicy(v),
    },
  };
}

/**
 * `platform-<env>`: one Application per layer. Sync-wave annotations order the generated
 * Applications only inside a parent sync; RollingSync (opt-in, beta) orders them by layer.
 */
export function applicationSet(v: PlatformVars, targetEnv: string): Manifest {
  const a = v.argocd;
  const layers = [...a.layers].sort((x, y) => x.wave - y.wave);
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: meta(`platform-${targetEnv}`, a.namespace, { annotations: { 'argocd.argoproj.io/sync-wave': '1' } }),
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ list: { elements: layers.map((l) => ({ layer: l.name, path: l.path, wave: String(l.wave) })) } }],
      ...(a.rolling_sync
        ? {
            strategy: {
              type: 'RollingSync',
              rollingSync: { steps: layers.map((l) => ({ matchExpressions: [{ key: 'platform.helix.dev/layer', operator: 'In', values: [l.name] }] })) },
            },
          }
        : {}),
      syncPolicy: { preserveResourcesOnDeletion: true },
      template: {
        metadata: {
          name: `{{.layer}}-${targetEnv}`,
          labels: { ...MANAGED_BY, 'platform.helix.dev/layer': '{{.layer}}', 'platform.helix.dev/env': targetEnv },
          annotations: { 'argocd.argoproj.io/sync-wave': '{{.wave}}' },
        },
        spec: {
          project: a.project,
          source: { repoURL: a.repo_url, targetRevision: a.revision, path: `envs/${targetEnv}/{{.path}}` },
          destination: { server: 'https://kubernetes.default.svc', namespace: `{{.layer}}-${targetEnv}` },
          syncPolicy: a.rolling_sync ? { syncOptions: syncPolicy(v).syncOptions, retry: syncPolicy(v).retry } : syncPolicy(v),
        },
      },
    },
  };
}

/** Authentik OIDC client data for Devtron (set through Devtron's SSO API, not chart values) and Traefik. */
export function identityConfig(v: PlatformVars): Manifest {
  const host = v.devtron.hostname;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('platform-identity', v.devtron.namespace),
    data: {
      issuer: v.identity.issuer,
      client_id: v.identity.client_id,
      redirect_uri: `https://${host}/orchestrator/api/dex/callback`,
      devtron_sso_url: `https://${host}/orchestrator`,
      outpost_address: `http://${v.identity.outpost_service}.${v.identity.outpost_namespace}.svc.cluster.local:${v.identity.outpost_port}`,
    },
  };
}

export function oidcClientSecret(v: PlatformVars, clientSecret: Secret): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: meta('platform-oidc-client', v.devtron.namespace),
    type: 'Opaque',
    stringData: { client_secret: clientSecret },
  };
}
