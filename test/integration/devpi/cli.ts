import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** helix's checkout, where the devpi tests run the CLI as a user does (`node bin/helix.js …`). */
export const root = fileURLToPath(new URL('../../..', import.meta.url));
const bin = join(root, 'bin', 'helix.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** The JSON events, when `--json` was given. */
  events: Record<string, any>[];
}

/**
 * `node bin/helix.js <args>` in the checkout, waiting for it. The sandbox is shared: play, test
 * and rollback wait for another run's lock (15 min) instead of failing on it.
 */
export function helix(args: string[], env: NodeJS.ProcessEnv = {}): CliRun {
  const all = ['play', 'test', 'rollback'].includes(args[0]!) ? [...args, '--wait-lock', '15m'] : args;
  const r = spawnSync(process.execPath, [bin, ...all], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const events = args.includes('--json')
    ? r.stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, any>)
    : [];
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, events };
}

/** Every change a run reported, as `<action> <target>`, sorted. */
export const keys = (run: CliRun): string[] =>
  run.events
    .filter((e) => e.type === 'task.changed')
    .flatMap((e) => (e.changes as { action: string; target: string }[]).map((c) => `${c.action} ${c.target}`))
    .sort();
