import { definePlaybook } from 'helix';
import * as helm from 'helix/modules/helm';
import * as k8s from 'helix/modules/k8s';
import type { Manifest } from 'helix/modules/k8s';
import * as postgres from 'helix/modules/postgres';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';
import {
  applicationSet,
  argoRules,
  cnpgCluster,
  cnpgPooler,
  dashboardRoute,
  forwardAuthMiddleware,
  identityConfig,
  imagePolicy,
  namespace,
  policyException,
  poolerPdb,
  rootApplication,
} from './lib/manifests.ts';

// How each object is deleted (its propagation) is k8s.remove's per-kind default.
const ref = (m: Manifest) => ({
  apiVersion: m.apiVersion,
  kind: m.kind,
  name: m.metadata.name,
  ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
});

/**
 * Removes what the play created, in reverse order. The data stays unless `purge_data` is set
 * (`helix rollback platform --purge-data`), as for every component: Devtron's databases, the
 * CNPG cluster (whose volumes hold them) with its superuser Secret, and the cluster's namespace.
 * CRDs are never removed (other workloads' objects depend on them).
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  const v = p.v;
  const envs = v.argocd.environments ?? [p.envName];
  return [
    k8s.remove('dashboard-route', ref(dashboardRoute(v))),
    k8s.remove('forward-auth', ref(forwardAuthMiddleware(v))),
    k8s.remove('emergency-exception', ref(policyException(v))),
    k8s.remove('image-policy', ref(imagePolicy(v))),
    k8s.remove('pooler-pdb', ref(poolerPdb(v))),
    k8s.remove('pooler', ref(cnpgPooler(v))),
    ...(v.purge_data ? [k8s.remove('cluster', ref(cnpgCluster(v)))] : []),
    helm.uninstall(v.devtron.release, { namespace: v.devtron.namespace, wait: true }),
    ...envs.map((e) => k8s.remove(`applicationset-${e}`, ref(applicationSet(v, e)))),
    k8s.remove('apps-root', ref(rootApplication(v, p.envName))),
    k8s.remove('prometheus-rules', ref(argoRules(v))),
    ...[...v.operators].reverse().map((o) => helm.uninstall(o.release, { namespace: o.namespace, wait: true })),
    ...(v.purge_data
      ? [k8s.remove('database-superuser-secret', { apiVersion: 'v1', kind: 'Secret', name: `${v.cnpg.cluster_name}-superuser`, namespace: v.cnpg.namespace })]
      : []),
    k8s.remove('oidc-client-secret', { apiVersion: 'v1', kind: 'Secret', name: 'platform-oidc-client', namespace: v.devtron.namespace }),
    k8s.remove('identity-config', ref(identityConfig(v))),
    ...v.database.names.map((name) => postgres.dropDatabase(name, { connection: (ctx) => p.pg(ctx), when: () => v.purge_data })),
    ...p.managedNamespaces.filter((ns) => v.purge_data || ns !== v.cnpg.namespace).map((ns) => k8s.remove(`namespace-${ns}`, ref(namespace(ns)))),
  ];
});
