import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Component, Contribution, Ctx, InventoryHost } from './component.ts';
import { writePrivate } from './state.ts';

/**
 * What `up` leaves for playbooks and scripts: `inventory.yaml` (helix's inventory format,
 * secrets only as `{ secret: { file } }` references) and the data behind `helix sandbox env`.
 */
export interface SandboxOutputs {
  dir: string;
  inventory: string;
  components: string[];
  kubernetes?: { kubeconfig: string; context: string };
  vars: Record<string, unknown>;
  env: Record<string, string>;
  hosts: Record<string, InventoryHost>;
  groups: Record<string, string[]>;
}

export function collectOutputs(ctx: Ctx, running: readonly Component[]): SandboxOutputs {
  const out: SandboxOutputs = {
    dir: ctx.dir,
    inventory: join(ctx.dir, 'inventory.yaml'),
    components: running.map((c) => c.name),
    vars: { sandbox_dir: ctx.dir },
    env: { HELIX_SANDBOX_DIR: ctx.dir, HELIX_SANDBOX_INVENTORY: join(ctx.dir, 'inventory.yaml') },
    hosts: {},
    groups: {},
  };
  for (const c of running) {
    let contribution: Contribution;
    try {
      contribution = c.contribute?.(ctx) ?? {};
    } catch {
      continue; // a component whose files are gone (half-torn-down) contributes nothing
    }
    if (contribution.kubernetes) out.kubernetes = contribution.kubernetes;
    Object.assign(out.vars, contribution.vars);
    Object.assign(out.env, contribution.env);
    Object.assign(out.hosts, contribution.hosts);
    Object.assign(out.groups, contribution.groups);
  }
  return out;
}

export function inventoryDocument(o: SandboxOutputs): Record<string, unknown> {
  return {
    ...(o.kubernetes ? { kubernetes: o.kubernetes } : {}),
    vars: o.vars,
    hosts: o.hosts,
    groups: Object.fromEntries(Object.entries(o.groups).map(([g, hosts]) => [g, { hosts }])),
  };
}

export function writeOutputs(ctx: Ctx, running: readonly Component[]): SandboxOutputs {
  const o = collectOutputs(ctx, running);
  const header = '# Written by `helix sandbox up`; rewritten on every up. Secrets are references to 0600 files.\n';
  writePrivate(o.inventory, header + stringify(inventoryDocument(o), { lineWidth: 0 }));
  return o;
}

/** `export NAME='value'` lines, single-quoted for any POSIX shell. */
export function exportLines(env: Record<string, string>): string {
  const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  return Object.entries(env)
    .map(([k, v]) => `export ${k}=${q(v)}\n`)
    .join('');
}
