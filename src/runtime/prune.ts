import type { Task } from './task.ts';

/** What `--prune` cleans up after: one component in one environment. */
export interface PruneScope {
  /** The component's name, as its objects are labelled. */
  component: string;
  /** The environment's name, as its objects are labelled. */
  env: string;
  /** Change targets that earlier runs of this (component, env) recorded in the journal. */
  journalTargets: readonly string[];
}

/**
 * A module that can find what helix created for a component and remove what the playbooks no
 * longer declare (`helix play --prune`). Its task runs after a successful run, as the last
 * playbook (`<component>/prune`), so its deletes are planned in a check and journalled in a
 * real run like any change. See docs/decisions/004-prune.md.
 */
export interface Pruner {
  /** The module: `k8s`. Also the prune task's name. */
  readonly name: string;
  task(scope: PruneScope): Task<unknown>;
}

const pruners = new Map<string, Pruner>();

/** Called by a module when it is loaded; the runtime itself knows no module. */
export function registerPruner(pruner: Pruner): void {
  pruners.set(pruner.name, pruner);
}

/** The pruners of the modules this process loaded, in registration order. */
export function registeredPruners(): Pruner[] {
  return [...pruners.values()];
}
