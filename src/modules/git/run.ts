import { spawn } from 'node:child_process';
import { TargetError } from '../../runtime/errors.ts';
import { mask } from '../../runtime/secret.ts';

export interface GitResult {
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  /** The git directory (`--git-dir`), when the command needs one. */
  gitDir?: string;
  env?: Record<string, string>;
  input?: string;
  /** What the command is about, for errors: `push to ssh://git@host/repo.git`. */
  what: string;
  /** The remote, for the error's target. */
  remote: string;
  /** @default 120 s */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs git with an argument array (never a shell), prompts off and a fixed environment.
 * A failure is a TargetError naming the operation with the end of git's (masked) stderr.
 */
export function git(args: readonly string[], opts: GitOptions): Promise<GitResult> {
  const argv = [...(opts.gitDir ? ['--git-dir', opts.gitDir] : []), '-c', 'commit.gpgSign=false', '-c', 'core.hooksPath=/dev/null', ...args];
  return new Promise((resolve, reject) => {
    const child = spawn('git', argv, {
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...opts.env },
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 120_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new TargetError(`git ${opts.remote}`, `${opts.what}: cannot run git (${e.message})`)));
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) return resolve({ stdout, stderr });
      reject(new TargetError(`git ${opts.remote}`, `${opts.what}: ${explain(stderr, code, signal)}`));
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // git may exit before reading all input; its exit code tells
      child.stdin.end(opts.input);
    }
  });
}

function explain(stderr: string, code: number | null, signal: NodeJS.Signals | null): string {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(stderr)) {
    return 'the host key of the remote is not among the known host keys: refusing to connect (host key verification failed)';
  }
  if (/Permission denied \(publickey/.test(stderr)) return 'the SSH key was refused (Permission denied (publickey))';
  if (/\[rejected\]|non-fast-forward|fetch first|stale info/.test(stderr)) {
    return 'the remote branch moved since helix read it (push rejected as non-fast-forward); run again to plan on top of it';
  }
  const lines = mask(stderr)
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3)
    .join(' | ');
  return `git exited with ${signal ?? code}${lines ? `: ${lines.slice(0, 400)}` : ''}`;
}
