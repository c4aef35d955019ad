import { TaskError } from '../../runtime/errors.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskOptions, unchanged } from '../../runtime/task.ts';
import { type CommandOptions, commandFailed, commandSpec, display, type ExecResult, toResult, validateCommand } from './command.ts';
import { checkOutcome, type Idempotence, need, validateIdempotence } from './idempotence.ts';
import { processesFor } from './process.ts';

/** Options of {@link run}. */
export type RunOptions = CommandOptions &
  Idempotence & {
    /**
     * Decides from the output whether the command changed something; `false` reports the
     * task as ok. For commands that cannot know in advance (`idempotent: false`).
     * @default () => true
     */
    changedWhen?: (out: ExecResult) => boolean;
    /** Decides from the output whether the command failed. @default (out) => out.exitCode !== 0 */
    failedWhen?: (out: ExecResult) => boolean;
  } & TaskOptions<ExecResult>;

const NOT_RUN: ExecResult = { exitCode: 0, stdout: '', stderr: '', ran: false };

/**
 * Runs a local command from an argument array (no shell). The command must declare how it
 * is idempotent (`creates`, `removes`, `unless`, or `idempotent: false`); the plan runs it
 * only when needed. Secrets go through `env` or `stdin`, never argv. A failure reports the
 * exit code and the end of the masked stderr.
 *
 * ```ts
 * exec.run('init-db', { argv: ['initdb', '-D', dir], creates: `${dir}/PG_VERSION` });
 * ```
 */
export function run(name: string, options: RunOptions): Task<ExecResult> {
  const [own, common] = splitOptions(options);
  return defineTask<ExecResult>({
    kind: 'exec.run',
    name,
    options: common,
    validate(report) {
      validateCommand(own, report);
      validateIdempotence(own, report);
    },
    async plan(ctx) {
      if (!ctx.host.local) throw new TaskError(ctx.path, `exec.run runs commands on this machine, not on host ${ctx.host.name}`);
      const spec = commandSpec(own, ctx);
      const needed = await need(own, ctx, spec.argv);
      if (!needed.run) return noChange(`${needed.reason}: \`${display(spec.argv)}\` not needed`, NOT_RUN);
      return {
        changes: [needed.change],
        ...(needed.notIdempotent ? { notIdempotent: true } : {}),
        apply: async () => {
          const out = await processesFor(ctx).run(spec, ctx.signal);
          const result = toResult(out, own.secrets);
          const failed = out.timedOut || (own.failedWhen ? own.failedWhen(result) : result.exitCode !== 0);
          if (failed) throw commandFailed(ctx, spec, out, result, own.failedWhen && !out.timedOut ? 'failedWhen' : undefined);
          await checkOutcome(own, ctx);
          if (own.changedWhen && !own.changedWhen(result)) {
            return unchanged(result, `\`${display(spec.argv)}\` ran; changedWhen says nothing changed`);
          }
          return result;
        },
      };
    },
  });
}
