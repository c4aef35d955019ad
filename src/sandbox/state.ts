import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TargetError } from '../runtime/errors.ts';
import { sandboxDir } from '../runtime/paths.ts';
import { markSecret } from '../runtime/secret.ts';
import { isAlive, sleep } from './proc.ts';

/** One process the sandbox started; `marker` is a string of its command line (guards against pid reuse). */
export interface ProcRecord {
  pid: number;
  marker: string;
  log: string;
  startedAt: string;
}

export interface SandboxState {
  version: 1;
  /** component → process name → record */
  processes: Record<string, Record<string, ProcRecord>>;
  /** Free-form facts a component wants to remember (e.g. the namespaces it created). */
  facts: Record<string, Record<string, unknown>>;
  /** Components that `up` started (or found running), in start order. */
  up: string[];
}

export function statePath(dir = sandboxDir()): string {
  return join(dir, 'state.json');
}

export function loadState(dir = sandboxDir()): SandboxState {
  const file = statePath(dir);
  if (!existsSync(file)) return { version: 1, processes: {}, facts: {}, up: [] };
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Partial<SandboxState>;
  return { version: 1, processes: raw.processes ?? {}, facts: raw.facts ?? {}, up: raw.up ?? [] };
}

export function saveState(state: SandboxState, dir = sandboxDir()): void {
  const file = statePath(dir);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Writes a file readable by its owner only (created 0600, and re-chmodded if it existed). */
export function writePrivate(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

export function secretsDir(dir = sandboxDir()): string {
  return join(dir, 'secrets');
}

/**
 * The path of a generated credential, created with a random value on first use and kept
 * across `up`/`down` (so clients configured once keep working). Values are never printed.
 */
export function ensureSecret(name: string, gen: () => string = () => randomBytes(18).toString('base64url')): string {
  const file = join(secretsDir(), name);
  if (!existsSync(file)) writePrivate(file, `${gen()}\n`);
  return file;
}

/** Reads a generated credential and registers it for masking in every helix output. */
export function readSecret(file: string): string {
  const value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  markSecret(value);
  return value;
}

/**
 * An exclusive lock on the sandbox directory, so two `up`s (a developer and a test run)
 * do not start the same components twice. A lock left by a dead process is taken over.
 */
export async function withLock<T>(fn: () => Promise<T>, timeoutMs = 60 * 60_000): Promise<T> {
  const dir = sandboxDir();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'lock');
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(readFileSync(file, 'utf8').trim());
      if (!holder || !isAlive(holder) || holder === process.pid) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new TargetError('sandbox', `another helix sandbox command (pid ${holder}) holds ${file}`);
      if (!announced) {
        process.stderr.write(`sandbox: waiting for another helix sandbox command (pid ${holder}) to finish\n`);
        announced = true;
      }
      await sleep(1000);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}
