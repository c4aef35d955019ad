import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import type { Node } from 'yaml';
import { readInventories } from './inventory.ts';
import type { PlaybookFile, Play, Project, Role, RoleRef, SourceTask } from './source.ts';
import { child, items, lineOf, readTasks, readYaml, textOf, type YamlFile } from './yaml.ts';

const YAML_EXT = ['.yaml', '.yml'];
const PLAY_KEYS = new Set([
  'name',
  'hosts',
  'connection',
  'become',
  'become_user',
  'gather_facts',
  'serial',
  'vars',
  'vars_files',
  'roles',
  'pre_tasks',
  'tasks',
  'post_tasks',
  'handlers',
  'tags',
  'environment',
  'collections',
  'remote_user',
]);

const isYaml = (f: string): boolean => YAML_EXT.includes(extname(f));

function firstExisting(dir: string, stem: string): string | undefined {
  for (const ext of YAML_EXT) {
    const f = join(dir, `${stem}${ext}`);
    if (existsSync(f)) return f;
  }
  if (existsSync(join(dir, stem)) && statSync(join(dir, stem)).isFile()) return join(dir, stem);
  return undefined;
}

/** A vars file or a `vars/`-style folder, merged (files in name order). */
function readVarsPath(path: string): Record<string, unknown> {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const out: Record<string, unknown> = {};
    for (const f of readdirSync(path).filter(isYaml).sort()) Object.assign(out, readVarsPath(join(path, f)));
    return out;
  }
  const file = existsSync(path) ? path : YAML_EXT.map((e) => path + e).find(existsSync);
  if (!file) return {};
  const v = readYaml(file).value;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** `roles:` entries and `meta/main.yml` dependencies in their three spellings. */
export function roleRef(entry: unknown): RoleRef | undefined {
  if (typeof entry === 'string') return { name: entry, vars: {} };
  if (!entry || typeof entry !== 'object') return undefined;
  const e = entry as Record<string, unknown>;
  const name = e.role ?? e.name;
  if (typeof name !== 'string') return undefined;
  const { role: _r, name: _n, vars, when, tags, ...legacy } = e;
  return {
    name,
    vars: { ...legacy, ...((vars as Record<string, unknown>) ?? {}) },
    ...(when !== undefined ? { when } : {}),
    ...(tags !== undefined ? { tags } : {}),
  };
}

function readPlaybook(y: YamlFile): PlaybookFile {
  const plays: Play[] = [];
  const imports: string[] = [];
  items(y.root).forEach((node: Node, index) => {
    const data = (node as { toJSON(): unknown }).toJSON() as Record<string, unknown>;
    const imp = data.import_playbook ?? data['ansible.builtin.import_playbook'];
    if (typeof imp === 'string') {
      imports.push(imp);
      return;
    }
    const tags = data.tags;
    plays.push({
      file: y.file,
      line: lineOf(y, node),
      index,
      ...(typeof data.name === 'string' ? { name: data.name } : {}),
      hosts: Array.isArray(data.hosts) ? data.hosts.join(',') : String(data.hosts ?? 'localhost'),
      ...(typeof data.connection === 'string' ? { connection: data.connection } : {}),
      ...(data.become !== undefined ? { become: Boolean(data.become) } : {}),
      ...(data.gather_facts !== undefined ? { gatherFacts: Boolean(data.gather_facts) } : {}),
      ...(typeof data.serial === 'number' ? { serial: data.serial } : {}),
      vars: (data.vars as Record<string, unknown>) ?? {},
      varsFiles: Array.isArray(data.vars_files) ? data.vars_files.map(String) : [],
      roles: (Array.isArray(data.roles) ? data.roles : []).map(roleRef).filter((r): r is RoleRef => !!r),
      preTasks: readTasks(y, child(node, 'pre_tasks')),
      tasks: readTasks(y, child(node, 'tasks')),
      postTasks: readTasks(y, child(node, 'post_tasks')),
      handlers: readTasks(y, child(node, 'handlers')),
      tags: Array.isArray(tags) ? tags.map(String) : typeof tags === 'string' ? tags.split(',').map((t) => t.trim()) : [],
      ignored: Object.keys(data).filter((k) => !PLAY_KEYS.has(k)),
      text: textOf(y, node),
    });
  });
  return { file: y.file, plays, imports };
}

