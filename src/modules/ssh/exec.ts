import { TaskError } from '../../runtime/errors.ts';
import type { Secret } from '../../runtime/secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskOptions, unchanged } from '../../runtime/task.ts';
import { type Command, commandProblems } from './command.ts';
import { gatherFacts } from './facts.ts';
import { declarePaths, readFileFacts } from './filestat.ts';
import { type HostOptions, toBecome } from './options.ts';
import { pathProblems, remotePath } from './paths.ts';
import { quoteArgv } from './quote.ts';
import { tail, transportFor } from './transport.ts';

export interface ExecResult {
  /** False when `creates` or `unless` said the command was not needed. */
  ran: boolean;
  code: number;
  stdout: string;
  stderr: string;
}

export interface ExecOptions extends HostOptions, TaskOptions<ExecResult> {
  /** The command as an argument vector; each argument is quoted by the transport. */
  argv: Input<readonly string[]>;
  /** Skip the command when this path exists on the host (absolute or `~/…`). */
  creates?: Input<string>;
  /** Skip the command when this one exits 0 (run with the same env, cwd and become). */
  unless?: Input<readonly string[]>;
  /** Variables for the command. They travel on stdin, never on a command line: Secrets are safe here. */
  env?: Input<Record<string, string | Secret>>;
  /** Working directory on the host. */
  cwd?: Input<string>;
  /** Data for the command's stdin. */
  stdin?: Input<string | Secret>;
  /** Exit codes that mean success (ignored when `failedWhen` is given). @default [0] */
  okCodes?: readonly number[];
  /** Decides from the output whether the command failed. @default (out) => !okCodes.includes(out.code) */
  failedWhen?: (out: ExecResult) => boolean;
  /**
   * Decides from the output whether the command changed something; `false` reports the task
   * as ok (Ansible's `changed_when`). @default () => true
   */
  changedWhen?: (out: ExecResult) => boolean;
  /**
   * Stop the command after this long (coreutils `timeout` on the host: TERM, then KILL 5 s
   * later) and fail the task. Without it a command may run as long as it likes.
   */
  timeoutMs?: number;
}

/**
 * Whether coreutils `timeout` stopped the command: 124, or 137 when it needed KILL (a command
 * killed by anything else also exits 137, so that counts only once the limit has passed).
 */
const timedOut = (code: number, elapsedMs: number, seconds: number): boolean => code === 124 || (code === 137 && elapsedMs >= seconds * 1000);

const NOT_RUN: ExecResult = Object.freeze({ ran: false, code: 0, stdout: '', stderr: '' });

/**
 * Runs a command on the host. With `creates` or `unless` it runs only when needed;
 * without either it cannot tell, runs every time and is reported as not idempotent.
 */
export function exec(name: string, options: ExecOptions): Task<ExecResult> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  const okCodes = own.okCodes ?? [0];
  const declaration = own.creates !== undefined && isStatic(own.creates) ? declarePaths([own.creates], become) : undefined;
  return defineTask<ExecResult>({
    kind: 'ssh.exec',
    name,
    options: common,
    validate: (report) => {
      if (isStatic(own.argv)) commandProblems({ argv: own.argv }).forEach(report);
      if (own.unless !== undefined && isStatic(own.unless)) commandProblems({ argv: own.unless }).forEach((p) => report(`unless: ${p}`));
      if (own.env !== undefined && isStatic(own.env)) commandProblems({ argv: ['true'], env: own.env }).forEach(report);
      if (own.creates !== undefined && isStatic(own.creates)) pathProblems(own.creates).forEach((p) => report(`creates: ${p}`));
      if (own.timeoutMs !== undefined && !(Number.isFinite(own.timeoutMs) && own.timeoutMs >= 1000))
        report('timeoutMs must be a number of milliseconds, at least 1000');
    },
    plan: async (ctx) => {
      const t = transportFor(ctx);
      const argv = resolve(own.argv, ctx);
      const base: Omit<Command, 'argv'> = {
        ...(own.env !== undefined ? { env: resolve(own.env, ctx) } : {}),
        ...(own.cwd !== undefined ? { cwd: resolve(own.cwd, ctx) } : {}),
        ...(become ? { become } : {}),
      };
      const problems = commandProblems({ argv, ...base });
      if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      if (own.creates !== undefined) {
        const facts = await gatherFacts(t);
        const raw = resolve(own.creates, ctx);
        const bad = pathProblems(raw);
        if (bad.length) throw new TaskError(ctx.path, `creates: ${bad.join('; ')}`);
        const path = remotePath(raw, facts);
        // In a check run, an earlier task may be about to create it: the real run would skip.
        if (ctx.plannedCreate(`file:${ctx.host.name}:${path}`)) return noChange(`${path} will exist (an earlier task creates it)`, NOT_RUN);
        const stats = await readFileFacts(ctx, [path], { ...(become ? { become } : {}), ...(declaration !== undefined ? { declaration } : {}) });
        if (stats.get(path)?.exists) return noChange(`${path} exists`, NOT_RUN);
      }
      if (own.unless !== undefined) {
        const unless = resolve(own.unless, ctx);
        const r = await t.run({ argv: unless, ...base, readOnly: true });
        if (r.code === 0) return noChange(`unless command succeeded: ${quoteArgv(unless)}`, NOT_RUN);
      }
      const stdin = own.stdin === undefined ? undefined : resolve(own.stdin, ctx);
      return {
        changes: [{ target: `exec:${ctx.host.name}:${ctx.path}`, action: 'run', summary: quoteArgv(argv) }],
        ...(own.creates === undefined && own.unless === undefined ? { notIdempotent: true } : {}),
        apply: async () => {
          const seconds = own.timeoutMs === undefined ? undefined : Math.ceil(own.timeoutMs / 1000);
          const timed = seconds === undefined ? argv : ['timeout', '--kill-after=5', `${seconds}`, ...argv];
          const started = Date.now();
          const r = await t.run({ argv: timed, ...base, ...(stdin !== undefined ? { stdin } : {}) });
          if (seconds !== undefined && !okCodes.includes(r.code) && timedOut(r.code, Date.now() - started, seconds)) {
            throw new TaskError(ctx.path, `${quoteArgv(argv)} timed out after ${seconds} s${tail(r.stderr || r.stdout)}`);
          }
          const result: ExecResult = { ran: true, code: r.code, stdout: r.stdout, stderr: r.stderr };
          if (own.failedWhen ? own.failedWhen(result) : !okCodes.includes(r.code)) {
            throw new TaskError(
              ctx.path,
              `${quoteArgv(argv)} ${own.failedWhen ? `failed (failedWhen), exit ${r.code}` : `exited ${r.code}`}${tail(r.stderr || r.stdout)}`,
            );
          }
          if (own.changedWhen && !own.changedWhen(result)) return unchanged(result, `${quoteArgv(argv)} ran; changedWhen says nothing changed`);
          return result;
        },
      };
    },
  });
}
