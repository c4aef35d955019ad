import { TaskError } from '../../runtime/errors.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { type CommandOptions, commandFailed, commandSpec, display, type ExecResult, toResult, validateCommand } from './command.ts';
import { processesFor } from './process.ts';

/** Options of {@link query}. */
export type QueryOptions<T> = CommandOptions & {
  /** Decides from the output whether the command failed. @default (out) => out.exitCode !== 0 */
  failedWhen?: (out: ExecResult) => boolean;
  /** Turns the (masked) output into the task's typed result. @default the output itself */
  parse?: (out: ExecResult) => T;
} & TaskOptions<T>;

/**
 * Runs a read-only local command as a fact: it runs while planning (in check mode too),
 * plans no change, and its result (the masked output, or what `parse` makes of it) is
 * available to later tasks. Use it only for commands that change nothing.
 *
 * ```ts
 * const version = exec.query('helm-version', { argv: ['helm', 'version', '--short'], parse: (o) => o.stdout.trim() });
 * ```
 */
export function query(name: string, options: QueryOptions<ExecResult> & { parse?: undefined }): Task<ExecResult>;
export function query<T>(name: string, options: QueryOptions<T> & { parse: (out: ExecResult) => T }): Task<T>;
export function query<T>(name: string, options: QueryOptions<T>): Task<T> {
  const [own, common] = splitOptions(options);
  return defineTask<T>({
    kind: 'exec.query',
    name,
    options: common,
    validate(report) {
      validateCommand(own, report);
      if (own.parse !== undefined && typeof own.parse !== 'function') report('parse must be a function');
    },
    async plan(ctx) {
      if (!ctx.host.local) throw new TaskError(ctx.path, `exec.query runs commands on this machine, not on host ${ctx.host.name}`);
      const spec = commandSpec(own, ctx);
      const out = await processesFor(ctx).run(spec, ctx.signal);
      const result = toResult(out, own.secrets);
      const failed = out.timedOut || (own.failedWhen ? own.failedWhen(result) : result.exitCode !== 0);
      if (failed) throw commandFailed(ctx, spec, out, result, own.failedWhen && !out.timedOut ? 'failedWhen' : undefined);
      const value = own.parse ? own.parse(result) : (result as T);
      return noChange(`read \`${display(spec.argv)}\` (exit ${result.exitCode})`, value);
    },
  });
}
