import { TaskError } from '../../runtime/errors.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { gatherFacts } from './facts.ts';
import { type FileStat, statNow } from './filestat.ts';
import { type HostOptions, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { transportFor } from './transport.ts';

export interface StatOptions extends HostOptions, TaskOptions<FileStat> {
  /** Absolute or `~/…`; symbolic links are followed. */
  path: Input<string>;
}

/**
 * Reads what a path on the host is (exists, type, mode, owner, group, size, sha256 of a
 * readable file) for later tasks (`ctx.result(task)`). Plans no change; read fresh, so a
 * file an earlier task of the run wrote is seen as it is now.
 */
export function stat(name: string, options: StatOptions): Task<FileStat> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  return defineTask<FileStat>({
    kind: 'ssh.stat',
    name,
    options: common,
    validate: (report) => {
      if (isStatic(own.path)) pathProblems(own.path).forEach(report);
    },
    plan: async (ctx) => {
      const raw = resolve(own.path, ctx);
      const bad = pathProblems(raw);
      if (bad.length) throw new TaskError(ctx.path, bad.join('; '));
      const t = transportFor(ctx);
      const path = remotePath(raw, await gatherFacts(t));
      const s = (await statNow(t, [path], become)).get(path) ?? { path, exists: false };
      return noChange(s.exists ? `${path} is a ${s.type ?? 'path'}` : `${path} does not exist`, s);
    },
  });
}
