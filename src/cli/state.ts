import { createInterface } from 'node:readline/promises';
import { ConfigError } from '../runtime/errors.ts';
import { componentVars, envOf, loadInventory } from '../runtime/inventory.ts';
import { findComponent } from '../runtime/loader.ts';
import { stateFor } from '../runtime/state/index.ts';
import type { Env } from '../runtime/env.ts';

function envFor(root: string, component: string, envName: string): Env {
  findComponent(root, component);
  const inv = loadInventory(root, envName);
  const { vars, provenance } = componentVars(inv, component);
  return envOf(inv, vars, provenance, component);
}

/** `helix history <component>`: the recorded runs, newest last. */
export async function historyCommand(root: string, component: string, o: { env: string; json?: boolean }): Promise<void> {
  const { journal } = stateFor(envFor(root, component, o.env), component);
  const runs = await journal.list();
  if (o.json) {
    process.stdout.write(`${JSON.stringify(runs)}\n`);
    return;
  }
  if (runs.length === 0) process.stdout.write(`no recorded runs of ${component} in ${o.env}\n`);
  for (const r of runs) {
    process.stdout.write(
      `#${String(r.seq).padEnd(4)} ${r.startedAt}  ${r.selection.padEnd(8)} ${r.status.padEnd(11)} ${String(r.changes.length).padStart(4)} change(s)  ${r.holder.user}@${r.holder.host}\n`,
    );
  }
}

/** `helix unlock <component>`: removes a lock left behind, after showing its holder. */
export async function unlockCommand(root: string, component: string, o: { env: string; yes?: boolean }): Promise<number> {
  const { lock } = stateFor(envFor(root, component, o.env), component);
  const info = await lock.read();
  if (!info) {
    process.stdout.write(`${lock.scope} is not locked\n`);
    return 0;
  }
  const h = info.holder;
  process.stdout.write(`${lock.scope} is held by ${h.user}@${h.host} pid ${h.pid} (${h.command}) since ${h.startedAt}, renewed ${info.renewedAt}\n`);
  if (!o.yes) {
    if (!process.stdin.isTTY) throw new ConfigError('refusing to unlock without confirmation: pass --yes', 'unlock');
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Release it? Only do this if that run is gone. [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stdout.write('left locked\n');
      return 1;
    }
  }
  await lock.forceRelease();
  process.stdout.write(`released ${lock.scope}\n`);
  return 0;
}
