import type { Change } from './change.ts';
import { TaskError } from './errors.ts';
import { defineTask, isUnchanged, noChange, type Plan, type Task, type TaskContext, type TaskOptions, unchanged } from './task.ts';

/** One item's result, or `undefined` when the item's own `when` was false (Ansible: skipped). */
export type EachResult<Out> = (Out | undefined)[];

/**
 * A task per item of a list only known at run time (Ansible's `loop:` over an earlier task's
 * results): `items` is read when the task plans, `make` builds the item's task, and the items
 * run in order. The result is the items' results in order (`undefined` for an item whose own
 * `when` was false).
 *
 * Each item's task is planned and its plan shown as one plan of this task; applying applies the
 * items' plans in order. An item task's `when` is honoured; `retries`, `until`, `notify` and
 * `ignoreErrors` belong on `each` itself (an item task carrying them fails the run, naming it),
 * since the engine that gives them their meaning runs this task, not the items.
 *
 * ```ts
 * each('build', (ctx) => toBuild(ctx), (arch) => ssh.exec(`build-${arch.key}`, { argv: ['podman', 'build', …] }))
 * ```
 */
export function each<T, Out>(
  name: string,
  items: (ctx: TaskContext) => readonly T[],
  make: (item: T, index: number) => Task<Out>,
  options: TaskOptions<EachResult<Out>> = {},
): Task<EachResult<Out>> {
  return defineTask<EachResult<Out>>({
    kind: 'each',
    name,
    options,
    plan: async (ctx) => {
      const list = items(ctx);
      if (!Array.isArray(list)) throw new TaskError(ctx.path, `each: the items are not a list (${typeof list})`);
      const tasks = list.map((item, i) => make(item, i));
      const problems: string[] = [];
      tasks.forEach((t, i) => {
        t.validate?.((m) => problems.push(`item ${i} (${t.name}): ${m}`));
        const own = (['retries', 'until', 'notify', 'ignoreErrors'] as const).filter((k) => t.options[k] !== undefined);
        if (own.length) problems.push(`item ${i} (${t.name}): ${own.join(', ')} belong on each itself, not on an item's task`);
      });
      if (problems.length) throw new TaskError(ctx.path, `each: ${problems.join('; ')}`);
      const plans: ({ task: Task<Out>; plan: Plan<Out> } | undefined)[] = [];
      for (const t of tasks) {
        const sub: TaskContext = { ...ctx, path: `${ctx.path}/${t.name}` };
        if (t.options.when && !t.options.when(sub)) plans.push(undefined);
        else plans.push({ task: t, plan: await t.plan(sub) });
      }
      const results = (): EachResult<Out> => plans.map((p) => (p && !('apply' in p.plan) ? p.plan.result : undefined));
      const changes: Change[] = plans.flatMap((p) => (p ? [...p.plan.changes] : []));
      if (!plans.some((p) => p && 'apply' in p.plan)) {
        const ran = plans.filter(Boolean).length;
        return noChange(list.length ? `${ran} of ${list.length} items already match` : 'no items', results());
      }
      const predicted = plans.every((p) => !p || !('apply' in p.plan) || p.plan.predicted !== undefined)
        ? plans.map((p) => (p ? ('apply' in p.plan ? p.plan.predicted : p.plan.result) : undefined))
        : undefined;
      return {
        changes,
        ...(predicted ? { predicted } : {}),
        ...(plans.some((p) => p && 'apply' in p.plan && p.plan.notIdempotent) ? { notIdempotent: true } : {}),
        apply: async () => {
          const out = results();
          let changed = false;
          for (const [i, p] of plans.entries()) {
            if (!p || !('apply' in p.plan)) continue;
            const done = await p.plan.apply();
            if (isUnchanged(done)) out[i] = done.result as Out;
            else {
              out[i] = done;
              changed = true;
            }
          }
          return changed ? out : unchanged(out, 'no item changed anything');
        },
      };
    },
  });
}
