import { ConfigError } from '../../runtime/errors.ts';
import type { KubeClient } from './client.ts';
import type { KubeRef } from './types.ts';
import { checkManifest, CLUSTER_KINDS } from './validate.ts';

/** How tasks that act on one existing object name it. */
export interface RefOptions {
  /** `apps/v1`, `v1`, `example.com/v1alpha1`. */
  apiVersion: string;
  kind: string;
  /** The object's name (not the task's). */
  name: string;
  /** Required for namespaced kinds. */
  namespace?: string;
}

export function refFrom(o: RefOptions): KubeRef {
  const ref: KubeRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.name };
  if (o.namespace && !CLUSTER_KINDS.has(o.kind)) ref.namespace = o.namespace;
  return ref;
}

/** Static checks of a reference: the same rules as a manifest's. */
export function refProblems(o: Partial<RefOptions>): string[] {
  return checkManifest({ apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } }, 0).map((p) =>
    p
      .replace(/^[^:]+: /, '')
      .replace(" (or the task's namespace option)", '')
      .replace('metadata.name', 'name')
      .replace('metadata.namespace', 'namespace'),
  );
}

/** Fails clearly when a namespaced kind is named without its namespace. */
export async function checkScope(client: KubeClient, ref: KubeRef): Promise<KubeRef> {
  const info = await client.resource(ref.apiVersion, ref.kind);
  if (info?.namespaced && !ref.namespace) throw new ConfigError(`${ref.kind} ${ref.name} is namespaced: give its namespace`);
  if (info && !info.namespaced && ref.namespace) {
    const { namespace: _ns, ...cluster } = ref;
    return cluster;
  }
  return ref;
}
