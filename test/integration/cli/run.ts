import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** helix's checkout and its CLI, as a user runs it: `node bin/helix.js …`. */
export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = fileURLToPath(new URL('../../../bin/helix.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr, for assertions on what a user sees. */
  out: string;
}

/**
 * Runs `node bin/helix.js <args>` in `cwd` (the user's project folder): HELIX_ROOT is removed from
 * the environment, so the CLI finds the project from its working folder.
 */
export function helix(args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...o.env };
  delete env.HELIX_ROOT;
  for (const [k, v] of Object.entries(o.env ?? {})) if (v === undefined) delete env[k];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: o.cwd ?? repo, env, timeout: o.timeoutMs ?? 120_000, encoding: 'utf8', maxBuffer: 32 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr, out: stdout + stderr });
      },
    );
  });
}
