import type { KubeObject, KubeRef } from './types.ts';

/** Placeholder namespace segment of a cluster-scoped object's target. */
export const CLUSTER_SCOPE = '_';

/**
 * The stable change target of an object: `k8s:<apiVersion>/<Kind>/<namespace>/<name>`, with
 * `_` as the namespace of cluster-scoped objects, so every target has the same shape:
 * `k8s:apps/v1/Deployment/devpi/redis`, `k8s:v1/Namespace/_/devpi`.
 */
export function targetOf(ref: KubeRef): string {
  return `k8s:${ref.apiVersion}/${ref.kind}/${ref.namespace ?? CLUSTER_SCOPE}/${ref.name}`;
}

/** The target of a Namespace. */
export function namespaceTarget(namespace: string): string {
  return targetOf({ apiVersion: 'v1', kind: 'Namespace', name: namespace });
}

/** `<plural>.<group>`, the name of the CRD that defines a kind (when its plural is known). */
export function crdTarget(name: string): string {
  return targetOf({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });
}

export function refOf(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): KubeRef {
  const ref: KubeRef = { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name };
  if (obj.metadata.namespace) ref.namespace = obj.metadata.namespace;
  return ref;
}

/** `Deployment devpi/redis`, `Namespace devpi`: for reasons and messages. */
export function describeRef(ref: KubeRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}`;
}

/** `apps/v1` → `{ group: 'apps', version: 'v1' }`; `v1` → core group `''`. */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
