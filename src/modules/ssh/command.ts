import { Secret } from '../../runtime/secret.ts';
import { quoteArgv } from './quote.ts';

/** Run a command as another user through `sudo`. */
export interface Become {
  /** @default 'root' */
  user?: string;
}

/**
 * A command for a host: an argument vector, never a shell string. Environment values and
 * stdin travel on the command's standard input, so a secret never appears on a command
 * line (neither in the SSH exec request nor in the remote process list).
 */
export interface Command {
  argv: readonly string[];
  /** Bytes for the command's stdin. */
  stdin?: string | Buffer | Secret;
  /** Variables exported before the command runs. Values must be single-line. */
  env?: Readonly<Record<string, string | Secret>>;
  /** Working directory. */
  cwd?: string;
  become?: Become;
  /**
   * True when the command changes nothing on the host (stat, cat, dpkg-query). Commands
   * that may change something invalidate the host's cached file facts.
   */
  readOnly?: boolean;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Marks the end of anything `sudo` might not have read (a password it did not ask for). */
export const STDIN_MARKER = '__helix_stdin__';

/**
 * The fixed program every command runs through (`sh -c PRELUDE helix CWD ARGV...`):
 * 1. skip stdin up to the marker line: if `sudo` did not need the password, the password
 *    line is dropped here, unread and unprinted;
 * 2. export `NAME=value` lines up to an empty line;
 * 3. change to CWD when given, then exec ARGV, which inherits the rest of stdin.
 */
export const PRELUDE = [
  `while IFS= read -r l; do [ "$l" = ${STDIN_MARKER} ] && break; done`,
  'while IFS= read -r l && [ -n "$l" ]; do export "$l" || exit 125; done',
  'unset l',
  '[ -z "$1" ] || cd -- "$1" || exit 125',
  'shift',
  'exec "$@"',
].join('\n');

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Problems with a command that make it impossible to send (checked before anything runs). */
export function commandProblems(cmd: Command): string[] {
  const problems: string[] = [];
  if (cmd.argv.length === 0) problems.push('argv is empty');
  if (cmd.argv.some((a) => a.includes('\0'))) problems.push('argv contains a NUL byte');
  for (const [name, value] of Object.entries(cmd.env ?? {})) {
    if (!ENV_NAME.test(name)) problems.push(`env: invalid variable name "${name}"`);
    const v = value instanceof Secret ? value.reveal() : value;
    if (/[\n\r\0]/.test(v)) problems.push(`env ${name}: the value must be a single line (pass multi-line data on stdin)`);
  }
  return problems;
}

export interface Framed {
  /** The command line the remote login shell runs. Holds no environment value and no secret. */
  line: string;
  /** Everything written to the channel's stdin. */
  stdin: Buffer;
}

/**
 * Turns a command into the one line sent to the host and the bytes written to its stdin.
 * With `become`, `sudo -S -p ''` reads the password from the first stdin line (or, with
 * no password, `sudo -n` fails at once instead of waiting for one).
 */
export function frame(cmd: Command, becomePassword?: Secret): Framed {
  const problems = commandProblems(cmd);
  if (problems.length) throw new TypeError(problems.join('; '));
  const data = cmd.stdin === undefined ? Buffer.alloc(0) : cmd.stdin instanceof Secret ? Buffer.from(cmd.stdin.reveal()) : Buffer.from(cmd.stdin);
  const env = Object.entries(cmd.env ?? {});
  // Nothing to set up: the argv runs as it is, with stdin untouched.
  if (!cmd.become && env.length === 0 && cmd.cwd === undefined) return { line: quoteArgv(cmd.argv), stdin: data };
  const argv = ['sh', '-c', PRELUDE, 'helix', cmd.cwd ?? '', ...cmd.argv];
  const parts: Buffer[] = [];
  let sudo: string[] = [];
  if (cmd.become) {
    const user = cmd.become.user ?? 'root';
    sudo = becomePassword ? ['sudo', '-H', '-S', '-p', '', '-u', user, '--'] : ['sudo', '-H', '-n', '-u', user, '--'];
    if (becomePassword) parts.push(Buffer.from(`${becomePassword.reveal()}\n`));
  }
  const lines = env.map(([k, v]) => `${k}=${v instanceof Secret ? v.reveal() : v}\n`);
  parts.push(Buffer.from(`${STDIN_MARKER}\n${lines.join('')}\n`), data);
  return { line: quoteArgv([...sudo, ...argv]), stdin: Buffer.concat(parts) };
}

/** True when a failed become command failed in `sudo` itself (not in the command). */
export function sudoRefused(result: CommandResult): string | undefined {
  const err = result.stderr;
  if (result.code === 127 && /sudo: (command )?not found|sudo: No such file/.test(err)) return 'become: sudo is not installed on the host';
  if (result.code !== 1) return undefined;
  if (/sudo: (a password is required|\d+ incorrect password attempts?|no password was provided|a terminal is required)/.test(err)) {
    return 'become: sudo refused the password (it is missing or wrong)';
  }
  if (/is not in the sudoers file|is not allowed to (execute|run)|may not run sudo/.test(err)) {
    return 'become: the user may not run commands as the become user (sudoers)';
  }
  return undefined;
}
