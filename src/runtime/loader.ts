import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from './errors.ts';
import { mask } from './secret.ts';
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
let compiler: { compile(file: string): Promise<string> } | undefined;

/**
 * How user code (components, playbooks, roles) is imported when helix itself runs precompiled
 * (bin/helix.js, docs/decisions/005-startup.md and 006-user-code.md): compiled to plain ESM by
 * `userCompiler` when given, else through TypeScript support (tsx) that `prepare` registers once,
 * right before the first import, so commands that import no user code never pay for it. Code the
 * compiler does not handle (a computed dynamic import, a syntax error) falls back to `prepare`,
 * and from then on so does every import, so no module is loaded twice in two forms.
 */
export function beforeUserImport(prepare: () => Promise<void>, userCompiler?: { compile(file: string): Promise<string> }): void {
  prepareImport = prepare;
  prepared = undefined;
  compiler = userCompiler;
}

async function urlFor(file: string): Promise<string> {
  if (compiler && !prepared) {
    try {
      return await compiler.compile(file);
    } catch (error) {
      if (process.env.HELIX_DEBUG) process.stderr.write(`helix: ${file} runs through tsx: ${mask((error as Error).message)}\n`);
      compiler = undefined;
    }
  }
  if (prepareImport) await (prepared ??= prepareImport());
  return pathToFileURL(file).href;
}

async function importDefault(file: string, what: string): Promise<unknown> {
  if (!existsSync(file)) throw new ConfigError(`missing ${what} ${file}`, what);
  try {
    const mod = (await import(await urlFor(file))) as { default?: unknown };
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
