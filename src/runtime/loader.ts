import { existsSync, readdirSync, statSync } from 'node:fs';
import { registerHooks } from 'node:module';
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

let hooked = false;

/**
 * User code (components, playbooks, roles) runs as Node 24 runs any TypeScript: types stripped, no
 * compiler, no loader thread (docs/decisions/048-native-typescript.md). Before the first import,
 * one in-thread resolve hook (`module.registerHooks`) adds what Node's own resolution lacks for it,
 * only where that resolution fails:
 * - `helix` and `helix/...` from a project folder that has no helix in its node_modules resolve to
 *   the running helix, through its package.json `exports`, so playbooks and the CLI share one copy
 *   of the runtime (one `Secret` class, one registry);
 * - `./x.js` naming `./x.ts`, TypeScript's own convention.
 */
function hookResolution(): void {
  if (hooked) return;
  hooked = true;
  // This module is <helix>/src/runtime/loader.ts: a parent inside helix's package resolves
  // `helix` as the package's own name (a self-reference, through its `exports`).
  const ownParent = new URL('../../package.json', import.meta.url).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      try {
        return nextResolve(specifier, context);
      } catch (error) {
        if (specifier === 'helix' || specifier.startsWith('helix/')) return nextResolve(specifier, { ...context, parentURL: ownParent });
        if (/^\.\.?\//.test(specifier) && specifier.endsWith('.js')) {
          try {
            return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
          } catch {
            // neither: Node's error for the specifier as written
          }
        }
        throw error;
      }
    },
  });
}

async function importDefault(file: string, what: string): Promise<unknown> {
  if (!existsSync(file)) throw new ConfigError(`missing ${what} ${file}`, what);
  try {
    hookResolution();
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

/** The component's readiness checks file (`verify.ts`), or undefined when it has none. */
export function readinessFile(folder: ComponentFolder): string | undefined {
  const file = join(folder.dir, 'verify.ts');
  return existsSync(file) ? file : undefined;
}

/** Loads a component's `verify.ts` (its default export is `defineReadiness(...)`), like a playbook. */
export async function loadReadiness(folder: ComponentFolder): Promise<{ type: 'readiness' }> {
  const file = readinessFile(folder);
  if (!file) throw new ConfigError(`component ${folder.name} has no readiness checks (no verify.ts in ${folder.dir})`, `${folder.name}/verify.ts`);
  const r = await importDefault(file, `${folder.name}/verify.ts`);
  if (!r || (r as { type?: unknown }).type !== 'readiness') {
    throw new ConfigError('verify.ts must `export default defineReadiness({...})`', `${folder.name}/verify.ts`);
  }
  return r as { type: 'readiness' };
}
