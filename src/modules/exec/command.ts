import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, TaskError } from '../../runtime/errors.ts';
import { isSecret, mask, type Secret } from '../../runtime/secret.ts';
import { type Input, isStatic, resolve, type TaskContext } from '../../runtime/task.ts';
import type { CommandSpec, ProcessOutput } from './process.ts';

/** How a command is started. Shared by `exec.run`, `exec.query` and `unless` checks. */
export interface CommandOptions {
  /**
   * The program and its arguments, passed to the program as they are (no shell). Never put
   * a secret here (other users can read a command line): use `env` or `stdin`.
   */
  argv: Input<readonly string[]>;
  /** Environment variables added for the command; the place for secrets. @default {} */
  env?: Input<Readonly<Record<string, string | Secret>>>;
  /** Start from this process's environment, with `env` on top. @default true */
  inheritEnv?: boolean;
  /** Working folder: an absolute path or `file:` URL. @default the current folder */
  cwd?: string | URL;
  /** Kill the command (and its children) after this long. @default 600000 (10 minutes) */
  timeoutMs?: number;
  /** Text written to the command's stdin; a Secret is revealed only into the pipe. */
  stdin?: Input<string | Secret>;
  /**
   * Values to mask in the command's output and errors, besides every Secret (which is always
   * masked): e.g. a Secret the command prints in another form. @default []
   */
  secrets?: readonly Secret[];
}

/** What a command did. `stdout` and `stderr` are masked. */
export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** False when the command was not run because it was not needed (`creates`, `unless`...). */
  ran: boolean;
}

/** @default 600000 */
export const DEFAULT_TIMEOUT_MS = 600_000;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function cwdOf(options: Pick<CommandOptions, 'cwd'>): string | undefined {
  return options.cwd instanceof URL ? fileURLToPath(options.cwd) : options.cwd;
}

/** Problems with an argument vector: empty, not strings, or carrying a secret. */
export function argvProblems(argv: unknown, label = 'argv'): string[] {
  if (!Array.isArray(argv) || argv.length === 0) return [`${label} must be a non-empty array of strings (the program, then its arguments)`];
  const problems: string[] = [];
  argv.forEach((arg: unknown, i) => {
    if (isSecret(arg)) problems.push(`${label}[${i}] is a Secret: pass secrets through env or stdin, never argv`);
    else if (typeof arg !== 'string') problems.push(`${label}[${i}] must be a string, got ${arg === null ? 'null' : typeof arg}`);
    else if (mask(arg) !== arg) problems.push(`${label}[${i}] contains a secret value: pass secrets through env or stdin, never argv`);
  });
  if (typeof argv[0] === 'string' && argv[0].trim() === '') problems.push(`${label}[0] (the program) is empty`);
  return problems;
}

function envProblems(env: unknown): string[] {
  if (typeof env !== 'object' || env === null) return ['env must be an object of names to strings or Secrets'];
  return Object.entries(env).flatMap(([k, v]) => [
    ...(ENV_NAME.test(k) ? [] : [`env name "${k}" is not a valid variable name`]),
    ...(typeof v === 'string' || isSecret(v) ? [] : [`env ${k} must be a string or a Secret`]),
  ]);
}

/** Static checks of the options every command shares. */
export function validateCommand(options: CommandOptions, report: (message: string) => void): void {
  if (isStatic(options.argv)) argvProblems(options.argv).forEach(report);
  if (options.env !== undefined && isStatic(options.env)) envProblems(options.env).forEach(report);
  const cwd = cwdOf(options);
  if (cwd !== undefined && !isAbsolute(cwd)) report(`cwd "${cwd}" is relative: give an absolute path or a file: URL`);
  if (options.timeoutMs !== undefined && !(Number.isFinite(options.timeoutMs) && options.timeoutMs > 0)) {
    report('timeoutMs must be a positive number of milliseconds');
  }
  if (options.stdin !== undefined && isStatic(options.stdin) && typeof options.stdin !== 'string' && !isSecret(options.stdin)) {
    report('stdin must be a string or a Secret');
  }
  (options.secrets ?? []).forEach((s, i) => {
    if (!isSecret(s)) report(`secrets[${i}] must be a Secret`);
  });
}

/** Resolves the options into a command to start, checking what validation could not see. */
export function commandSpec(options: CommandOptions, ctx: TaskContext, argv: Input<readonly string[]> = options.argv): CommandSpec {
  const args = resolve(argv, ctx);
  const env = options.env === undefined ? {} : resolve(options.env, ctx);
  const problems = [...argvProblems(args), ...envProblems(env)];
  if (problems.length) throw new ConfigError(problems.join('; '), ctx.path);
  const cwd = cwdOf(options);
  const stdin = options.stdin === undefined ? undefined : resolve(options.stdin, ctx);
  return {
    argv: [...args],
    env,
    inheritEnv: options.inheritEnv ?? true,
    ...(cwd !== undefined ? { cwd } : {}),
    ...(stdin !== undefined ? { stdin } : {}),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Masks output with every known secret and the command's own `secrets`. */
export function maskOutput(text: string, secrets: readonly Secret[] = []): string {
  let out = mask(text);
  for (const s of secrets) {
    const value = s.reveal();
    if (value) out = out.split(value).join('********');
  }
  return out;
}

export function toResult(out: ProcessOutput, secrets: readonly Secret[] | undefined): ExecResult {
  return { exitCode: out.exitCode, stdout: maskOutput(out.stdout, secrets), stderr: maskOutput(out.stderr, secrets), ran: true };
}

/** A command line for humans: `helm repo add 'my repo' https://…`. Not for running. */
export function display(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

const TAIL_LINES = 20;
const TAIL_CHARS = 2000;

/** The end of a (masked) output, for error messages. */
export function tail(text: string): string {
  const lines = text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  return lines.length > TAIL_CHARS ? `…${lines.slice(-TAIL_CHARS)}` : lines;
}

/** The error for a command that failed: exit code (or timeout) and the end of stderr (or stdout). */
export function commandFailed(ctx: TaskContext, spec: CommandSpec, out: ProcessOutput, result: ExecResult, why?: string): TaskError {
  const argv = spec.argv;
  const head = out.timedOut
    ? `\`${display(argv)}\` timed out after ${spec.timeoutMs} ms`
    : why
      ? `\`${display(argv)}\` failed (${why}; exit ${result.exitCode})`
      : `\`${display(argv)}\` exited with ${result.exitCode}`;
  const text = tail(result.stderr) || tail(result.stdout);
  return new TaskError(ctx.path, text ? `${head}:\n${text}` : head);
}
