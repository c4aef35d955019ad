/**
 * Runs tasks through the real engine without a project on disk: for module unit tests
 * ("desired + facts → expected changes") and integration tests against the sandbox.
 */
import { changeKey } from '../../src/runtime/change.ts';
import { Engine, type ExecuteResult } from '../../src/runtime/engine.ts';
import type { Env } from '../../src/runtime/env.ts';
import type { Problem } from '../../src/runtime/errors.ts';
import { collect, EventBus, type RunEvent, type RunMode } from '../../src/runtime/events.ts';
import { defineTask, noChange, type Step, type Task, type TaskContext } from '../../src/runtime/task.ts';
import { LOCALHOST } from '../../src/runtime/env.ts';
import { place } from '../../src/runtime/tree.ts';

export function testEnv(over: Partial<Env> = {}): Env {
  return {
    name: 'test',
    vars: {},
    kubernetes: undefined,

    hosts: {},
    groups: {},
    provenance: {},
    inventoryDir: process.cwd(),
    ...over,
  };
}

export interface RunStepsOptions {
  /** @default 'apply' */
  mode?: RunMode;
  /** Per-run values (clients); pass a fake under a module's memo key to replace its IO seam. */
  memo?: Map<string, unknown>;
  env?: Env;
  /** Playbook path prefix. @default 'test/10_play' */
  component?: string;
}

export interface RunStepsResult extends ExecuteResult {
  events: RunEvent[];
  /** Sorted `action target` keys of every change (planned in check mode, made in apply mode). */
  keys: string[];
  /** Validation problems (nothing runs when there are any). */
  problems: Problem[];
  /** The result each top-level task reported (after apply, or the prediction in check mode). */
  result<Out>(task: Task<Out>): Out | undefined;
  /** Messages of failed tasks. */
  failures: string[];
}

export async function runSteps(steps: readonly Step[], opts: RunStepsOptions = {}): Promise<RunStepsResult> {
  const env = opts.env ?? testEnv();
  const bus = new EventBus();
  const events = collect(bus);
  const results = new Map<unknown, unknown>();
  const tasks = steps.filter((s): s is Task<unknown> => s.type === 'task');
  const capture = defineTask<void>({
    kind: 'test.capture',
    name: 'zz-capture-results',
    plan: async (ctx) => {
      for (const t of tasks) {
        try {
          results.set(t, ctx.result(t));
        } catch {
          // skipped, failed or unknown until applied
        }
      }
      return noChange('captured', undefined);
    },
  });
  const problems: Problem[] = [];
  const [component, playbook] = (opts.component ?? 'test/10_play').split('/') as [string, string];
  const placed = place(component, playbook, { tasks: [...steps, capture] }, env, problems);
  if (problems.length) {
    return { ok: false, interrupted: false, recap: {}, changes: [], events, keys: [], problems, result: () => undefined, failures: [] };
  }
  const engine = new Engine(env, { mode: opts.mode ?? 'apply', bus, memo: opts.memo ?? new Map() });
  const pre = await engine.preflight([placed]);
  if (pre.length) {
    return { ok: false, interrupted: false, recap: {}, changes: [], events, keys: [], problems: pre, result: () => undefined, failures: [] };
  }
  const out = await engine.run([placed]);
  return {
    ...out,
    events,
    problems,
    keys: out.changes.map((c) => changeKey(c.change)).sort(),
    result: <Out>(task: Task<Out>) => results.get(task) as Out | undefined,
    failures: events.flatMap((e) => (e.type === 'task.failed' ? [`${e.path}: ${e.error}`] : [])),
  };
}

/** A bare task context (no engine), for calling `plan`/`apply` by hand between other actions. */
export function taskContext(over: { path?: string; env?: Env; memo?: Map<string, unknown>; plannedCreates?: readonly string[] } = {}): TaskContext {
  const memo = over.memo ?? new Map<string, unknown>();
  return {
    path: over.path ?? 'test/10_play/task',
    env: over.env ?? testEnv(),
    host: LOCALHOST,
    signal: new AbortController().signal,
    result: () => {
      throw new Error('no results in a bare task context');
    },
    memo: <T>(key: string, make: () => T): T => {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as T;
    },
    plannedCreate: (target) => (over.plannedCreates ?? []).includes(target),
    log: () => undefined,
  };
}
