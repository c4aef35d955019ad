import { TaskError } from '../../runtime/errors.ts';
import { Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { gatherFacts } from './facts.ts';
import { declarePaths } from './filestat.ts';
import { planFiles } from './filetask.ts';
import { type HostOptions, ownerProblems, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { transportFor } from './transport.ts';
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
}

/** Problems with the parts of a file wish known before the run. */
export function staticFileProblems(o: { path: Input<string>; mode?: string | number | undefined; owner?: string | undefined; group?: string | undefined }): string[] {
  const problems: string[] = [];
  if (isStatic(o.path)) problems.push(...pathProblems(o.path));
  const mode = parseMode(o.mode);
  if (mode !== undefined && (Number.isNaN(mode) || mode < 0 || mode > 0o7777)) problems.push(`invalid mode ${String(o.mode)} (give an octal string like '0644')`);
  problems.push(...ownerProblems(o));
  return problems;
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
      if (state === 'absent' && (own.mode !== undefined || own.owner !== undefined || own.group !== undefined)) report('mode, owner and group make no sense with state absent');
    },
    plan: async (ctx) => {
      const facts = await gatherFacts(transportFor(ctx));
      const raw = resolve(own.path, ctx);
      const problems = pathProblems(raw);
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      const path = remotePath(raw, facts);
      const content = own.content === undefined ? undefined : resolve(own.content, ctx);
      const mode = parseMode(own.mode);
      const wish: FileWish = {
        path,
        state,
        ...(content === undefined ? {} : { content: content instanceof Secret ? content : Buffer.from(content) }),
        ...(mode !== undefined ? { mode } : {}),
        ...(own.owner ? { owner: own.owner } : {}),
        ...(own.group ? { group: own.group } : {}),
      };
      return planFiles(ctx, [wish], { become, declaration, result: { path }, facts });
    },
  });
}
