import type { Secret } from '../../runtime/secret.ts';

/**
 * A Kubernetes object as JSON. `any` stays at this parsing boundary: manifests come from
 * YAML and API responses, and validation narrows what helix relies on (apiVersion, kind,
 * metadata.name/namespace).
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: any;
}

/**
 * A manifest as a playbook writes it: like a {@link KubeObject}, but a Secret's `data` and
 * `stringData` values may be {@link Secret}s. They are revealed only into the request body
 * (a Secret in `data` is base64-encoded for you; a string in `data` must already be base64).
 */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: KubeObject['metadata'];
  data?: Record<string, string | Secret>;
  stringData?: Record<string, string | Secret>;
  [key: string]: any;
}

/** Identifies one object: `apps/v1` `Deployment` `devpi` `redis`. */
export interface KubeRef {
  apiVersion: string;
  kind: string;
  name: string;
  /** Absent for cluster-scoped kinds. */
  namespace?: string;
}

/** What discovery says about a kind. */
export interface ResourceInfo {
  /** Plural resource name used in URLs: `deployments`. */
  plural: string;
  namespaced: boolean;
  kind: string;
}
