import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';

/**
 * Local processes for the test harness: started with argument arrays (no shell), logs to a
 * file, stopped by their own pid. Nothing else is ever signalled.
 */
export interface LocalProcess {
  name: string;
  pid: number;
  log: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** Starts `cmd args…` with its output in `log`; throws with the log's tail when it exits early. */
export function startProcess(name: string, cmd: string, args: readonly string[], o: { log: string; env?: NodeJS.ProcessEnv; cwd?: string }): LocalProcess & { child: ChildProcess } {
  const fd = openSync(o.log, 'a', 0o600);
  const child = spawn(cmd, [...args], { env: o.env ?? process.env, cwd: o.cwd, stdio: ['ignore', fd, fd], detached: false });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
  const pid = child.pid;
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  return {
    name,
    pid,
    log: o.log,
    child,
    stop: async () => {
      if (exited) return;
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, 10_000);
      await done;
      clearTimeout(t);
    },
  };
}

/** Runs a command to completion (argument array, no shell); stdin may carry a secret. */
export async function runToEnd(
  cmd: string,
  args: readonly string[],
  o: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { env: o.env ?? process.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
    child.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

export async function tcpOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host });
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** Polls `ok` every 250 ms until it is true, the process died, or the time is up. */
export async function waitFor(what: string, ok: () => Promise<boolean>, o: { timeoutMs: number; proc?: LocalProcess & { child: ChildProcess } }): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    if (o.proc && o.proc.child.exitCode !== null) throw new Error(`${what}: exited with ${o.proc.child.exitCode}\n${tail(o.proc.log)}`);
    if (await ok().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not ready after ${Math.round(o.timeoutMs / 1000)} s${o.proc ? `\n${tail(o.proc.log)}` : ''}`);
}

/** A RESP command to Redis over a socket (no client library needed for a few checks). */
export async function redisCommand(port: number, args: readonly string[], password?: string): Promise<string> {
  const encode = (a: readonly string[]): string => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' });
    let buf = '';
    const expected = password ? 2 : 1;
    s.setTimeout(5000);
    s.on('connect', () => {
      if (password) s.write(encode(['AUTH', password]));
      s.write(encode(args));
    });
    s.on('data', (d) => {
      buf += d.toString();
      const replies = splitReplies(buf);
      if (replies && replies.length >= expected) {
        s.destroy();
        const auth = password ? replies[0] : undefined;
        if (auth && auth.startsWith('-')) return reject(new Error(`redis AUTH failed: ${auth.slice(1)}`));
        resolve(replies[expected - 1]!);
      }
    });
    s.on('error', reject);
    s.on('timeout', () => {
      s.destroy();
      reject(new Error('redis: timeout'));
    });
  });
}

/** Splits complete top-level RESP replies; undefined while one is incomplete. */
function splitReplies(buf: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const line = (): string | undefined => {
    const j = buf.indexOf('\r\n', i);
    if (j < 0) return undefined;
    const l = buf.slice(i, j);
    i = j + 2;
    return l;
  };
  const one = (): string | undefined => {
    const start = i;
    const l = line();
    if (l === undefined) return undefined;
    if (l[0] === '$') {
      const n = Number(l.slice(1));
      if (n < 0) return '';
      if (buf.length < i + n + 2) return undefined;
      const v = buf.slice(i, i + n);
      i += n + 2;
      return v;
    }
    if (l[0] === '*') {
      const n = Number(l.slice(1));
      const items: string[] = [];
      for (let k = 0; k < n; k++) {
        const v = one();
        if (v === undefined) return undefined;
        items.push(v);
      }
      return items.join('\n');
    }
    void start;
    return l;
  };
  while (i < buf.length) {
    const v = one();
    if (v === undefined) return out.length ? out : undefined;
    out.push(v);
  }
  return out;
}
