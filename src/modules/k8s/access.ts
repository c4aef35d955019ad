import type { KubeAccess, KubeVerb } from '../../runtime/task.ts';
import { isStaticSource, loadSource, type ManifestSource } from './source.ts';
import type { Manifest } from './types.ts';
import { NAMESPACED_KINDS } from './validate.ts';

/**
 * What each k8s task may do to the objects it names, as RBAC verbs: the in-cluster runner's
 * Role is derived from these (src/oncluster/rbac.ts), so a verb missing here is a 403 there.
 */
export const VERBS = {
  /** Read one object, or the objects of its kind in its namespace (the live-object cache lists). */
  read: ['get', 'list', 'watch'],
  /** Server-side apply: a PATCH that creates what is absent, after reads and a dry run. */
  apply: ['get', 'list', 'watch', 'create', 'patch', 'update'],
  /** Delete, then read until gone. */
  delete: ['get', 'list', 'watch', 'delete'],
} as const satisfies Record<string, readonly KubeVerb[]>;

/** The objects of manifests, each with `verbs`; a namespaced kind without namespace takes `namespace`. */
export function manifestAccess(docs: readonly unknown[], namespace: string | undefined, verbs: readonly KubeVerb[]): KubeAccess[] {
  return docs.map((doc) => {
    const m = doc as Manifest;
    const ns = m.metadata?.namespace ?? (namespace && NAMESPACED_KINDS.has(m.kind) ? namespace : undefined);
    return { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata?.name, ...(ns ? { namespace: ns } : {}), verbs };
  });
}

/** A manifest source's objects, or why they are not known before the run. */
export function sourceAccess(src: ManifestSource, namespace: string | undefined, verbs: readonly KubeVerb[]): KubeAccess[] | string {
  if (!isStaticSource(src)) return 'its manifests are computed at run time';
  return manifestAccess(loadSource(src), namespace, verbs);
}
