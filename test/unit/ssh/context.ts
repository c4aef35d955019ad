import type { Env, HostTarget } from '../../../src/runtime/env.ts';
import { LOCALHOST } from '../../../src/runtime/env.ts';
import { isUnchanged, type Plan, type Task, type TaskContext } from '../../../src/runtime/task.ts';

export const env: Env = {
  name: 'test',
  vars: {},
  kubernetes: undefined,

  hosts: {},
  groups: {},
  provenance: {},
  inventoryDir: '/tmp',
};

/** A task context for unit tests: one memo per "run", logs collected. */
export function context(
  opts: { host?: HostTarget; memo?: Map<string, unknown>; logs?: string[]; path?: string; plannedCreates?: string[]; plannedDeletes?: string[] } = {},
): TaskContext {
  const memo = opts.memo ?? new Map<string, unknown>();
  return {
    path: opts.path ?? 'test/10_ssh/task',
    env,
    host: opts.host ?? LOCALHOST,
    signal: new AbortController().signal,
    result: () => {
      throw new Error('no results in unit tests');
    },
    memo: <T>(key: string, make: () => T): T => {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as T;
    },
    plannedCreate: (target) => (opts.plannedCreates ?? []).includes(target),
    plannedDelete: (target) => (opts.plannedDeletes ?? []).includes(target),
    log: (message, level = 'info') => opts.logs?.push(`${level}: ${message}`),
  };
}

export interface Outcome<Out> {
  keys: string[];
  plan: Plan<Out>;
  result: Out | undefined;
}

/** Plans a task and, unless checking, applies it: what the engine does for one host. */
export async function runTask<Out>(task: Task<Out>, ctx: TaskContext, mode: 'apply' | 'check' = 'apply'): Promise<Outcome<Out>> {
  const plan = await task.plan(ctx);
  const keys = plan.changes.map((c) => `${c.action} ${c.target}`).sort();
  let result: Out | undefined;
  if ('apply' in plan) {
    const applied = mode === 'apply' ? await plan.apply() : plan.predicted;
    result = isUnchanged(applied) ? (applied.result as Out) : applied;
  } else result = plan.result;
  return { keys, plan, result };
}

/** Validation problems of a task. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function problems(task: Task<any>): string[] {
  const out: string[] = [];
  task.validate?.((m) => out.push(m));
  return out;
}
