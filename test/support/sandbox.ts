import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sandboxDir } from '../../src/runtime/paths.ts';

/** A host as the sandbox inventory lists it. */
export interface SandboxHost {
  address: string;
  port?: number;
  user: string;
  key?: string;
  hostKeys?: string[];
  [field: string]: unknown;
}

/** The inventory `helix sandbox up` wrote, parsed as it is (no validation, no secrets resolved). */
export interface SandboxInventory {
  file: string;
  hosts: Record<string, SandboxHost>;
  groups: Record<string, { hosts: string[]; vars?: Record<string, unknown> }>;
  /** The whole document. */
  raw: Record<string, unknown>;
}

/** The sandbox inventory file (`HELIX_SANDBOX_INVENTORY`, else `<sandboxDir>/inventory.yaml`). */
export function sandboxInventoryFile(): string {
  return process.env.HELIX_SANDBOX_INVENTORY ?? join(sandboxDir(), 'inventory.yaml');
}

/** Reads the sandbox inventory; undefined when the sandbox has not written one. */
export function readSandboxInventory(file = sandboxInventoryFile()): SandboxInventory | undefined {
  if (!existsSync(file)) return undefined;
  const raw = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  return {
    file,
    hosts: (raw.hosts ?? {}) as SandboxInventory['hosts'],
    groups: (raw.groups ?? {}) as SandboxInventory['groups'],
    raw,
  };
}
