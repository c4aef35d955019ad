/**
 * helix's public API for playbooks, roles and task modules.
 * Playbooks import from 'helix'; modules from 'helix/modules/<name>'.
 */
export type { Change, ChangeAction } from './runtime/change.ts';
export { changeKey } from './runtime/change.ts';
export type { Env, HostSpec, HostTarget, KubeSettings } from './runtime/env.ts';
export {
  ConfigError,
  HelixError,
  InternalError,
  TargetError,
  TaskError,
  UnknownUntilApplied,
  ValidationError,
  type Problem,
} from './runtime/errors.ts';
export { each, type EachResult } from './runtime/each.ts';
export { collect, EventBus, type Recap, type RunEvent } from './runtime/events.ts';
export { defineComponent, definePlaybook, purgeData, secret, type Component, type PlaybookBody, type Playbook, type VarsOf } from './runtime/playbook.ts';
export { cacheDir } from './runtime/paths.ts';
export { prepare, run, type RunOptions } from './runtime/run.ts';
export { isSecret, markSecret, mask, Secret } from './runtime/secret.ts';
export {
  block,
  defineTask,
  group,
  isStatic,
  isUnchanged,
  noChange,
  noChangeUnknownResult,
  resolve,
  splitOptions,
  unchanged,
  type Group,
  type Input,
  type Plan,
  type Step,
  type Task,
  type TaskContext,
  type TaskOptions,
  type Unchanged,
} from './runtime/task.ts';
