import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Change } from './change.ts';
import type { Env, HostTarget } from './env.ts';
import { describeError, type Problem, TaskError, UnknownUntilApplied } from './errors.ts';
import type { EventBus, HostRecap, Recap, RunMode } from './events.ts';
import { isUnchanged, isUnknownResult, type Plan, type TaskContext } from './task.ts';
import { type PlacedPlaybook, type PlacedStep, type PlacedTask, walkTasks } from './tree.ts';

export interface ExecuteOptions {
  mode: RunMode;
  bus: EventBus;
  /** Parallel hosts per task. @default 20 */
  forks?: number;
  /** Stop the run when more than this share of a playbook's hosts failed. */
  maxFailPercent?: number;
  /** Only tasks carrying one of these tags run (empty: all). */
  tags?: readonly string[];
  /** Stops the run after the task in progress (SIGINT): the task finishes, no other starts. */
  signal?: AbortSignal;
  /**
   * Cancels the task in progress as well: what tasks see as `ctx.signal` (their requests and
   * waits). The CLI passes none: a first SIGINT lets the current task finish, a second quits.
   * @default never aborted
   */
  cancel?: AbortSignal;
  /** Shared values for the run (clients, caches); the same map for every playbook. */
  memo?: Map<string, unknown>;
  /**
   * Awaited before each task starts: the run lock confirms it is still held when its last
   * renewal is overdue (a process stopped for a while must not apply before it knows).
   */
  beforeTask?: () => Promise<void>;
}

export interface AppliedChange {
  path: string;
  host: string;
  change: Change;
}

export interface ExecuteResult {
  ok: boolean;
  interrupted: boolean;
  recap: Recap;
  changes: AppliedChange[];
}

const NO_RESULT = Symbol('no result');

/** Runs placed playbooks in order: per task, plan on every host, then apply unless checking. */
export class Engine {
  readonly #opts: ExecuteOptions;
  readonly #env: Env;
  readonly #memo: Map<string, unknown>;
  readonly #results = new Map<unknown, Map<string, unknown>>();
  readonly #unknown = new Map<unknown, Set<string>>();
  readonly #plannedCreates = new Set<string>();
  readonly #plannedDeletes = new Set<string>();
  readonly #recap: Recap = {};
  readonly #changes: AppliedChange[] = [];
  readonly #signal: AbortSignal;
  readonly #cancel: AbortSignal;
  #stopped = false;
  /** Raised around every apply and before every retry: see {@link TaskContext.generation}. */
  #generation = 0;

