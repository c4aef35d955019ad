import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { sandboxDir } from '../src/runtime/paths.ts';

export interface SandboxInventory {
  kubernetes: { kubeconfig: string; context: string };
  vars: Record<string, unknown>;
  hosts: Record<string, { address: string; port: number; user: string; key: string; hostKeys: string[] }>;
  groups?: Record<string, { hosts: string[] }>;
}

export function sandboxInventory(): SandboxInventory {
  return parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as SandboxInventory;
}

export function sandboxKube(): { kubeconfig: string; context: string } {
  return sandboxInventory().kubernetes;
}
