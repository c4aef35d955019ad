import type { Role, SourceTask } from '../ansible/source.ts';
import { Untranslatable, type Scope } from '../jinja/scope.ts';
import { translate } from '../jinja/translate.ts';
import { type Earlier, newEarlier, type Val, value } from '../map/context.ts';
import type { Generation } from '../generation.ts';
import type { PType } from '../ptype.ts';
import { type Code, obj, print, raw } from './code.ts';
import type { Imports } from './imports.ts';
import { Names } from './names.ts';
import type { StepsHost } from './steps.ts';

/**
 * The StepsHost of one generated file (a playbook or a role module): where its templates and
 * files go, how it imports the lib and roles, how roles are called from it.
 */
export function stepsHost(o: {
  gen: Generation;
  imports: Imports;
  ids: Names;
  outFile: string;
  local: boolean;
  role?: Role;
}): StepsHost & { earlier: Earlier } {
  const { gen, imports, outFile, role } = o;
  const outDir = outFile.replace(/\/[^/]+$/, '');
  return {
    imports,
    ids: o.ids,
    reports: gen.reports,
    fileLabel: (f) => gen.label(f),
    local: o.local,
    earlier: newEarlier(),
    handlers: new Map(),
    roleHandlers: [],
    template: (src, from) => gen.template(src, from, role),
    renderTemplate: (ref, scope) => gen.renderTemplate(ref, scope, outDir, imports),
    fileUrl: (src, from) => gen.fileUrl(src, from, role, outDir),
    lib: (name) => gen.lib(outFile, imports, name),
    includeFile: (file, from) => gen.includeFile(file, from, role),
    roleCall: (name, tasksFrom, vars, scope, from) => roleCall(gen, imports, outFile, name, tasksFrom, vars, scope, from),
  };
}

/**
 * A call of a role function with explicit arguments: given `vars`, then required parameters
 * read from the caller's scope, then optional ones the caller defines (as Ansible's inventory
 * overrides role defaults). Nothing is ambient.
 */
export function roleCall(
  gen: Generation,
  imports: Imports,
  outFile: string,
  name: string,
  tasksFrom: string | undefined,
  vars: Record<string, unknown>,
  scope: Scope,
  from: SourceTask,
): { code: string; handlers: boolean; tokens: { register: string; args: Record<string, unknown> }[] } | undefined {
  const role = gen.project.roles.get(name);
  if (!role) return undefined;
  // Ansible fails at run time on a tasks_from the role does not have: a TODO here.
  if (tasksFrom && !role.tasks[tasksFrom]) throw new Untranslatable('role-missing', `role ${name} has no tasks/${tasksFrom}.yml`);
  const fn = gen.roleFunction(name, tasksFrom);
  imports.named(gen.importPath(outFile, `${gen.roleDir(name)}/index.ts`), fn);
  const params = gen.k.roleParams.get(name) ?? new Map();
  const args: [string, Code][] = [];
  const label = gen.label(from.file);
  for (const p of params.values()) {
    let v: Val | undefined;
    if (p.name in vars) {
      const sole = typeof vars[p.name] === 'string' ? /^\s*\{\{\s*(\w+)\s*\}\}\s*$/.exec(vars[p.name] as string) : null;
      if (sole && p.type.k === 'secret') scope.note(sole[1]!, 'secret');
      v = value(vars[p.name], scope, { secretOk: () => true });
    } else if ((!p.hasDefault && !p.optional) || scope.peek?.(p.name)) {
      if (p.type.k === 'secret') scope.note(p.name, 'secret');
      const t = translate({ t: 'name', name: p.name }, scope);
      v = { code: raw(t.opt && !p.optional && !p.hasDefault ? `${t.code}!` : t.code), ctx: t.ctx, type: t.type };
    }
    if (!v) continue;
    if (v.ctx) throw new Untranslatable('keyword-unsupported', `role ${name}: parameter ${p.name} from an earlier task's result`);
    gen.k.callType(name, p.name, v.type);
    args.push([p.name, gen.k.settled ? coerce(v, p.type, imports) : v.code]);
  }
  for (const k of Object.keys(vars)) if (!params.has(k) && gen.k.settled) gen.reports.note(label, `role ${name}: ${k} is not a parameter of the role; dropped`);
  const handlers = role.handlers.length > 0 && (!tasksFrom || tasksFrom === 'main');
  return { code: `${fn}(${print(obj(args), '  ', fn.length + 20)})`, handlers, tokens: roleTokens(gen, name, tasksFrom ?? 'main', vars) };
}

