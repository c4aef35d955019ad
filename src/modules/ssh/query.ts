import { TaskError } from '../../runtime/errors.ts';
import type { Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { type Command, commandProblems } from './command.ts';
import type { ExecResult } from './exec.ts';
import type { HostOptions } from './options.ts';
import { toBecome } from './options.ts';
import { quoteArgv } from './quote.ts';
import { tail, transportFor } from './transport.ts';

export interface QueryOptions extends HostOptions, TaskOptions<ExecResult> {
  /** The command as an argument vector; it must only read (it also runs in check runs). */
  argv: Input<readonly string[]>;
  /** Variables for the command (on stdin, never on a command line). */
  env?: Input<Record<string, string | Secret>>;
  /** Working directory on the host. */
  cwd?: Input<string>;
  /** Decides from the output whether the command failed. @default (out) => out.code !== 0 */
  failedWhen?: (out: ExecResult) => boolean;
}

/**
 * Runs a read-only command on the host while planning, in check runs too, and returns its
 * output; it never plans a change (Ansible's `command` with `changed_when: false`).
 *
 * ```ts
 * const nodes = ssh.query('nodes', { argv: ['kubectl', 'get', 'nodes', '-o', 'name'] });
 * ```
 */
export function query(name: string, options: QueryOptions): Task<ExecResult> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  return defineTask<ExecResult>({
    kind: 'ssh.query',
    name,
    options: common,
    validate: (report) => {
      if (isStatic(own.argv)) commandProblems({ argv: own.argv }).forEach(report);
      if (own.env !== undefined && isStatic(own.env)) commandProblems({ argv: ['true'], env: own.env }).forEach(report);
    },
    plan: async (ctx) => {
      const argv = resolve(own.argv, ctx);
      const cmd: Command = {
        argv,
        ...(own.env !== undefined ? { env: resolve(own.env, ctx) } : {}),
        ...(own.cwd !== undefined ? { cwd: resolve(own.cwd, ctx) } : {}),
        ...(become ? { become } : {}),
      };
      const problems = commandProblems(cmd);
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      const r = await transportFor(ctx).run({ ...cmd, readOnly: true });
      const result: ExecResult = { ran: true, code: r.code, stdout: r.stdout, stderr: r.stderr };
      if (own.failedWhen ? own.failedWhen(result) : r.code !== 0) {
        throw new TaskError(
          ctx.path,
          `${quoteArgv(argv)} ${own.failedWhen ? `failed (failedWhen), exit ${r.code}` : `exited ${r.code}`}${tail(r.stderr || r.stdout)}`,
        );
      }
      return noChange(`read ${quoteArgv(argv)}`, result);
    },
  });
}
