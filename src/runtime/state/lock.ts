import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

/**
 * This run no longer holds its lock: another run took it over, or it could not be renewed before
 * it expired (so another run may have). The run stops before its next task.
 */
export class LockLostError extends HelixError {
  constructor(scope: string, why: string) {
    super(`lost the run lock ${scope}: ${why}; stopped before the next task (run again to converge from here)`);
  }
}

export interface AcquiredLock {
  /** The previous holder when an expired lock was taken over. */
  readonly takenOver: LockInfo | undefined;
  release(): Promise<void>;
  /**
   * Before a task: when the last renewal is overdue (the process was stopped, the event loop
   * starved), renews now and waits for the answer, so a lost lock is known before the task.
   */
  confirm?(): Promise<void>;
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
 * A lock file. A holder on this machine whose pid is gone, or any holder whose lease time ran
 * out, is taken over (and the takeover reported). Every step that decides who holds the lock is
 * one atomic file system operation, so two runs racing for it cannot both win:
 * - taking a free lock is `link(2)` of a complete, private file onto the lock's name (it fails
 *   when the name exists, and a reader never sees a half-written lock);
 * - taking over a stale lock first moves it aside with `rename(2)` to a name of the taker's own.
 *   Only one taker's rename can move a given file. A taker whose rename moved a lock other than
 *   the stale one it judged (another taker's fresh lock) puts it back and looks again.
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
    return readFileSafe(this.#file);
  }

  #stale(info: LockInfo): boolean {
    return expired(info) || (info.holder.host === hostname() && !pidAlive(info.holder.pid));
  }

  /** Puts `info` at the lock's name unless something is there: true when this call took the lock. */
  #create(info: LockInfo): boolean {
    const tmp = `${this.#file}.${info.holder.id}.new`;
    writeFileSync(tmp, JSON.stringify(info), { mode: 0o600 });
    try {
      linkSync(tmp, this.#file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Removes the lock `seen` (judged stale) unless another run replaced it since: true when the
   * lock's name is now free of `seen`, false when a live lock is there and was left in place.
   */
  #removeStale(seen: LockInfo, taker: LockHolder): boolean {
    const aside = `${this.#file}.${taker.id}.stale`;
    try {
      renameSync(this.#file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true; // another taker moved it first
      throw error;
    }
    const moved = readFileSafe(aside);
    if (moved && (moved.holder.id !== seen.holder.id || moved.renewedAt !== seen.renewedAt)) {
      // Not the lock judged stale: a run took it over in between. Put it back unless yet another run
      // holds the name by now (that run won; the one whose lock was moved sees it lost at its next renewal).
      try {
        linkSync(aside, this.#file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      rmSync(aside, { force: true });
      return false;
    }
    rmSync(aside, { force: true });
    return true;
  }

  async acquire(holder: LockHolder, opts: { waitMs: number; ttlSeconds: number; onLost: (e: Error) => void }): Promise<AcquiredLock> {
    const deadline = Date.now() + opts.waitMs;
    let takenOver: LockInfo | undefined;
    let removed: LockInfo | undefined;
    for (;;) {
      if (this.#create({ holder, renewedAt: new Date().toISOString(), ttlSeconds: opts.ttlSeconds })) {
        takenOver = removed;
        break;
      }
      const current = await this.read();
      if (current && this.#stale(current)) {
        if (this.#removeStale(current, holder)) removed = current;
        continue;
      }
      if (Date.now() >= deadline) throw new LockHeldError(this.scope, current ?? { holder, renewedAt: '?', ttlSeconds: 0 });
      await pause(Math.min(1000, Math.max(50, deadline - Date.now())));
    }
    let renewedAt = Date.now();
    const timer = setInterval(
      () => {
        const current = readFileSafe(this.#file);
        if (Date.now() - renewedAt > opts.ttlSeconds * 1000) {
          // This process was stopped past the lock's time: another run may hold it by now.
          clearInterval(timer);
          opts.onLost(new LockLostError(this.scope, `not renewed for ${Math.round((Date.now() - renewedAt) / 1000)} s, longer than its ${opts.ttlSeconds} s`));
          return;
        }
        if (current?.holder.id !== holder.id) {
          clearInterval(timer);
          const by = current ? ` to ${current.holder.user}@${current.holder.host} pid ${current.holder.pid}` : ' (its file is gone)';
          opts.onLost(new LockLostError(this.scope, `another run took it over${by}`));
          return;
        }
        // A complete file, renamed over the lock: a reader never sees a half-written one.
        const tmp = `${this.#file}.${holder.id}.renew`;
        writeFileSync(tmp, JSON.stringify({ ...current, renewedAt: new Date().toISOString() }), { mode: 0o600 });
        renameSync(tmp, this.#file);
        renewedAt = Date.now();
      },
      Math.max(500, (opts.ttlSeconds * 1000) / 3),
    );
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
