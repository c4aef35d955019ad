import { TaskError } from '../../runtime/errors.ts';
import { Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import type { Become } from './command.ts';
import { gatherFacts } from './facts.ts';
import { declarePaths, readFileFacts } from './filestat.ts';
import { planFiles } from './filetask.ts';
import { type HostOptions, ownerProblems, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { tail, transportFor } from './transport.ts';
import { type FileWish, parseMode } from './write.ts';

export interface FileResult {
  /** The path on the host, `~/` expanded. */
  path: string;
}

export interface FileOptions extends HostOptions, TaskOptions<FileResult> {
  /** Absolute path, or `~/…` under the login user's home. */
  path: Input<string>;
  /** @default 'file' */
  state?: 'file' | 'directory' | 'absent';
  /** The file's content. A Secret is never diffed. Without content, an existing file's content is left alone. */
  content?: Input<string | Buffer | Secret>;
  /** Octal mode (`'0644'`). New files get 0644 (0600 for secret content), new directories 0755. */
  mode?: string | number;
  owner?: string;
  group?: string;
  /**
   * With state absent: remove the path only when it is an empty folder or an empty file, and
   * leave it alone otherwise (a folder other tools share, like `~/.local/bin`). What earlier
   * tasks of the run remove counts as gone, so `--check` predicts the real run.
   * @default false
   */
  onlyIfEmpty?: boolean;
}

/** Problems with the parts of a file wish known before the run. */
export function staticFileProblems(o: {
  path: Input<string>;
  mode?: string | number | undefined;
  owner?: string | undefined;
  group?: string | undefined;
}): string[] {
  const problems: string[] = [];
  if (isStatic(o.path)) problems.push(...pathProblems(o.path));
  const mode = parseMode(o.mode);
  if (mode !== undefined && (Number.isNaN(mode) || mode < 0 || mode > 0o7777))
    problems.push(`invalid mode ${String(o.mode)} (give an octal string like '0644')`);
  problems.push(...ownerProblems(o));
  return problems;
}

/**
 * What keeps `path` from being empty: the names in a folder (or `['content']` for a file with
 * bytes) that no earlier task of this run removes; undefined when it does not exist.
 */
async function leftInside(ctx: TaskContext, path: string, become: Become | undefined, declaration: number | undefined): Promise<string[] | undefined> {
  const b = become ? { become } : {};
  const live = (await readFileFacts(ctx, [path], { ...b, ...(declaration !== undefined ? { declaration } : {}) })).get(path)!;
  if (!live.exists) return undefined;
  if (live.type !== 'directory') return (live.size ?? 0) > 0 ? ['content'] : [];
  const r = await transportFor(ctx).run({ argv: ['ls', '-A', '--', path], readOnly: true, ...b });
  if (r.code !== 0) throw new TaskError(ctx.path, `cannot list ${path}${tail(r.stderr)}`);
  const names = r.stdout.split('\n').filter(Boolean);
  return names.filter((n) => !ctx.plannedDelete?.(`file:${ctx.host.name}:${path === '/' ? '' : path}/${n}`));
}

/** A file or directory on the host, with content, mode and owner; or its absence. */
export function file(name: string, options: FileOptions): Task<FileResult> {
  const [own, common] = splitOptions(options);
  const state = own.state ?? 'file';
  const become = toBecome(own.become);
  const declaration = isStatic(own.path) ? declarePaths([own.path], become) : undefined;
  return defineTask<FileResult>({
    kind: 'ssh.file',
    name,
    options: common,
    validate: (report) => {
      staticFileProblems(own).forEach(report);
      if (state !== 'file' && own.content !== undefined) report(`content is only for state 'file', not '${state}'`);
      if (state === 'absent' && (own.mode !== undefined || own.owner !== undefined || own.group !== undefined))
        report('mode, owner and group make no sense with state absent');
      if (own.onlyIfEmpty && state !== 'absent') report("onlyIfEmpty is only for state 'absent'");
    },
    plan: async (ctx) => {
      const facts = await gatherFacts(transportFor(ctx));
      const raw = resolve(own.path, ctx);
      const problems = pathProblems(raw);
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      const path = remotePath(raw, facts);
      if (state === 'absent' && own.onlyIfEmpty) {
        const left = await leftInside(ctx, path, become, declaration);
        if (left === undefined) return noChange(`${path} is already absent`, { path });
        if (left.length > 0) return noChange(`${path} is not empty (${left.slice(0, 3).join(', ')}${left.length > 3 ? ', …' : ''}): left alone`, { path });
      }
      const content = own.content === undefined ? undefined : resolve(own.content, ctx);
      const mode = parseMode(own.mode);
      const wish: FileWish = {
        path,
        state,
        ...(content === undefined ? {} : { content: content instanceof Secret ? content : Buffer.from(content) }),
        ...(mode !== undefined ? { mode } : {}),
        ...(own.owner ? { owner: own.owner } : {}),
        ...(own.group ? { group: own.group } : {}),
        ...(own.onlyIfEmpty ? { onlyIfEmpty: true } : {}),
      };
      return planFiles(ctx, [wish], { become, declaration, result: { path }, facts });
    },
  });
}
