import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.ts';
import type { Component, Playbook } from './playbook.ts';

/** Which numbered playbooks a command runs. */
export type Selection = 'play' | 'test' | 'rollback';

const NUMBERED = /^(\d+)_([a-z0-9_]+)\.ts$/i;

export interface ComponentFolder {
  name: string;
  dir: string;
  /** Numbered playbook files in order: `{ name: '30_redis', file }`. */
  playbooks: { name: string; number: number; file: string }[];
}

/** Walks `playbooks/` for folders that hold a `component.ts`. */
export function listComponents(root: string): ComponentFolder[] {
  const base = join(root, 'playbooks');
  const found: ComponentFolder[] = [];
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    if (entries.includes('component.ts')) {
      const playbooks = entries
        .map((f) => NUMBERED.exec(f))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ name: m[0].slice(0, -3), number: Number(m[1]), file: join(dir, m[0]) }))
        .sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
      found.push({ name: basename(dir), dir, playbooks });
    }
    for (const e of entries) {
      const p = join(dir, e);
      if (e !== 'node_modules' && !e.startsWith('.') && statSync(p).isDirectory()) walk(p);
    }
  };
  walk(base);
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

export function findComponent(root: string, name: string): ComponentFolder {
  const all = listComponents(root);
  const match = all.filter((c) => c.name === name || relative(join(root, 'playbooks'), c.dir) === name);
  if (match.length === 0) {
    throw new ConfigError(`unknown component "${name}" (known: ${all.map((c) => c.name).join(', ') || 'none'})`, name);
  }
  if (match.length > 1) throw new ConfigError(`component name "${name}" is ambiguous; use its path under playbooks/`, name);
  return match[0]!;
}

/** Test playbooks are numbered 88, rollback playbooks 89; `play` runs all the others. */
export function selectPlaybooks(folder: ComponentFolder, selection: Selection): ComponentFolder['playbooks'] {
  return folder.playbooks.filter((p) => {
    if (selection === 'test') return p.number === 88;
    if (selection === 'rollback') return p.number === 89;
    return p.number !== 88 && p.number !== 89;
  });
}

let prepareImport: (() => Promise<void>) | undefined;
let prepared: Promise<void> | undefined;

/**
 * Something to do once before the first component or playbook is imported. When helix itself
 * runs precompiled (bin/helix.js, docs/decisions/005-startup.md), that is where TypeScript
 * support (tsx) is registered, so commands that import no user code never pay for it.
 */
export function beforeUserImport(prepare: () => Promise<void>): void {
  prepareImport = prepare;
  prepared = undefined;
}

async function importDefault(file: string, what: string): Promise<unknown> {
  if (!existsSync(file)) throw new ConfigError(`missing ${what} ${file}`, what);
  if (prepareImport) await (prepared ??= prepareImport());
  try {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    return mod.default;
  } catch (error) {
    throw new ConfigError(`cannot load ${what}: ${(error as Error).message}`, what, { cause: error });
  }
}

export async function loadComponent(folder: ComponentFolder): Promise<Component> {
  const c = await importDefault(join(folder.dir, 'component.ts'), `${folder.name}/component.ts`);
  if (!c || (c as Component).type !== 'component') {
    throw new ConfigError('component.ts must `export default defineComponent({...})`', `${folder.name}/component.ts`);
  }
  return c as Component;
}

export async function loadPlaybook(folder: ComponentFolder, pb: { name: string; file: string }): Promise<Playbook<any>> {
  const p = await importDefault(pb.file, `${folder.name}/${pb.name}`);
  if (!p || (p as Playbook).type !== 'playbook') {
    throw new ConfigError('a playbook file must `export default definePlaybook(...)`', `${folder.name}/${pb.name}`);
  }
  return p as Playbook<any>;
}
