import type { Env } from '../../runtime/env.ts';
import type { TaskContext } from '../../runtime/task.ts';
import type { Manifest } from './types.ts';

/** The labels that say helix applied an object, for which component and environment. */
export const OWNERSHIP_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  component: 'helix.dev/component',
  env: 'helix.dev/env',
} as const;

/** Memo key of the targets the apply tasks of this run declared (changed or not). */
export const DECLARED_KEY = 'k8s:declared';

/**
 * The manifest with helix's ownership labels, when the run is for a component (`helix play`;
 * module tests without a component apply manifests as given). `managed-by` is set only when
 * the manifest does not name a manager itself; component and env always win.
 */
export function withOwnership(m: Manifest, env: Pick<Env, 'name' | 'component'>): Manifest {
  if (!env.component) return m;
  const labels = {
    [OWNERSHIP_LABELS.managedBy]: 'helix',
    ...m.metadata.labels,
    [OWNERSHIP_LABELS.component]: env.component,
    [OWNERSHIP_LABELS.env]: env.name,
  };
  return { ...m, metadata: { ...m.metadata, labels } };
}

/** `helix.dev/component=devpi,helix.dev/env=prod,app.kubernetes.io/managed-by=helix`. */
export function ownershipSelector(component: string, env: string): string {
  return `${OWNERSHIP_LABELS.component}=${component},${OWNERSHIP_LABELS.env}=${env},${OWNERSHIP_LABELS.managedBy}=helix`;
}

/** Targets (`k8s:apps/v1/Deployment/devpi/redis`) the apply tasks of this run declared. */
export function declaredObjects(ctx: Pick<TaskContext, 'memo'>): Set<string> {
  return ctx.memo(DECLARED_KEY, () => new Set<string>());
}
