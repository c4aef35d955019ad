import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { AnsibleInventory } from './source.ts';
import { readYaml } from './yaml.ts';

type Groups = Record<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>;

const YAML_EXT = ['.yaml', '.yml'];

function group(groups: Groups, name: string) {
  return (groups[name] ??= { hosts: [], children: [], vars: {} });
}

/** An INI value: Ansible reads `key=value` literally, with numbers and booleans recognised. */
function iniValue(v: string): unknown {
  const s = v.replace(/^(['"])(.*)\1$/, '$2');
  if (/^-?\d+$/.test(s)) return Number(s);
  if (/^(true|false|yes|no)$/i.test(s)) return /^(true|yes)$/i.test(s);
  return s;
}

function kv(line: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of line.matchAll(/(\w+)=("[^"]*"|'[^']*'|\S+)/g)) out[m[1]!] = iniValue(m[2]!);
  return out;
}

function readIni(text: string, hosts: Record<string, Record<string, unknown>>, groups: Groups): void {
  let section = 'ungrouped';
  let mode: 'hosts' | 'vars' | 'children' = 'hosts';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\s[;#].*$/, '').trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]:]+)(?::(vars|children))?\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      mode = (sec[2] as 'vars' | 'children' | undefined) ?? 'hosts';
      group(groups, section);
      continue;
    }
    const g = group(groups, section);
    if (mode === 'vars') {
      const m = /^([^=\s]+)\s*=\s*(.*)$/.exec(line);
      if (m) g.vars[m[1]!] = iniValue(m[2]!);
    } else if (mode === 'children') g.children.push(line);
    else {
      const [name, ...rest] = line.split(/\s+/);
      hosts[name!] = { ...(hosts[name!] ?? {}), ...kv(rest.join(' ')) };
      if (!g.hosts.includes(name!)) g.hosts.push(name!);
    }
  }
}

function readYamlInventory(value: unknown, hosts: Record<string, Record<string, unknown>>, groups: Groups): void {
  const walk = (name: string, node: Record<string, unknown> | null): void => {
    const g = group(groups, name);
    if (!node) return;
    for (const [h, hv] of Object.entries((node.hosts as Record<string, unknown>) ?? {})) {
      hosts[h] = { ...(hosts[h] ?? {}), ...((hv as Record<string, unknown>) ?? {}) };
      if (!g.hosts.includes(h)) g.hosts.push(h);
    }
    Object.assign(g.vars, (node.vars as Record<string, unknown>) ?? {});
    for (const [c, cv] of Object.entries((node.children as Record<string, unknown>) ?? {})) {
      if (!g.children.includes(c)) g.children.push(c);
      walk(c, cv as Record<string, unknown> | null);
    }
  };
  for (const [name, node] of Object.entries((value as Record<string, unknown>) ?? {})) walk(name, node as Record<string, unknown> | null);
}

/** group_vars/<group>(.yml | /*.yml) and host_vars/<host> next to an inventory or playbook. */
function readVarsDir(dir: string): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    const name = e.replace(/\.(ya?ml|json)$/, '');
    const files = statSync(p).isDirectory()
      ? readdirSync(p)
          .filter((f) => YAML_EXT.includes(extname(f)))
          .sort()
          .map((f) => join(p, f))
      : YAML_EXT.includes(extname(e)) || extname(e) === ''
        ? [p]
        : [];
    for (const f of files) {
      const v = readYaml(f).value;
      if (v && typeof v === 'object') out[name] = { ...(out[name] ?? {}), ...(v as Record<string, unknown>) };
    }
  }
  return out;
}

function readOne(file: string, extraVarDirs: string[], problems: { file: string; message: string }[]): AnsibleInventory | undefined {
  const hosts: Record<string, Record<string, unknown>> = {};
  const groups: Groups = {};
  try {
    const text = readFileSync(file, 'utf8');
    if (YAML_EXT.includes(extname(file))) readYamlInventory(readYaml(file).value, hosts, groups);
    else readIni(text, hosts, groups);
    for (const dir of [...extraVarDirs, dirname(file)]) {
      for (const [g, vars] of Object.entries(readVarsDir(join(dir, 'group_vars')))) Object.assign(group(groups, g).vars, vars);
      for (const [h, vars] of Object.entries(readVarsDir(join(dir, 'host_vars')))) hosts[h] = { ...(hosts[h] ?? {}), ...vars };
    }
  } catch (error) {
    problems.push({ file, message: (error as Error).message });
    return undefined;
  }
  const parent = basename(dirname(file));
  const stem = basename(file).replace(/\.(ya?ml|ini|cfg)$/, '');
  const name = ['hosts', 'inventory'].includes(stem) && !['inventory', 'inventories', '.'].includes(parent) ? parent : stem;
  return { name: name.toLowerCase().replace(/[^a-z0-9_-]/g, '-'), file, hosts, groups };
}

/**
 * Finds the inventories of a project: `inventory` / `inventories/<env>/hosts` / `hosts` files
 * (INI or YAML) with the group_vars and host_vars next to them and next to the playbooks.
 * A project with only group_vars gets one inventory named `local`.
 */
export function readInventories(root: string, problems: { file: string; message: string }[]): AnsibleInventory[] {
  const files: string[] = [];
  const add = (p: string): void => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) {
        const q = join(p, e);
        if (statSync(q).isDirectory()) {
          if (!['group_vars', 'host_vars'].includes(e)) add(q);
        } else if ([...YAML_EXT, '.ini', ''].includes(extname(e)) || e === 'hosts') files.push(q);
      }
    } else files.push(p);
  };
  for (const c of ['inventory', 'inventories', 'hosts', 'hosts.ini', 'inventory.ini', 'inventory.yml', 'inventory.yaml']) add(join(root, c));
  const out = files
    .map((f) => readOne(f, [root], problems))
    .filter((i): i is AnsibleInventory => !!i && (Object.keys(i.hosts).length > 0 || Object.keys(i.groups).length > 0));
  if (out.length === 0 && (existsSync(join(root, 'group_vars')) || existsSync(join(root, 'host_vars')))) {
    const groups: Groups = {};
    const hosts: Record<string, Record<string, unknown>> = {};
    for (const [g, vars] of Object.entries(readVarsDir(join(root, 'group_vars')))) Object.assign(group(groups, g).vars, vars);
    for (const [h, vars] of Object.entries(readVarsDir(join(root, 'host_vars')))) hosts[h] = vars;
    out.push({ name: 'local', file: join(root, 'group_vars'), hosts, groups });
  }
  return out;
}
