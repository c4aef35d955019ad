import { changeKey, collect, type Env, EventBus, type RunEvent, type Task } from '../../../src/index.ts';
import { Engine } from '../../../src/runtime/engine.ts';
import type { Problem } from '../../../src/runtime/errors.ts';
import { place } from '../../../src/runtime/tree.ts';

/** A local environment for k8s task tests (the cluster comes from `memo` or `kubernetes`). */
export function testEnv(over: Partial<Env> = {}): Env {
  return { name: 'test', vars: {}, kubernetes: undefined, hosts: {}, groups: {}, provenance: {}, inventoryDir: process.cwd(), ...over };
}

/** A task's static validation as `helix` runs it: its problems' messages. */
export function validate(task: Task<any>): string[] {
  const problems: Problem[] = [];
  place('t', 'pb', { tasks: [task] }, testEnv(), problems);
  return problems.map((p) => p.message);
}

export interface Outcome {
  events: RunEvent[];
  /** `action target` of every change, sorted. */
  keys: string[];
  /** Errors of failed tasks. */
  errors: string[];
  /** Reasons of tasks that planned nothing. */
  reasons: string[];
  problems: Problem[];
}

/** Runs tasks in one playbook through the real engine (check or apply), preflight first. */
export async function runTasks(tasks: Task<any>[], opts: { mode?: 'check' | 'apply'; memo?: Record<string, unknown>; env?: Partial<Env> }): Promise<Outcome> {
  const env = testEnv(opts.env);
  const problems: Problem[] = [];
  const pb = place('t', 'pb', { tasks }, env, problems);
  const bus = new EventBus();
  const events = collect(bus);
  const engine = new Engine(env, { mode: opts.mode ?? 'apply', bus, memo: new Map(Object.entries(opts.memo ?? {})) });
  if (problems.length === 0) problems.push(...(await engine.preflight([pb])));
  if (problems.length === 0) await engine.run([pb]);
  const keys = events.flatMap((e) => (e.type === 'task.changed' ? e.changes.map(changeKey) : [])).sort();
  const errors = events.flatMap((e) => (e.type === 'task.failed' ? [e.error] : []));
  const reasons = events.flatMap((e) => (e.type === 'task.ok' ? [e.reason] : []));
  return { events, keys, errors, reasons, problems };
}

export function changesOf(o: Outcome) {
  return o.events.flatMap((e) => (e.type === 'task.changed' ? e.changes : []));
}