/** True when a YAML file is a playbook (a list of plays or imports), not a task list. */
function looksLikePlaybook(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((p) => p && typeof p === 'object' && ('hosts' in p || 'import_playbook' in p || 'ansible.builtin.import_playbook' in p))
  );
}

/** A role folder: `tasks/main.yml`, and no playbooks of its own next to it. */
function isRoleDir(dir: string): boolean {
  if (!firstExisting(join(dir, 'tasks'), 'main')) return false;
  return !readdirSync(dir).some((f) => {
    if (!isYaml(f) || !statSync(join(dir, f)).isFile()) return false;
    try {
      return looksLikePlaybook(readYaml(join(dir, f)).value);
    } catch {
      return false;
    }
  });
}

function listFiles(dir: string, base = dir): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...listFiles(p, base));
    else out.push(relative(base, p));
  }
  return out;
}

/** Role folders under `dir` (not `dir` itself), at any depth, not looking inside a role. */
function roleDirs(dir: string, depth = 0): string[] {
  if (depth > 4) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (e.startsWith('.') || !statSync(p).isDirectory()) continue;
    if (isRoleDir(p)) out.push(p);
    else out.push(...roleDirs(p, depth + 1));
  }
  return out;
}

export function readRole(name: string, dir: string): Role {
  const tasks: Record<string, SourceTask[]> = {};
  for (const f of listFiles(join(dir, 'tasks')).filter(isYaml)) {
    const y = readYaml(join(dir, 'tasks', f));
    tasks[f.replace(/\.(ya?ml)$/, '')] = readTasks(y, y.root);
  }
  const handlersFile = firstExisting(join(dir, 'handlers'), 'main');
  const hy = handlersFile ? readYaml(handlersFile) : undefined;
  const metaFile = firstExisting(join(dir, 'meta'), 'main');
  const meta = metaFile ? (readYaml(metaFile).value as Record<string, unknown> | null) : null;
  const deps = Array.isArray(meta?.dependencies) ? meta.dependencies : [];
  const templates: Record<string, string> = {};
  for (const f of listFiles(join(dir, 'templates'))) templates[f] = readFileSync(join(dir, 'templates', f), 'utf8');
  return {
    name,
    dir,
    tasks,
    defaults: readVarsPath(join(dir, 'defaults', 'main')),
    vars: readVarsPath(join(dir, 'vars', 'main')),
    handlers: hy ? readTasks(hy, hy.root) : [],
    templates,
    files: listFiles(join(dir, 'files')),
    dependencies: deps.map(roleRef).filter((r): r is RoleRef => !!r),
  };
}

/** `roles_path` from the nearest ansible.cfg, as absolute folders. */
function rolesPaths(start: string): string[] {
  const out: string[] = [];
  let dir = start;
  for (;;) {
    out.push(join(dir, 'roles'));
    const cfg = join(dir, 'ansible.cfg');
    if (existsSync(cfg)) {
      const m = /^\s*roles_path\s*=\s*(.+)$/m.exec(readFileSync(cfg, 'utf8'));
      if (m) out.push(...m[1]!.split(':').map((p) => resolve(dir, p.trim())));
    }
    const up = dirname(dir);
    if (up === dir) return out;
    dir = up;
  }
}

/**
 * Reads everything under `input`: a playbook file, a role folder, or a folder of playbooks
 * (with `roles/`, `templates/`, an inventory and group_vars). Roles referenced from plays,
 * `include_role`/`import_role` and meta dependencies are found on the roles path and read once.
 */
