import { rawKube } from '../crds/kube.ts';
import type { KubeSettings } from '../runtime/env.ts';
import { TargetError } from '../runtime/errors.ts';

/** A live object as JSON. */
export type Obj = { apiVersion?: string; kind?: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

/** The read-only seam the live checks use; unit tests pass a fake. */
export interface KubeReader {
  /** The object, or undefined when absent (or its kind is not served). */
  get(kind: KnownKind, name: string, namespace?: string): Promise<Obj | undefined>;
  /** Objects of a kind, in a namespace or cluster-wide. */
  list(kind: KnownKind, namespace?: string): Promise<Obj[]>;
}

/** The kinds the checks read: group/version and plural, so no discovery round-trips are needed. */
export const KINDS = {
  Namespace: { path: '/api/v1', plural: 'namespaces', namespaced: false },
  Node: { path: '/api/v1', plural: 'nodes', namespaced: false },
  Service: { path: '/api/v1', plural: 'services', namespaced: true },
  Pod: { path: '/api/v1', plural: 'pods', namespaced: true },
  ConfigMap: { path: '/api/v1', plural: 'configmaps', namespaced: true },
  Secret: { path: '/api/v1', plural: 'secrets', namespaced: true },
  Deployment: { path: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  StatefulSet: { path: '/apis/apps/v1', plural: 'statefulsets', namespaced: true },
  PodDisruptionBudget: { path: '/apis/policy/v1', plural: 'poddisruptionbudgets', namespaced: true },
  Cluster: { path: '/apis/postgresql.cnpg.io/v1', plural: 'clusters', namespaced: true },
  Pooler: { path: '/apis/postgresql.cnpg.io/v1', plural: 'poolers', namespaced: true },
  ClusterPolicy: { path: '/apis/kyverno.io/v1', plural: 'clusterpolicies', namespaced: false },
  PolicyException: { path: '/apis/kyverno.io/v2', plural: 'policyexceptions', namespaced: true },
  Middleware: { path: '/apis/traefik.io/v1alpha1', plural: 'middlewares', namespaced: true },
  IngressRoute: { path: '/apis/traefik.io/v1alpha1', plural: 'ingressroutes', namespaced: true },
  PrometheusRule: { path: '/apis/monitoring.coreos.com/v1', plural: 'prometheusrules', namespaced: true },
  Application: { path: '/apis/argoproj.io/v1alpha1', plural: 'applications', namespaced: true },
  ApplicationSet: { path: '/apis/argoproj.io/v1alpha1', plural: 'applicationsets', namespaced: true },
} as const;
export type KnownKind = keyof typeof KINDS;

function url(kind: KnownKind, namespace?: string, name?: string): string {
  const k = KINDS[kind];
  const ns = k.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${k.path}${ns}/${k.plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

/** The real reader, from an environment's kubeconfig. */
export function kubeReader(kube: KubeSettings | undefined): KubeReader {
  const kubeconfig = kube?.kubeconfig ?? process.env.KUBECONFIG;
  if (!kubeconfig) throw new TargetError('kubernetes', 'the environment names no kubeconfig (and KUBECONFIG is not set)');
  const client = rawKube(kubeconfig, kube?.context);
  return {
    get: async (kind, name, namespace) => {
      const r = await client.request('GET', url(kind, namespace, name));
      if (r.status === 404) return undefined;
      if (r.status !== 200) throw new TargetError(`kubernetes ${kind} ${name}`, `HTTP ${r.status}: ${String(r.body.message)}`);
      return r.body as Obj;
    },
    list: async (kind, namespace) => {
      const r = await client.request('GET', url(kind, namespace));
      if (r.status === 404) return [];
      if (r.status !== 200) throw new TargetError(`kubernetes ${kind}`, `HTTP ${r.status}: ${String(r.body.message)}`);
      return (r.body.items ?? []) as Obj[];
    },
  };
}
