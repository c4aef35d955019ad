import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { HelixError } from '../errors.ts';

/** Who holds a run lock; stored with the lock, shown to whoever is refused. No secrets in here. */
export interface LockHolder {
  id: string;
  user: string;
  host: string;
  pid: number;
  command: string;
  startedAt: string;
}

export interface LockInfo {
  holder: LockHolder;
  renewedAt: string;
  ttlSeconds: number;
}

/** A second run found the lock held and live. */
export class LockHeldError extends HelixError {
  readonly info: LockInfo;
  constructor(scope: string, info: LockInfo) {
    const h = info.holder;
    super(
      `${scope} is locked by ${h.user}@${h.host} pid ${h.pid} (${h.command}, since ${h.startedAt}, renewed ${info.renewedAt}); ` +
        'wait with --wait-lock <duration>, or `helix unlock` if that run is gone',
    );
    this.info = info;
  }
}

export interface AcquiredLock {
  /** The previous holder when an expired lock was taken over. */
  readonly takenOver: LockInfo | undefined;
  release(): Promise<void>;
}

/** A lock per (component, environment): a Kubernetes Lease, or a file for cluster-less components. */
export interface RunLock {
  readonly scope: string;
  acquire(holder: LockHolder, opts: { waitMs: number; ttlSeconds: number; onLost: (error: Error) => void }): Promise<AcquiredLock>;
  read(): Promise<LockInfo | undefined>;
  forceRelease(): Promise<boolean>;
}

export function newHolder(command: string): LockHolder {
  return {
    id: `${hostname()}-${process.pid}-${Date.now().toString(36)}`,
    user: userInfo().username,
    host: hostname(),
    pid: process.pid,
    command,
    startedAt: new Date().toISOString(),
  };
}

export function expired(info: LockInfo, now = Date.now()): boolean {
  return Date.parse(info.renewedAt) + info.ttlSeconds * 1000 < now;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Sleeps in small steps until `deadline`, for lock waits. */
export function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * A lock file created with O_EXCL. A holder on this machine whose pid is gone, or any holder
 * whose lease time ran out, is taken over (and the takeover reported).
 */
export class FileLock implements RunLock {
  readonly scope: string;
  readonly #file: string;

  constructor(dir: string, scope: string) {
    this.scope = scope;
    mkdirSync(dir, { recursive: true });
    this.#file = join(dir, `${scope.replace(/[^a-z0-9_.-]/gi, '_')}.lock`);
  }

  async read(): Promise<LockInfo | undefined> {
    try {
      return JSON.parse(readFileSync(this.#file, 'utf8')) as LockInfo;
    } catch {
      return undefined;
    }
  }

  #stale(info: LockInfo): boolean {
    return expired(info) || (info.holder.host === hostname() && !pidAlive(info.holder.pid));
  }

  async acquire(holder: LockHolder, opts: { waitMs: number; ttlSeconds: number; onLost: (e: Error) => void }): Promise<AcquiredLock> {
    const deadline = Date.now() + opts.waitMs;
    let takenOver: LockInfo | undefined;
    for (;;) {
      const info: LockInfo = { holder, renewedAt: new Date().toISOString(), ttlSeconds: opts.ttlSeconds };
      try {
        const fd = openSync(this.#file, 'wx', 0o600);
        writeSync(fd, JSON.stringify(info));
        closeSync(fd);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = await this.read();
      if (current && this.#stale(current)) {
        takenOver = current;
        rmSync(this.#file, { force: true });
        continue;
      }
      if (Date.now() >= deadline) throw new LockHeldError(this.scope, current ?? { holder, renewedAt: '?', ttlSeconds: 0 });
      await pause(Math.min(1000, Math.max(50, deadline - Date.now())));
    }
    const timer = setInterval(() => {
      const current = readFileSafe(this.#file);
      if (current?.holder.id !== holder.id) {
        clearInterval(timer);
        opts.onLost(new HelixError(`lost the run lock ${this.scope} to ${current?.holder.user}@${current?.holder.host}`));
        return;
      }
      writeFileSync(this.#file, JSON.stringify({ ...current, renewedAt: new Date().toISOString() }), { mode: 0o600 });
    }, Math.max(500, (opts.ttlSeconds * 1000) / 3));
    timer.unref();
    return {
      takenOver,
      release: async () => {
        clearInterval(timer);
        if (readFileSafe(this.#file)?.holder.id === holder.id) rmSync(this.#file, { force: true });
      },
    };
  }

  async forceRelease(): Promise<boolean> {
    const had = (await this.read()) !== undefined;
    rmSync(this.#file, { force: true });
    return had;
  }
}

function readFileSafe(file: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}
