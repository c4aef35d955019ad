import { TaskError } from '../../runtime/errors.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { gatherFacts } from './facts.ts';
import { type FileResult, staticFileProblems } from './file.ts';
import { declarePaths, readFileFacts } from './filestat.ts';
import { planFiles } from './filetask.ts';
import { editLines, type LineWish } from './lineinfile.ts';
import { type HostOptions, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { tail, transportFor } from './transport.ts';
import { parseMode } from './write.ts';

export interface LineOptions extends HostOptions, TaskOptions<FileResult>, LineWish {
  /** The file on the host (absolute or `~/…`). */
  path: Input<string>;
  /** Create the file when it does not exist (state present only). @default false */
  create?: boolean;
  /** Octal mode for a file the task creates. @default '0644' */
  mode?: string | number;
  /**
   * With state absent: when removing the line leaves the file empty, remove the file too (it
   * was most likely created for the line, with `create: true`).
   * @default false
   */
  removeEmpty?: boolean;
}

/**
 * One line in a text file: present (added, or replacing the last line matching `regexp`)
 * or absent. The file is rewritten atomically, keeping its mode and owner.
 */
export function line(name: string, options: LineOptions): Task<FileResult> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  const declaration = isStatic(own.path) ? declarePaths([own.path], become) : undefined;
  const wish: LineWish = {
    ...(own.line !== undefined ? { line: own.line } : {}),
    ...(own.regexp ? { regexp: own.regexp } : {}),
    ...(own.state ? { state: own.state } : {}),
    ...(own.insertAfter ? { insertAfter: own.insertAfter } : {}),
    ...(own.insertBefore ? { insertBefore: own.insertBefore } : {}),
  };
  return defineTask<FileResult>({
    kind: 'ssh.line',
    name,
    options: common,
    validate: (report) => {
      staticFileProblems({ path: own.path, mode: own.mode }).forEach(report);
      const state = own.state ?? 'present';
      if (state === 'present' && own.line === undefined) report('line is required with state present');
      if (state === 'absent' && own.line === undefined && !own.regexp) report('give line or regexp for state absent');
      if (own.line?.includes('\n')) report('line must be a single line');
      if (own.insertAfter && own.insertBefore) report('give insertAfter or insertBefore, not both');
      if (own.removeEmpty && state !== 'absent') report("removeEmpty is only for state 'absent'");
    },
    plan: async (ctx) => {
      const t = transportFor(ctx);
      const facts = await gatherFacts(t);
      const raw = resolve(own.path, ctx);
      const bad = pathProblems(raw);
      if (bad.length) throw new TaskError(ctx.path, bad.join('; '));
      const path = remotePath(raw, facts);
      const b = become ? { become } : {};
      const live = (await readFileFacts(ctx, [path], { ...b, ...(declaration !== undefined ? { declaration } : {}) })).get(path)!;
      if (!live.exists) {
        if ((own.state ?? 'present') === 'absent') return noChange(`${path} does not exist`, { path });
        if (!own.create) throw new TaskError(ctx.path, `${path} does not exist (set create: true to create it)`);
      }
      let current: string | undefined;
      if (live.exists) {
        const r = await t.run({ argv: ['cat', '--', path], readOnly: true, ...b });
        if (r.code !== 0) throw new TaskError(ctx.path, `cannot read ${path}${tail(r.stderr)}`);
        current = r.stdout;
      }
      const next = editLines(current, wish);
      if (live.exists && next === current) {
        const mode = parseMode(own.mode);
        if (mode === undefined || live.mode === mode) {
          return noChange((own.state ?? 'present') === 'present' ? `${path} already has the line` : `${path} has no such line`, { path });
        }
      }
      if (own.removeEmpty && next === '') return planFiles(ctx, [{ path, state: 'absent' }], { become, result: { path }, facts });
      const mode = parseMode(own.mode);
      return planFiles(ctx, [{ path, state: 'file', content: Buffer.from(next), ...(mode !== undefined ? { mode } : {}) }], {
        become,
        result: { path },
        facts,
      });
    },
  });
}
