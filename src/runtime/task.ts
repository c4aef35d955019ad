import type { Change } from './change.ts';
import type { Env, HostTarget } from './env.ts';

/**
 * The context a task plans and applies in. It gives access to the environment, the host,
 * earlier tasks' results and per-run shared clients. It deliberately does not say whether
 * the run is a check: a task plans the same way in both, and the engine decides whether
 * to apply.
 */
export interface TaskContext {
  /** Stable path of the task: `devpi/30_redis/ephemeral-redis/deployment`. */
  readonly path: string;
  readonly env: Env;
  readonly host: HostTarget;
  readonly signal: AbortSignal;
  /** The typed result of an earlier task on this host (or on `localhost`). */
  result<Out>(task: Task<Out>): Out;
  /** One value per run and key: API clients, discovery caches, SSH sessions. */
  memo<T>(key: string, make: () => T): T;
  /**
   * True when an earlier task of this run planned to create `target` without applying it
   * (a check run). Lets a task plan on top of objects that only exist in the prediction,
   * e.g. a Deployment in a namespace the run will create.
   */
  plannedCreate(target: string): boolean;
  /**
   * True when an earlier task of this run planned to delete `target` without applying it (a
   * check run), so a task can plan on top of the prediction: a folder removed only when empty
   * is empty once the files an earlier task removes are gone.
   */
  plannedDelete?(target: string): boolean;
  /**
   * A counter the engine raises whenever a task of this run applies changes or is attempted
   * again (a retry, an `until` loop). Facts read while it stays the same still describe the
   * target as this run left it, so a module may read many objects at once and reuse them across
   * tasks (the k8s module lists a kind once per namespace). Absent: read right before planning.
   */
  generation?(): number;
  log(message: string, level?: 'info' | 'warn'): void;
}

/** What a task found: nothing to do (with the reason), or changes and how to make them. */
export type Plan<Out> =
  | { readonly changes: readonly []; readonly reason: string; readonly result: Out }
  | {
      readonly changes: readonly Change[];
      /** Makes the changes. May return {@link unchanged} when doing the work showed nothing changed. */
      readonly apply: () => Promise<Out | Unchanged<Out>>;
      /** The result a check run reports to later tasks, when it can be known before applying. */
      readonly predicted?: Out;
      /** A raw command that cannot tell whether it is needed; reported in the recap. */
      readonly notIdempotent?: boolean;
    };

/** Options every task takes, whatever its module. */
export interface TaskOptions<Out = unknown> {
  /** Run the task only when this returns true (evaluated on each host, at run time). */
  when?: (ctx: TaskContext) => boolean;
  /** Tags for `--tags`. A task inherits the tags of its playbook and groups. */
  tags?: readonly string[];
  /**
   * Re-plan and re-apply until `until` returns true or the attempts run out.
   * @default 0 (one attempt)
   */
  retries?: number;
  /** Milliseconds between attempts; doubled each time, with jitter. @default 1000 */
  delayMs?: number;
  /** Success condition on the result, checked after each attempt. */
  until?(result: Out): boolean;
  /** Handlers to run once at the end of the playbook when this task changed something. */
  notify?: readonly Task<unknown>[];
  /** Report a failure but carry on with the host. @default false */
  ignoreErrors?: boolean;
}

/** A typed, declarative unit with a stable name. Modules create these; playbooks list them. */
export interface Task<Out = unknown> {
  readonly type: 'task';
  /** Module and task type: `k8s.apply`, `exec.run`. */
  readonly kind: string;
  /** Name within its parent (playbook or group); the last segment of the path. */
  readonly name: string;
  readonly options: TaskOptions<Out>;
  /** Static checks, with no IO, run for every task before anything is touched. */
  validate?(report: (message: string) => void): void;
  plan(ctx: TaskContext): Promise<Plan<Out>>;
  /**
   * Checks against the target that need no change, run for every task before the first
   * apply (e.g. a server-side dry run that catches a manifest the API schema rejects).
   * Returns problems; an empty list means the task may run.
   */
  preflight?(ctx: TaskContext): Promise<string[]>;
  /**
   * The Kubernetes objects the task reads or changes, known without running anything: what an
   * in-cluster run's RBAC is derived from (`helix play --on-cluster`, src/oncluster/rbac.ts). A
   * string says why it cannot be known before the run (objects computed from earlier results).
   * Absent: the task touches no Kubernetes object.
   */
  kubeAccess?(): readonly KubeAccess[] | string;
}

/** The verbs an in-cluster run may be granted on a kind (Kubernetes RBAC verbs). */
export type KubeVerb = 'get' | 'list' | 'watch' | 'create' | 'patch' | 'update' | 'delete';

/** One object (or, without `name`, every object of a kind in a namespace) a task reads or changes. */
export interface KubeAccess {
  readonly apiVersion: string;
  readonly kind: string;
  /** Absent for cluster-scoped kinds, and for a namespaced kind listed in every namespace. */
  readonly namespace?: string;
  /** Absent: any object of the kind (a list). */
  readonly name?: string;
  readonly verbs: readonly KubeVerb[];
}

