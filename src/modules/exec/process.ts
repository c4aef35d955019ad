import { spawn } from 'node:child_process';
import { access } from 'node:fs/promises';
import { constants } from 'node:os';
import { isSecret, type Secret } from '../../runtime/secret.ts';
import type { TaskContext } from '../../runtime/task.ts';

/** One command to start: an argument vector, never a shell string. */
export interface CommandSpec {
  argv: readonly string[];
  /** Added to (or, without `inheritEnv`, instead of) this process's environment. */
  env: Readonly<Record<string, string | Secret>>;
  inheritEnv: boolean;
  cwd?: string;
  stdin?: string | Secret;
  timeoutMs: number;
}

/** What a process left: raw (unmasked) output. Callers mask it before it goes anywhere. */
export interface ProcessOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** True when the process was killed because it ran longer than `timeoutMs`. */
  timedOut: boolean;
}

/** The IO seam of the exec module: start a process, look at a path. */
export interface ProcessRunner {
  run(spec: CommandSpec, signal: AbortSignal): Promise<ProcessOutput>;
  exists(path: string): Promise<boolean>;
}

/** Output kept per stream; more is cut (the end of stderr is what error messages show). */
const MAX_OUTPUT = 8 * 1024 * 1024;
/** Time a process gets to exit after SIGTERM before SIGKILL. */
const KILL_GRACE_MS = 3000;

class Capped {
  #chunks: Buffer[] = [];
  #size = 0;
  #dropped = 0;
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size > MAX_OUTPUT && this.#chunks.length > 1) {
      const first = this.#chunks.shift()!;
      this.#size -= first.length;
      this.#dropped += first.length;
    }
  }
  text(): string {
    const body = Buffer.concat(this.#chunks).toString('utf8');
    return this.#dropped ? `[${this.#dropped} earlier bytes not kept]\n${body}` : body;
  }
}

/**
 * Starts processes on this machine without a shell (`spawn` with an argument array), in
 * their own process group so a timeout or Ctrl-C stops their children too. Secrets are
 * revealed only here, into the environment or the stdin pipe.
 */
export const localProcesses: ProcessRunner = {
  async exists(path) {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  },
  run(spec, signal) {
    return new Promise((resolve, reject) => {
      const [command, ...args] = spec.argv;
      if (!command) return reject(new Error('empty argv'));
      const env: Record<string, string> = spec.inheritEnv ? { ...(process.env as Record<string, string>) } : {};
      for (const [k, v] of Object.entries(spec.env)) env[k] = isSecret(v) ? v.reveal() : v;
      const child = spawn(command, args, {
        cwd: spec.cwd,
        env,
        shell: false,
        detached: true,
        stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      const stdout = new Capped();
      const stderr = new Capped();
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
        killTimer ??= setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            child.kill('SIGKILL');
          }
        }, KILL_GRACE_MS);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, spec.timeoutMs);
      signal.addEventListener('abort', stop, { once: true });
      const done = (): void => {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        signal.removeEventListener('abort', stop);
      };

      child.stdout?.on('data', (c: Buffer) => stdout.push(c));
      child.stderr?.on('data', (c: Buffer) => stderr.push(c));
      if (child.stdin) {
        child.stdin.on('error', () => {}); // a command that does not read its stdin closes the pipe (EPIPE)
        child.stdin.end(isSecret(spec.stdin) ? spec.stdin.reveal() : spec.stdin);
      }
      child.on('error', (error: NodeJS.ErrnoException) => {
        done();
        const why = error.code === 'ENOENT' ? 'command not found' : (error.code ?? error.message);
        reject(new Error(`cannot run ${command}: ${why}${spec.cwd && error.code === 'ENOENT' ? ` (or no folder ${spec.cwd})` : ''}`));
      });
      child.on('close', (code, sig) => {
        done();
        const exitCode = code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0);
        resolve({ exitCode, stdout: stdout.text(), stderr: stderr.text(), timedOut });
      });
    });
  },
};

/** The run's process runner (tests put a fake under this key). */
export const PROCESSES_KEY = 'exec.processes';

export function processesFor(ctx: TaskContext): ProcessRunner {
  return ctx.memo<ProcessRunner>(PROCESSES_KEY, () => localProcesses);
}
