import { describe, expect, it } from 'vitest';
import { each } from '../../../src/runtime/each.ts';
import { defineTask, isUnchanged, noChange, type Task, type TaskContext } from '../../../src/runtime/task.ts';
import { context } from '../ssh/context.ts';

/** A key in an in-memory store: plans `create key:<k>` while it is missing, the value as its result. */
function put(store: Map<string, string>, key: string, value: string, options: { when?: (ctx: TaskContext) => boolean } = {}): Task<string> {
  return defineTask<string>({
    kind: 'test.put',
    name: `put-${key}`,
    options,
    plan: async () => {
      const have = store.get(key);
      if (have === value) return noChange(`${key} already set`, have);
      return {
        changes: [{ target: `key:${key}`, action: have === undefined ? 'create' : 'update' }],
        predicted: value,
        apply: async () => {
          store.set(key, value);
          return value;
        },
      };
    },
  });
}

async function runOnce<Out>(task: Task<Out>, ctx: TaskContext, mode: 'apply' | 'check' = 'apply') {
  const plan = await task.plan(ctx);
  const keys = plan.changes.map((c) => `${c.action} ${c.target}`);
  if (!('apply' in plan)) return { keys, result: plan.result, reason: plan.reason };
  if (mode === 'check') return { keys, result: plan.predicted };
  const done = await plan.apply();
  return { keys, result: isUnchanged(done) ? done.result : done };
}

describe('each: a task per item of a list known at run time', () => {
  it.each<[string, string[], Record<string, string>, string[], (string | undefined)[]]>([
    ['two missing items: both planned, in order', ['a', 'b'], {}, ['create key:a', 'create key:b'], ['A', 'B']],
    ['one item already set: only the other is planned', ['a', 'b'], { a: 'A' }, ['create key:b'], ['A', 'B']],
    ['an item whose own when is false is skipped (undefined)', ['a', 'skip'], {}, ['create key:a'], ['A', undefined]],
    ['no items: nothing to do', [], {}, [], []],
  ])('%s; a second run plans nothing', async (_t, list, before, keys, results) => {
    const store = new Map(Object.entries(before));
    const items = (ctx: TaskContext) => (ctx.host.name === 'localhost' ? list : []);
    const task = each('put', items, (k) => put(store, k, k.toUpperCase(), { when: () => k !== 'skip' }));
    const first = await runOnce(task, context());
    expect(first.keys).toEqual(keys);
    expect(first.result).toEqual(results);
    const second = await runOnce(task, context());
    expect(second.keys).toEqual([]);
    expect(second.result).toEqual(results);
  });

  it('a check predicts the items without applying them', async () => {
    const store = new Map<string, string>();
    const out = await runOnce(
      each(
        'put',
        () => ['a'],
        (k) => put(store, k, 'v'),
      ),
      context(),
      'check',
    );
    expect(out).toEqual({ keys: ['create key:a'], result: ['v'] });
    expect(store.size).toBe(0);
  });

  it('refuses an item task carrying options only each itself can honour', async () => {
    const store = new Map<string, string>();
    const task = each(
      'put',
      () => ['a'],
      (k) => ({ ...put(store, k, 'v'), options: { retries: 3 } }),
    );
    await expect(task.plan(context())).rejects.toThrow('each: item 0 (put-a): retries belong on each itself');
  });
});