/** A named scope: a role call, or a block with rescue/always steps. */
export interface Group {
  readonly type: 'group';
  readonly name: string;
  readonly steps: readonly Step[];
  /** Run when a step of `steps` fails; the host recovers if these succeed. */
  readonly rescue?: readonly Step[];
  /** Run after `steps` (and `rescue`) whatever happened. */
  readonly always?: readonly Step[];
  readonly when?: (ctx: TaskContext) => boolean;
  readonly tags?: readonly string[];
}

export type Step = Task<any> | Group;

/** Splits the common task options out of a module's option object. */
export function splitOptions<O extends TaskOptions<any>>(all: O): [Omit<O, keyof TaskOptions>, TaskOptions<any>] {
  const { when, tags, retries, delayMs, until, notify, ignoreErrors, ...rest } = all;
  const common: TaskOptions<any> = {};
  if (when) common.when = when;
  if (tags) common.tags = tags;
  if (retries !== undefined) common.retries = retries;
  if (delayMs !== undefined) common.delayMs = delayMs;
  if (until) common.until = until;
  if (notify) common.notify = notify;
  if (ignoreErrors !== undefined) common.ignoreErrors = ignoreErrors;
  return [rest, common];
}

/** Defines a task from its kind, name, options and behaviour. */
export function defineTask<Out>(spec: {
  kind: string;
  name: string;
  options?: TaskOptions<Out>;
  validate?: (report: (message: string) => void) => void;
  plan: (ctx: TaskContext) => Promise<Plan<Out>>;
  preflight?: (ctx: TaskContext) => Promise<string[]>;
  kubeAccess?: () => readonly KubeAccess[] | string;
}): Task<Out> {
  const task: Task<Out> = {
    type: 'task',
    kind: spec.kind,
    name: spec.name,
    options: spec.options ?? {},
    plan: spec.plan,
    ...(spec.validate ? { validate: spec.validate } : {}),
    ...(spec.preflight ? { preflight: spec.preflight } : {}),
    ...(spec.kubeAccess ? { kubeAccess: spec.kubeAccess } : {}),
  };
  return task;
}

/** A role call or any named scope of steps. */
export function group(name: string, steps: readonly Step[], options: { when?: (ctx: TaskContext) => boolean; tags?: readonly string[] } = {}): Group {
  return { type: 'group', name, steps, ...options };
}

/** Ansible's block/rescue/always. */
export function block(
  name: string,
  spec: {
    steps: readonly Step[];
    rescue?: readonly Step[];
    always?: readonly Step[];
    when?: (ctx: TaskContext) => boolean;
    tags?: readonly string[];
  },
): Group {
  return { type: 'group', name, ...spec };
}

/** A value given directly, or computed at run time from the context (e.g. an earlier result). */
export type Input<T> = T | ((ctx: TaskContext) => T);

export function resolve<T>(input: Input<T>, ctx: TaskContext): T {
  return typeof input === 'function' ? (input as (ctx: TaskContext) => T)(ctx) : input;
}

/** True when the input is known without running anything (so validation can check it). */
export function isStatic<T>(input: Input<T>): input is T {
  return typeof input !== 'function';
}

const UNCHANGED: unique symbol = Symbol('helix.unchanged');

/** What `apply` returns when running showed that nothing changed after all. */
export interface Unchanged<Out> {
  readonly [UNCHANGED]: true;
  readonly result: Out;
  readonly reason: string;
}

/**
 * Returned by `apply` when the work turned out to change nothing: a raw command whose
 * `changedWhen` says so. The engine reports the task as ok with `reason`. Only tasks that cannot
 * know in advance (declared not idempotent) should need this; every other task plans truthfully.
 */
export function unchanged<Out>(result: Out, reason: string): Unchanged<Out> {
  return { [UNCHANGED]: true, result, reason };
}

export function isUnchanged(value: unknown): value is Unchanged<unknown> {
  return typeof value === 'object' && value !== null && UNCHANGED in value;
}

/** A plan with nothing to do. */
export function noChange<Out>(reason: string, result: Out): Plan<Out> {
  return { changes: [], reason, result };
}

const UNKNOWN_RESULT: unique symbol = Symbol('helix.unknownResult');

/**
 * A plan with nothing to do whose result exists only once an earlier task has applied (in a
 * check run: reading an object an earlier task plans to create). Later tasks asking for the
 * result get {@link UnknownUntilApplied}, as for a predicted change without `predicted`.
 */
export function noChangeUnknownResult<Out>(reason: string): Plan<Out> {
  return { changes: [], reason, result: UNKNOWN_RESULT as Out };
}

export function isUnknownResult(value: unknown): boolean {
  return value === UNKNOWN_RESULT;
}