  constructor(env: Env, opts: ExecuteOptions) {
    this.#env = env;
    this.#opts = opts;
    this.#memo = opts.memo ?? new Map();
    this.#signal = opts.signal ?? new AbortController().signal;
    this.#cancel = opts.cancel ?? new AbortController().signal;
    // Every request and wait of the run listens on it, many at once: no leak warning.
    setMaxListeners(0, this.#cancel);
  }

  /**
   * Makes facts read so far (preflight's reads of live objects) stale for the tasks' plans: the
   * run lock was taken after preflight, and another run may have changed the targets meanwhile.
   */
  forgetReads(): void {
    this.#generation++;
  }

  async run(playbooks: readonly PlacedPlaybook[]): Promise<ExecuteResult> {
    let ok = true;
    for (const pb of playbooks) {
      if (this.#interrupted()) break;
      ok = (await this.#runPlaybook(pb)) && ok;
      if (this.#stopped) break;
    }
    const interrupted = this.#signal.aborted;
    return { ok: ok && !interrupted, interrupted, recap: this.#recap, changes: this.#changes };
  }

  /**
   * Runs every task's preflight check (on the first host of its playbook) before anything
   * is applied, a few at a time, and returns the problems found.
   */
  async preflight(playbooks: readonly PlacedPlaybook[]): Promise<Problem[]> {
    const jobs: (() => Promise<Problem[]>)[] = [];
    for (const pb of playbooks) {
      const host = pb.hosts[0];
      if (!host) continue;
      for (const placed of [...walkTasks(pb.steps), ...pb.handlers]) {
        const check = placed.task.preflight;
        if (!check) continue;
        jobs.push(async () => {
          try {
            const found = await check.call(placed.task, this.#context(placed, host, { preflight: true }));
            return found.map((message) => ({ path: placed.path, message }));
          } catch (error) {
            if (error instanceof UnknownUntilApplied) return [];
            throw error;
          }
        });
      }
    }
    const problems: Problem[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) problems.push(...(await jobs[next++]!()));
    };
    await Promise.all(Array.from({ length: Math.min(8, jobs.length) }, worker));
    return problems;
  }

  #interrupted(): boolean {
    return this.#signal.aborted;
  }

  #hostRecap(host: string): HostRecap {
    return (this.#recap[host] ??= { ok: 0, changed: 0, failed: 0, skipped: 0, unreachable: 0, notIdempotent: 0 });
  }

  async #runPlaybook(pb: PlacedPlaybook): Promise<boolean> {
    const { bus } = this.#opts;
    bus.emit({ type: 'playbook.start', path: pb.path, hosts: pb.hosts.map((h) => h.name) });
    const batchSize = pb.serial && pb.serial > 0 ? pb.serial : pb.hosts.length;
    let ok = true;
    for (let i = 0; i < pb.hosts.length && !this.#stopped; i += batchSize) {
      const batch = pb.hosts.slice(i, i + batchSize);
      const failed = new Set<string>();
      const notified = new Map<PlacedTask['task'], Set<string>>();
      await this.#runSteps(pb.steps, batch, failed, notified, pb);
      for (const handler of pb.handlers) {
        const hosts = batch.filter((h) => notified.get(handler.task)?.has(h.name) && !failed.has(h.name));
        if (hosts.length && !this.#interrupted()) await this.#runTask(handler, hosts, failed, notified, true);
      }
      if (failed.size) ok = false;
    }
    bus.emit({ type: 'playbook.end', path: pb.path });
    return ok;
  }

  /** Runs steps on the hosts not yet failed; marks hosts that fail. */
  async #runSteps(
    steps: readonly PlacedStep[],
    hosts: readonly HostTarget[],
    failed: Set<string>,
    notified: Map<PlacedTask['task'], Set<string>>,
    pb: PlacedPlaybook,
  ): Promise<void> {
    for (const step of steps) {
      if (this.#interrupted() || this.#stopped) return;
      if (this.#opts.beforeTask) {
        await this.#opts.beforeTask();
        if (this.#interrupted()) return;
      }
      const active = hosts.filter((h) => !failed.has(h.name));
      if (active.length === 0) return;
      if (step.type === 'task') {
        await this.#runTask(step, active, failed, notified, false);
      } else {
        const inBlock = new Set<string>();
        await this.#runSteps(step.steps, active, inBlock, notified, pb);
        if (inBlock.size && step.rescue.length) {
          const rescued = active.filter((h) => inBlock.has(h.name));
          const rescueFailed = new Set<string>();
          await this.#runSteps(step.rescue, rescued, rescueFailed, notified, pb);
          inBlock.clear();
          rescueFailed.forEach((h) => inBlock.add(h));
        }
        if (step.always.length) {
          // Every host that entered the block, failed ones too (Ansible's always); a failure
          // here fails the host as well.
          const alwaysFailed = new Set<string>();
          await this.#runSteps(step.always, active, alwaysFailed, notified, pb);
          alwaysFailed.forEach((h) => inBlock.add(h));
        }
        inBlock.forEach((h) => failed.add(h));
      }
      const total = pb.hosts.length;
      const max = this.#opts.maxFailPercent;
      if (max !== undefined && total > 0 && (failed.size / total) * 100 > max) {
        this.#opts.bus.emit({
          type: 'log',
          path: pb.path,
          host: 'all',
          level: 'warn',
          message: `${failed.size} of ${total} hosts failed, more than --max-fail-percent ${max}: stopping`,
        });
        this.#stopped = true;
        return;
      }
    }
  }

  async #runTask(
    placed: PlacedTask,
    hosts: readonly HostTarget[],
    failed: Set<string>,
    notified: Map<PlacedTask['task'], Set<string>>,
    isHandler: boolean,
  ): Promise<void> {
    const wanted = this.#opts.tags ?? [];
    if (!isHandler && wanted.length && !wanted.some((t) => placed.tags.has(t))) return;
    const forks = Math.max(1, this.#opts.forks ?? 20);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < hosts.length) {
        const host = hosts[next++]!;
        const outcome = await this.#runOnHost(placed, host);
        if (outcome === 'failed') failed.add(host.name);
        if (outcome === 'changed') {
          for (const h of placed.task.options.notify ?? []) {
            const set = notified.get(h) ?? new Set<string>();
            set.add(host.name);
            notified.set(h, set);
            this.#opts.bus.emit({ type: 'handler.notified', path: placed.path, handler: h.name, host: host.name });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(forks, hosts.length) }, worker));
  }

  /**
   * The context a task plans and applies in. In preflight nothing has run yet, so a result of
   * an earlier task is unknown until applied (the preflight is skipped), not an error.
   */
  #context(placed: PlacedTask, host: HostTarget, opts: { preflight?: boolean } = {}): TaskContext {
    const { bus } = this.#opts;
    return {
      path: placed.path,
      env: this.#env,
      host,
      signal: this.#cancel,
      result: <Out>(task: { name: string }): Out => {
        const byHost = this.#results.get(task);
        for (const h of [host.name, 'localhost']) {
          if (byHost?.has(h)) return byHost.get(h) as Out;
        }
        if (opts.preflight || this.#unknown.get(task)?.has(host.name) || this.#unknown.get(task)?.has('localhost')) {
          throw new UnknownUntilApplied(`the result of "${task.name}" is known only after it is applied`);
        }
        throw new TaskError(placed.path, `the result of "${task.name}" is not available (it was skipped, failed or has not run yet)`);
      },
      memo: <T>(key: string, make: () => T): T => {
        if (!this.#memo.has(key)) this.#memo.set(key, make());
        return this.#memo.get(key) as T;
      },
      plannedCreate: (target) => this.#plannedCreates.has(target),
      plannedDelete: (target) => this.#plannedDeletes.has(target),
      generation: () => this.#generation,
      log: (message, level = 'info') => bus.emit({ type: 'log', path: placed.path, host: host.name, level, message }),
    };
  }

  #store(placed: PlacedTask, host: string, value: unknown): void {
    const m = this.#results.get(placed.task) ?? new Map<string, unknown>();
    if (value === NO_RESULT) {
      const u = this.#unknown.get(placed.task) ?? new Set<string>();
      u.add(host);
      this.#unknown.set(placed.task, u);
    } else {
      m.set(host, value);
      this.#results.set(placed.task, m);
    }
  }

  async #runOnHost(placed: PlacedTask, host: HostTarget): Promise<'ok' | 'changed' | 'skipped' | 'failed'> {
    const { bus, mode } = this.#opts;
    const { task } = placed;
    const recap = this.#hostRecap(host.name);
    const ctx = this.#context(placed, host);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    bus.emit({ type: 'task.start', path: placed.path, kind: task.kind, host: host.name });
    try {
      const conditions = [...placed.conditions, ...(task.options.when ? [task.options.when] : [])];
      if (!conditions.every((c) => c(ctx))) {
        recap.skipped++;
        bus.emit({ type: 'task.skipped', path: placed.path, host: host.name, reason: 'condition is false' });
        return 'skipped';
      }
    } catch (error) {
      if (error instanceof UnknownUntilApplied) {
        recap.skipped++;
        bus.emit({ type: 'task.skipped', path: placed.path, host: host.name, reason: `condition depends on a value known only after apply` });
        return 'skipped';
      }
      return this.#fail(placed, host, error, elapsed());
    }

    const attempts = 1 + Math.max(0, task.options.retries ?? 0);
    let delay = task.options.delayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      // A retry waits for the world to change: what was read before is not reused.
      if (attempt > 1) this.#generation++;
      try {
        let plan: Plan<unknown>;
        try {
          plan = await task.plan(ctx);
        } catch (error) {
          if (!(error instanceof UnknownUntilApplied) || mode !== 'check') throw error;
          const change: Change = { target: `task:${placed.path}`, action: 'run', summary: describeError(error) };
          this.#store(placed, host.name, NO_RESULT);
          recap.changed++;
          bus.emit({ type: 'task.changed', path: placed.path, host: host.name, changes: [change], applied: false, durationMs: elapsed() });
          this.#changes.push({ path: placed.path, host: host.name, change });
          return 'changed';
        }
        let result: unknown;
        let changed = false;
        let reason = 'reason' in plan ? plan.reason : 'no change';
        if (plan.changes.length === 0) {
          result = 'result' in plan ? plan.result : undefined;
          if (isUnknownResult(result)) result = NO_RESULT;
        } else if (mode === 'check') {
          changed = true;
          result = 'predicted' in plan && plan.predicted !== undefined ? plan.predicted : NO_RESULT;
          for (const c of plan.changes) {
            if (c.action === 'create') this.#plannedCreates.add(c.target);
            if (c.action === 'delete') this.#plannedDeletes.add(c.target);
          }
        } else {
          changed = true;
          this.#generation++;
          try {
            result = 'apply' in plan ? await plan.apply() : undefined;
          } finally {
            this.#generation++;
          }
          if (isUnchanged(result)) {
            changed = false;
            reason = result.reason;
            result = result.result;
          }
        }
        const until = task.options.until;
        if (until && result !== NO_RESULT && !until(result)) {
          if (attempt >= attempts) throw new TaskError(placed.path, `condition not met after ${attempts} attempt(s)`);
          bus.emit({ type: 'task.retry', path: placed.path, host: host.name, attempt, of: attempts, reason: 'until condition not met' });
          await sleep(jitter(delay), this.#signal);
          delay = Math.min(delay * 2, 30_000);
          continue;
        }
        this.#store(placed, host.name, result);
        if (!changed) {
          recap.ok++;
          bus.emit({ type: 'task.ok', path: placed.path, host: host.name, reason, durationMs: elapsed() });
          return 'ok';
        }
        recap.changed++;
        const notIdempotent = 'notIdempotent' in plan && plan.notIdempotent === true;
        if (notIdempotent) recap.notIdempotent++;
        for (const change of plan.changes) this.#changes.push({ path: placed.path, host: host.name, change });
        bus.emit({
          type: 'task.changed',
          path: placed.path,
          host: host.name,
          changes: [...plan.changes],
          applied: mode === 'apply',
          ...(notIdempotent ? { notIdempotent } : {}),
          durationMs: elapsed(),
        });
        return 'changed';
      } catch (error) {
        if (attempt < attempts && !this.#signal.aborted) {
          bus.emit({ type: 'task.retry', path: placed.path, host: host.name, attempt, of: attempts, reason: describeError(error) });
          await sleep(jitter(delay), this.#signal);
          delay = Math.min(delay * 2, 30_000);
          continue;
        }
        return this.#fail(placed, host, error, elapsed());
      }
    }
  }

  #fail(placed: PlacedTask, host: HostTarget, error: unknown, durationMs: number): 'failed' | 'ok' {
    const ignored = placed.task.options.ignoreErrors === true;
    const recap = this.#hostRecap(host.name);
    const message = describeError(error);
    if (isUnreachable(error)) {
      recap.unreachable++;
      this.#opts.bus.emit({ type: 'host.unreachable', host: host.name, path: placed.path, error: message });
    }
    recap.failed++;
    this.#opts.bus.emit({ type: 'task.failed', path: placed.path, host: host.name, error: message, ignored, durationMs });
    return ignored ? 'ok' : 'failed';
  }
}

function isUnreachable(error: unknown): boolean {
  return error instanceof Error && error.name === 'TargetError' && /unreachable|connect/i.test(error.message);
}

function jitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