const TOKEN_URL = /\/realms\/[^/]+\/protocol\/openid-connect\/token\/?$/;

/**
 * Keycloak admin token requests a role makes (itself, or a role it includes first), with
 * the register they set: what the role gives its caller (`keycloak_common` registers
 * `keycloak_token`). Their arguments name the role's variables; those the caller passes are
 * replaced by the caller's values, so the caller can open the same admin connection.
 */
export function roleTokens(
  gen: Generation,
  name: string,
  entry: string,
  vars: Record<string, unknown>,
  depth = 0,
): { register: string; args: Record<string, unknown> }[] {
  const role = gen.project.roles.get(name);
  const tasks = role?.tasks[entry];
  if (!tasks || depth > 3) return [];
  const out: { register: string; args: Record<string, unknown> }[] = [];
  for (const t of tasks) {
    const d = t.data;
    const uri = (d['ansible.builtin.uri'] ?? d.uri) as Record<string, unknown> | undefined;
    if (uri && typeof uri.url === 'string' && TOKEN_URL.test(uri.url) && typeof d.register === 'string')
      out.push({ register: d.register, args: substitute(uri, vars) as Record<string, unknown> });
    const inc = (d['ansible.builtin.include_role'] ?? d.include_role ?? d['ansible.builtin.import_role'] ?? d.import_role) as
      | Record<string, unknown>
      | undefined;
    if (inc && typeof inc.name === 'string') {
      const inner = roleTokens(
        gen,
        inc.name,
        typeof inc.tasks_from === 'string' ? inc.tasks_from.replace(/\.ya?ml$/, '') : 'main',
        { ...((inc.vars as Record<string, unknown>) ?? {}), ...((d.vars as Record<string, unknown>) ?? {}) },
        depth + 1,
      );
      out.push(...inner.map((x) => ({ ...x, args: substitute(x.args, vars) as Record<string, unknown> })));
    }
  }
  return out;
}

/** `{{ name }}` replaced by what the caller passes as `name` (a literal, or its expression). */
function substitute(v: unknown, vars: Record<string, unknown>): unknown {
  if (typeof v === 'string') {
    return v.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, n: string) => {
      if (!(n in vars)) return m;
      const given = vars[n];
      if (typeof given !== 'string') return m;
      const sole = /^\s*\{\{([\s\S]*)\}\}\s*$/.exec(given);
      if (sole) return `{{ (${sole[1]!.trim()}) }}`;
      return /\{\{|\{%/.test(given) ? m : given;
    });
  }
  if (Array.isArray(v)) return v.map((x) => substitute(x, vars));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, vars)]));
  return v;
}

/**
 * An argument converted to its parameter's type, as Jinja's rendering would have made it:
 * Ansible passes role variables as text (`"{{ x | default(true) }}"`) that the role reads
 * with `| bool`; a secret passed as plain text becomes a Secret.
 */
export function coerce(v: Val, to: PType, imports: Imports): Code {
  const from = v.type.k;
  if (to.k === from || to.k === 'any' || from === 'any' || from === 'null') return v.code;
  const code = print(v.code);
  if (to.k === 'secret' && from === 'string') return raw(`new ${imports.named('helix', 'Secret')}(${code})`);
  if (to.k === 'boolean' && from === 'string') return raw(`/^(true|yes|on|1)$/i.test(${code})`);
  if (to.k === 'string' && (from === 'boolean' || from === 'number')) return raw(`String(${code})`);
  if (to.k === 'string' && from === 'secret') return raw(`${wrapCode(code)}.reveal()`);
  if (to.k === 'number' && from === 'string') return raw(`Number(${code})`);
  return v.code;
}

const wrapCode = (code: string): string => (/^[\w$.]+$/.test(code) ? code : `(${code})`);

export { Names };
