import { describe, expect, it } from 'vitest';
import { defineTask, noChange, type TaskContext } from '../../../src/runtime/task.ts';
import { Engine } from '../../../src/runtime/engine.ts';
import type { Problem } from '../../../src/runtime/errors.ts';
import { EventBus } from '../../../src/runtime/events.ts';
import { place } from '../../../src/runtime/tree.ts';
import { runSteps, testEnv } from '../../support/engine.ts';

/** A task that records the generation it planned (and applied) at. */
function probe(name: string, seen: string[], opts: { changes?: boolean; failFirst?: boolean } = {}) {
  let attempts = 0;
  return defineTask<void>({
    kind: 'test.probe',
    name,
    options: opts.failFirst ? { retries: 1, delayMs: 1 } : {},
    plan: async (ctx: TaskContext) => {
      seen.push(`${name} plan ${ctx.generation?.()}`);
      if (opts.failFirst && attempts++ === 0) throw new Error('not yet');
      if (!opts.changes) return noChange('nothing', undefined);
      return { changes: [{ target: `test:${name}`, action: 'update' }], apply: async () => void seen.push(`${name} apply ${ctx.generation?.()}`) };
    },
  });
}

describe('engine generation: what a task read stays valid until the run changes something or retries', () => {
  it('stays while tasks plan nothing, rises around an apply and before a retry', async () => {
    const seen: string[] = [];
    await runSteps([probe('a', seen), probe('b', seen), probe('c', seen, { changes: true }), probe('d', seen), probe('e', seen, { failFirst: true })]);
    expect(seen).toEqual(['a plan 0', 'b plan 0', 'c plan 0', 'c apply 1', 'd plan 2', 'e plan 2', 'e plan 3']);
  });

  it('rises when the run forgets what preflight read (the lock was taken after it)', async () => {
    const seen: string[] = [];
    const t = defineTask<void>({
      kind: 'test.probe',
      name: 'p',
      preflight: async (ctx: TaskContext) => {
        seen.push(`preflight ${ctx.generation?.()}`);
        return [];
      },
      plan: async (ctx: TaskContext) => {
        seen.push(`plan ${ctx.generation?.()}`);
        return noChange('nothing', undefined);
      },
    });
    const env = testEnv();
    const problems: Problem[] = [];
    const placed = place('test', '10_play', { tasks: [t] }, env, problems);
    const engine = new Engine(env, { mode: 'apply', bus: new EventBus(), memo: new Map() });
    await engine.preflight([placed]);
    engine.forgetReads();
    await engine.run([placed]);
    expect(problems).toEqual([]);
    expect(seen).toEqual(['preflight 0', 'plan 1']);
  });

  it('a check run applies nothing, so it never rises', async () => {
    const seen: string[] = [];
    await runSteps([probe('a', seen, { changes: true }), probe('b', seen)], { mode: 'check' });
    expect(seen).toEqual(['a plan 0', 'b plan 0']);
  });
});
