import type { Change } from '../../runtime/change.ts';
import type { Plan, TaskContext } from '../../runtime/task.ts';
import type { Become } from './command.ts';
import { gatherFacts, type HostFacts } from './facts.ts';
import { readFileFacts } from './filestat.ts';
import { transportFor } from './transport.ts';
import { addDiff, applyFile, type FileWish, fileChanges } from './write.ts';

/** How many files a task writes at once (each write is a channel on the host's connection). */
const PARALLEL_WRITES = 4;

/**
 * The plan shared by file, template, copy: read the facts of every wished path in one
 * round trip, compare, and write only what differs.
 */
export async function planFiles<Out>(
  ctx: TaskContext,
  wishes: readonly FileWish[],
  opts: { become?: Become | undefined; declaration?: number | undefined; result: Out; facts?: HostFacts },
): Promise<Plan<Out>> {
  const t = transportFor(ctx);
  const facts = opts.facts ?? (await gatherFacts(t));
  const stats = await readFileFacts(
    ctx,
    wishes.map((w) => w.path),
    {
      ...(opts.become ? { become: opts.become } : {}),
      ...(opts.declaration !== undefined ? { declaration: opts.declaration } : {}),
    },
  );
  const user = opts.become?.user ?? facts.user;
  const todo: { wish: FileWish; change: Change }[] = [];
  const reasons: string[] = [];
  for (const wish of wishes) {
    const live = stats.get(wish.path)!;
    const { changes, reason } = fileChanges(ctx.host.name, wish, live, user);
    if (changes.length === 0) reasons.push(reason);
    for (const change of changes) {
      await addDiff(t, change, wish, live, opts.become);
      todo.push({ wish, change });
    }
  }
  if (todo.length === 0) {
    const reason = reasons.length === 1 ? reasons[0]! : `${reasons.length} paths already match`;
    return { changes: [], reason, result: opts.result };
  }
  return {
    changes: todo.map((x) => x.change),
    predicted: opts.result,
    apply: async () => {
      // Parents before children (directories sort before what they hold), a few at a time.
      const ordered = [...todo].sort((a, b) => a.wish.path.localeCompare(b.wish.path));
      const dirs = ordered.filter((x) => x.wish.state === 'directory');
      for (const x of dirs) await applyFile(t, x.wish, stats.get(x.wish.path)!, opts.become);
      const rest = ordered.filter((x) => x.wish.state !== 'directory');
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < rest.length) {
          const x = rest[next++]!;
          await applyFile(t, x.wish, stats.get(x.wish.path)!, opts.become);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_WRITES, rest.length) }, worker));
      return opts.result;
    },
  };
}
