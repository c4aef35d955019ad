import { VERSIONS } from '../sandbox/versions.ts';

/**
 * Where the upstream CustomResourceDefinitions come from: each project's own Go module, at a
 * pinned version, fetched with `go mod download` from the Go module proxy. The files are the
 * project's published CRD manifests, not copies kept in this repository.
 */
export interface CrdSource {
  /** Short id used by callers: `cnpg`, `kyverno`, … */
  id: CrdSet;
  module: string;
  version: string;
  /** Files inside the module (folders end with `/` and take every `*.yaml` in them). */
  paths: readonly string[];
  /** What the set provides, for messages. */
  provides: string;
  /** A newer Go than the machine's that the module's go.mod asks for (`go mod download` fetches it once). @default the machine's */
  toolchain?: string;
}

export const CRD_SETS = ['cnpg', 'kyverno', 'traefik', 'gateway-api', 'prometheus-operator', 'argo-cd', 'argo-workflows'] as const;
export type CrdSet = (typeof CRD_SETS)[number];

export const CRD_SOURCES: Readonly<Record<CrdSet, CrdSource>> = {
  cnpg: {
    id: 'cnpg',
    module: 'github.com/cloudnative-pg/cloudnative-pg',
    version: 'v1.30.0',
    paths: ['config/crd/bases/'],
    provides: 'postgresql.cnpg.io (Cluster, Pooler, Database, …)',
  },
  kyverno: {
    id: 'kyverno',
    module: 'github.com/kyverno/kyverno',
    version: 'v1.19.0',
    paths: ['config/crds/kyverno/', 'config/crds/policies.kyverno.io/', 'config/crds/policyreport/', 'config/crds/reports/'],
    provides: 'kyverno.io (ClusterPolicy, PolicyException, …), policies.kyverno.io, wgpolicyk8s.io',
  },
  traefik: {
    id: 'traefik',
    module: 'github.com/traefik/traefik/v3',
    version: 'v3.7.9',
    // The per-kind files; kubernetes-crd-definition-v1.yml beside them is the same set in one file.
    paths: [
      'docs/content/reference/dynamic-configuration/traefik.io_ingressroutes.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_ingressroutetcps.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_ingressrouteudps.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_middlewares.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_middlewaretcps.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_serverstransports.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_serverstransporttcps.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_tlsoptions.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_tlsstores.yaml',
      'docs/content/reference/dynamic-configuration/traefik.io_traefikservices.yaml',
    ],
    provides: 'traefik.io (IngressRoute, Middleware, …)',
  },
  'gateway-api': {
    id: 'gateway-api',
    // The standard channel of the release the sandbox's Traefik 3.6 implements.
    module: 'sigs.k8s.io/gateway-api',
    version: 'v1.4.1',
    paths: [
      'config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml',
      'config/crd/standard/gateway.networking.k8s.io_gateways.yaml',
      'config/crd/standard/gateway.networking.k8s.io_httproutes.yaml',
      'config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml',
      'config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml',
      'config/crd/standard/gateway.networking.k8s.io_backendtlspolicies.yaml',
    ],
    provides: 'gateway.networking.k8s.io (GatewayClass, Gateway, HTTPRoute, …)',
  },
  'prometheus-operator': {
    id: 'prometheus-operator',
    module: 'github.com/prometheus-operator/prometheus-operator',
    version: 'v0.93.0',
    paths: ['example/prometheus-operator-crd/'],
    provides: 'monitoring.coreos.com (PrometheusRule, ServiceMonitor, …)',
  },
  'argo-cd': {
    id: 'argo-cd',
    module: 'github.com/argoproj/argo-cd/v3',
    // The version the sandbox's Argo CD is built from (src/sandbox/build.ts ARGO_CD_BUILD).
    version: `v${VERSIONS.argoCd}`,
    // 3.6's go.mod says go 1.27, as ARGO_CD_BUILD's toolchain.
    toolchain: 'go1.27.3',
    paths: ['manifests/crds/application-crd.yaml', 'manifests/crds/applicationset-crd.yaml', 'manifests/crds/appproject-crd.yaml'],
    provides: 'argoproj.io (Application, ApplicationSet, AppProject)',
  },
  'argo-workflows': {
    id: 'argo-workflows',
    // v4 is not served by the module proxy; v3.7 is the newest line it serves.
    module: 'github.com/argoproj/argo-workflows/v3',
    version: 'v3.7.9',
    // The "minimal" CRDs are what upstream's install manifests (and Devtron's chart) use; the
    // "full" Workflow CRD is 3 MB, beyond what etcd stores in one object.
    paths: ['manifests/base/crds/minimal/'],
    provides: 'argoproj.io (Workflow, WorkflowTemplate, CronWorkflow, …)',
  },
};
