/**
 * What a task will do (or did) to one object. Check mode and the real run produce the
 * same `Change` values; `--check` is trustworthy exactly when these sets are equal.
 */
export interface Change {
  /** What is changed, namespaced by module: `k8s:apps/v1/Deployment/devpi/redis`, `file:host1:/etc/x`. */
  target: string;
  action: ChangeAction;
  /** One line for humans: `replicas 1 -> 2`, `create client devpi`. */
  summary?: string;
  /** Text before and after (already masked), for `--diff`. */
  diff?: { before: string; after: string };
}

export const CHANGE_ACTIONS = ['create', 'update', 'delete', 'run'] as const;
export type ChangeAction = (typeof CHANGE_ACTIONS)[number];

/** A stable key for comparing plans: check-mode predictions against the real run. */
export function changeKey(change: Change): string {
  return `${change.action} ${change.target}`;
}