export function readProject(input: string): Project {
  const path = resolve(input);
  const problems: { file: string; message: string }[] = [];
  const playbooks: PlaybookFile[] = [];
  const roles = new Map<string, Role>();
  const missingRoles: { name: string; from: string }[] = [];
  const taskFiles = new Map<string, SourceTask[]>();
  let kind: Project['kind'];
  let root: string;

  const tryYaml = (file: string): YamlFile | undefined => {
    try {
      return readYaml(file);
    } catch (error) {
      problems.push({ file, message: (error as Error).message });
      return undefined;
    }
  };

  if (statSync(path).isDirectory() && isRoleDir(path)) {
    kind = 'role';
    root = path;
    roles.set(basename(path), readRole(basename(path), path));
  } else if (statSync(path).isDirectory()) {
    kind = 'folder';
    root = path;
    for (const f of readdirSync(path).filter(isYaml).sort()) {
      const y = tryYaml(join(path, f));
      if (!y) continue;
      if (looksLikePlaybook(y.value)) playbooks.push(readPlaybook(y));
      else if (Array.isArray(y.value)) taskFiles.set(join(path, f), readTasks(y, y.root));
    }
    // A folder of roles (Thinkube's `roles/`, with `keycloak/keycloak_client` nested a level
    // down): every role under it, named by its path as `include_role` names it.
    if (!playbooks.length) {
      for (const dir of roleDirs(path)) {
        const name = relative(path, dir);
        try {
          roles.set(name, readRole(name, dir));
        } catch (error) {
          problems.push({ file: dir, message: (error as Error).message });
        }
      }
    }
  } else {
    kind = 'playbook';
    root = dirname(path);
    const y = tryYaml(path);
    if (y) {
      if (looksLikePlaybook(y.value)) playbooks.push(readPlaybook(y));
      else problems.push({ file: path, message: 'not a playbook (expected a list of plays with `hosts:`)' });
    }
  }

  // Roles used by plays, by other roles (meta, include_role) — found on the roles path.
  const searchDirs = rolesPaths(root);
  const want: { name: string; from: string }[] = [];
  const wantRolesIn = (tasks: readonly SourceTask[], from: string): void => {
    for (const t of tasks) {
      for (const key of ['include_role', 'import_role', 'ansible.builtin.include_role', 'ansible.builtin.import_role']) {
        const v = t.data[key] as Record<string, unknown> | undefined;
        if (v && typeof v.name === 'string' && !v.name.includes('{{')) want.push({ name: v.name, from });
      }
      for (const list of Object.values(t.children ?? {})) wantRolesIn(list ?? [], from);
    }
  };
  for (const pb of playbooks) {
    for (const play of pb.plays) {
      for (const r of play.roles) want.push({ name: r.name, from: pb.file });
      for (const list of [play.preTasks, play.tasks, play.postTasks, play.handlers]) wantRolesIn(list, pb.file);
    }
  }
  for (const r of roles.values()) {
    for (const list of Object.values(r.tasks)) wantRolesIn(list, r.dir);
    for (const d of r.dependencies) want.push({ name: d.name, from: r.dir });
  }
  while (want.length) {
    const w = want.shift()!;
    if (roles.has(w.name)) continue;
    const dir = [dirname(w.from), ...searchDirs].map((d) => join(d, w.name)).find((d) => existsSync(d) && isRoleDir(d));
    const own = join(dirname(w.from), 'roles', w.name);
    const found = dir ?? (existsSync(own) && isRoleDir(own) ? own : undefined);
    if (!found) {
      if (!missingRoles.some((m) => m.name === w.name)) missingRoles.push(w);
      continue;
    }
    try {
      const role = readRole(w.name, found);
      roles.set(w.name, role);
      for (const list of Object.values(role.tasks)) wantRolesIn(list, role.dir);
      for (const d of role.dependencies) want.push({ name: d.name, from: role.dir });
    } catch (error) {
      problems.push({ file: found, message: (error as Error).message });
    }
  }

  const templates: Record<string, string> = {};
  for (const f of listFiles(join(root, 'templates'))) templates[`templates/${f}`] = readFileSync(join(root, 'templates', f), 'utf8');

  return {
    root,
    kind,
    playbooks,
    roles,
    missingRoles,
    inventories: kind === 'role' ? [] : readInventories(root, problems),
    templates,
    taskFiles,
    problems,
  };
}

/** Reads a task file named by include_tasks/import_tasks, relative to the including file. */
export function readTaskFile(path: string): SourceTask[] {
  const y = readYaml(path);
  return readTasks(y, y.root);
}

export { readVarsPath };
