import { execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { TargetError } from '../runtime/errors.ts';

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's stdin. */
  input?: string;
  /** Run as this user/group id (the caller must be root). */
  uid?: number;
  gid?: number;
  /** @default 10 minutes */
  timeoutMs?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command given as an argument array (never a shell string); rejects with its output on failure. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      cmd,
      [...args],
      {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        uid: opts.uid,
        gid: opts.gid,
        timeout: opts.timeoutMs ?? 10 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        if (error) {
          const tail = lastLines(`${stdout}\n${stderr}`, 15);
          reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')}… failed (${error.code ?? error.signal ?? error.message}):\n${tail}`));
        } else resolve({ stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like {@link run}, but resolves with the exit code instead of rejecting. */
export async function runStatus(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<number> {
  try {
    await run(cmd, args, opts);
    return 0;
  } catch {
    return 1;
  }
}

export interface DaemonOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gid?: number;
  /** stdout and stderr go here (appended). */
  log: string;
}

/**
 * Starts a long-running process detached from helix, in its own process group (pgid = pid),
 * with its output appended to a log file. Returns its pid.
 */
export function spawnDaemon(cmd: string, args: readonly string[], opts: DaemonOptions): number {
  const fd = openSync(opts.log, 'a', 0o600);
  try {
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      uid: opts.uid,
      gid: opts.gid,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** The command line of a live process, or undefined when there is no such process. */
export function cmdline(pid: number): string[] | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!raw) return undefined; // zombie
    return raw.split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

/** True when `pid` is alive and its command line contains `marker` (guards against pid reuse). */
export function isOurs(pid: number | undefined, marker: string): boolean {
  if (!pid) return false;
  const argv = cmdline(pid);
  return !!argv && argv.some((a) => a.includes(marker));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return cmdline(pid) !== undefined;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops a process group started by {@link spawnDaemon}: TERM, then KILL after `graceMs`. */
export async function stopPid(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (!isAlive(pid)) return;
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(100);
  }
  signal('SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
}

/** The last `n` lines of a text. */
export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** The last `n` lines of a log file ('' when it does not exist). */
export function tailFile(file: string, n = 20): string {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8');
  return lastLines(text.length > 200_000 ? text.slice(-200_000) : text, n);
}

/** True when something accepts TCP connections on host:port. */
export function tcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Reads the first bytes a TCP server sends (an SSH banner, for instance). */
export function tcpBanner(host: string, port: number, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    let data = '';
    const done = (v: string | undefined) => {
      sock.destroy();
      resolve(v);
    };
    sock.setTimeout(timeoutMs, () => done(data || undefined));
    sock.on('data', (chunk) => {
      data += chunk.toString('latin1');
      if (data.includes('\n')) done(data.split('\n')[0]!.trim());
    });
    sock.once('error', () => done(undefined));
  });
}

/** True when host:port can be bound now (nothing listens there). */
export function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ host, port, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Fails with a clear message when a port the sandbox needs is taken by someone else. */
export async function requirePortFree(component: string, host: string, port: number): Promise<void> {
  if (!(await portFree(host, port))) {
    throw new TargetError(
      `sandbox/${component}`,
      `port ${host}:${port} is already in use by a process helix did not start; stop it or free the port (ss -ltnp 'sport = :${port}')`,
    );
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; `alive` aborts early when the process died. */
export async function waitUntil(
  check: () => Promise<boolean>,
  opts: { timeoutMs: number; intervalMs?: number; alive?: () => boolean },
): Promise<'ok' | 'timeout' | 'died'> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return 'ok';
    // A process in the middle of an exec (`ip netns exec` becoming sshd) briefly shows an
    // empty command line, so it is not "ours" for that instant: look again before calling it dead.
    if (opts.alive && !opts.alive()) {
      await sleep(250);
      if (!opts.alive()) return 'died';
    }
    if (Date.now() > deadline) return 'timeout';
    await sleep(opts.intervalMs ?? 500);
  }
}

export { sleep };

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}
