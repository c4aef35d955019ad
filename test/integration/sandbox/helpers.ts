import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inject } from 'vitest';
import type { SandboxOutputs } from '../../../src/sandbox/outputs.ts';

/** The running sandbox's outputs, as the global setup provided them. */
export function sandbox(): SandboxOutputs {
  return inject('sandbox');
}

/** True when the global setup started this component (`HELIX_SANDBOX_ONLY` may leave it out). */
export function has(component: string): boolean {
  return sandbox().components.includes(component);
}

/** A string var of the sandbox inventory. */
export function v(name: string): string {
  const value = sandbox().vars[name];
  if (typeof value !== 'string') throw new Error(`sandbox var ${name} is not a string: ${JSON.stringify(value)}`);
  return value;
}

/** Reads the secret file an inventory var refers to (`{ secret: { file } }`). */
export function secret(name: string): string {
  const ref = sandbox().vars[name] as { secret?: { file?: string } } | undefined;
  const file = ref?.secret?.file;
  if (!file) throw new Error(`sandbox var ${name} is not a secret file reference`);
  return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
}

export interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command (argument array), resolving with its exit code and output. */
export function exec(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number; input?: string } = {}): Promise<Exec> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { env: opts.env ?? process.env, cwd: opts.cwd, timeout: opts.timeoutMs ?? 60_000, encoding: 'utf8', maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `fn` returns a truthy value, or fails with `what` after `timeoutMs`. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const r = await fn();
      if (r) return r;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await sleep(500);
  }
}
