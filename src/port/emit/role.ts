import type { Role } from '../ansible/source.ts';
import type { Binding } from '../jinja/scope.ts';
import { Untranslatable } from '../jinja/scope.ts';
import { value } from '../map/context.ts';
import { T, tsType, typeOf } from '../ptype.ts';
import { normalise } from '../tasks/normalise.ts';
import type { Generation } from '../generation.ts';
import { RoleScope } from '../scopes.ts';
import { docComment, key, lineComment, print } from './code.ts';
import { stepsHost } from './host.ts';
import { Imports } from './imports.ts';
import { localName, Names, pascal, slug } from './names.ts';
import { quote } from '../jinja/code.ts';
import { appliedPaths, orderVars } from './playbook.ts';
import { StepsEmitter } from './steps.ts';

/** Task files of a role that get their own exported function: `main`, and every `tasks_from`. */
export function roleEntries(gen: Generation, role: Role): string[] {
  const out = new Set<string>();
  if (role.tasks.main) out.add('main');
  for (const pb of gen.project.playbooks) for (const play of pb.plays) collect(play.tasks, role.name, out);
  for (const r of gen.project.roles.values()) for (const list of Object.values(r.tasks)) collect(list, role.name, out);
  if (!out.size) {
    const first = Object.keys(role.tasks)[0];
    if (first) out.add(first);
  }
  return [...out].filter((f) => role.tasks[f]);
}

function collect(
  list: readonly { data: Record<string, unknown>; children?: Record<string, readonly unknown[] | undefined> }[],
  name: string,
  out: Set<string>,
): void {
  for (const t of list) {
    for (const k of ['include_role', 'import_role', 'ansible.builtin.include_role', 'ansible.builtin.import_role']) {
      const v = t.data[k] as Record<string, unknown> | undefined;
      if (v?.name === name && typeof v.tasks_from === 'string') out.add(v.tasks_from.replace(/\.ya?ml$/, ''));
    }
    for (const c of Object.values(t.children ?? {})) collect((c ?? []) as never, name, out);
  }
}

/**
 * Emits a role as `roles/<name>/index.ts`: a params interface (defaults documented with
 * `@default`, every other variable the role reads as a required parameter) and one function
 * per entry task file, with the defaults in its signature.
 */
export function emitRole(gen: Generation, role: Role): void {
  const outFile = `${gen.roleDir(role.name)}/index.ts`;
  const imports = new Imports();
  const k = gen.k;
  let params = k.roleParams.get(role.name);
  if (!params) k.roleParams.set(role.name, (params = new Map()));
  // Defaults are parameters with a default; on the first pass their types come from the values.
  for (const [name, v] of Object.entries(role.defaults)) {
    const p = params.get(name);
    if (!p)
      params.set(name, { name, type: typeof v === 'string' && /\{\{/.test(v) ? T.string : typeOf(v), hasDefault: true, defaultValue: v, optional: false });
    else if (!k.settled) Object.assign(p, { hasDefault: true, defaultValue: v, type: typeof v === 'string' && /\{\{/.test(v) ? T.string : typeOf(v) });
  }
  const Params = `${pascal(role.name.split('/').at(-1)!)}Params`;
  const functions: string[] = [];
  const groupFn = imports.named('helix', 'group');
  const I = '  ';

  for (const entry of roleEntries(gen, role)) {
    const fname = gen.roleFunction(role.name, entry);
    const ids = new Names(['ctx', ...[...params.keys()].map(localName), fname]);
    const locals = new Map<string, Binding>();
    const host = stepsHost({ gen, imports, ids, outFile, local: false, role });
    const scope = new RoleScope(k, role.name, imports, locals, (p) => host.fileUrl(p, { file: role.dir, line: 0, text: '', data: {} }));
    const lines: string[] = [];
    // vars/main.yml: fixed values (Ansible gives them precedence over anything passed in).
    for (const [name, raw0] of orderVars(role.vars)) {
      try {
        const v = value(raw0, scope, { secretOk: () => true });
        if (v.ctx) throw new Untranslatable('jinja-construct', 'a role variable reading task results');
        const id = ids.take(localName(name));
        const head = `${I}const ${id} = `;
        lines.push(`${head}${print(v.code, I, head.length)};`);
        locals.set(name, { code: id, type: v.type });
      } catch (error) {
        if (!(error instanceof Untranslatable)) throw error;
        lines.push(lineComment(`TODO(port): ${error.reason}: role variable ${name}: ${error.message}`, I));
      }
    }
    const steps = new StepsEmitter(host, scope);
    const tasks = role.tasks[entry]!.map(normalise);
    const handlers = role.handlers.map(normalise);
    appliedPaths([...tasks, ...handlers], host.earlier.appliedPaths);
    const handlerSteps: string[] = [];
    const hn = new Names();
    for (const h of handlers) {
      const out = steps.emit([h], hn);
      lines.push(...out.lines);
      handlerSteps.push(...out.steps);
      if (h.type === 'task' && out.steps.length) {
        for (const n of [h.name, ...h.listen].filter((x): x is string => !!x)) host.handlers.set(n, [...(host.handlers.get(n) ?? []), ...out.steps]);
      }
    }
    const stepNames: string[] = [];
    // meta/main.yml dependencies run first.
    if (entry === 'main') {
      for (const d of role.dependencies) {
        const call = host.roleCall(d.name, undefined, d.vars, scope, { file: role.dir, line: 0, text: '', data: {} });
        if (!call) {
          const message = `dependency ${d.name} (meta/main.yml) not found on the roles path`;
          gen.reports.record(gen.label(role.dir), 'todo', { reason: 'role-missing', message, line: 0, task: `role ${d.name}` });
          lines.push(lineComment(`TODO(port): role-missing: ${message}`, I));
          const id = ids.take(`todo${gen.roleFunction(d.name).replace(/^./, (c) => c.toUpperCase())}Role`);
          lines.push(
            `${I}const ${id} = ${host.lib('todo')}(${quote(`todo-role-${slug(d.name)}`)}, { reason: 'role-missing', message: ${quote(message)}, line: ${quote(`${gen.label(role.dir)}/meta/main.yml`)} });`,
          );
          stepNames.push(id);
          continue;
        }
        const id = ids.take(`${gen.roleFunction(d.name)}Role`);
        lines.push(`${I}const ${id} = ${call.code};`);
        stepNames.push(id);
      }
    }
    const out = steps.emit(tasks, new Names());
    lines.push(...out.lines);
    stepNames.push(...out.steps);

    const own = [...handlerSteps, ...host.roleHandlers];
    const ret =
      own.length && entry === 'main'
        ? `${I}return { ...${groupFn}('${slug(role.name.split('/').at(-1)!)}', [${stepNames.join(', ')}]), handlers: [${own.join(', ')}] };`
        : `${I}return ${groupFn}('${slug(entry === 'main' ? role.name.split('/').at(-1)! : entry)}', [${stepNames.join(', ')}]);`;
    const returnType =
      own.length && entry === 'main'
        ? `${imports.type('helix', 'Group')} & { readonly handlers: readonly ${imports.type('helix', 'Task')}<unknown>[] }`
        : imports.type('helix', 'Group');
    functions.push(
      [
        docComment(`Role ${role.name}${entry === 'main' ? '' : `, tasks_from ${entry}`}, ported from ${gen.label(role.dir)}.`),
        `export function ${fname}(${signature(gen, role.name, Params)}): ${returnType} {`,
        ...lines,
        ret,
        '}',
      ].join('\n'),
    );
  }

  const iface = paramsInterface(gen, role.name, Params, imports);
  const text = [imports.print(), '', iface, '', functions.join('\n\n'), ''].join('\n');
  gen.write(outFile, text);
}

/** The TypeScript text of a default value, translated in the role's own scope. */
function defaultCode(gen: Generation, role: string, v: unknown): string {
  const imports = new Imports();
  const scope = new RoleScope(gen.k, role, imports, new Map(), () => undefined);
  try {
    const val = value(v, scope, { secretOk: () => true });
    if (val.ctx) return 'undefined';
    return print(val.code);
  } catch {
    return 'undefined';
  }
}

function paramsInterface(gen: Generation, role: string, name: string, imports: Imports): string {
  const params = [...(gen.k.roleParams.get(role)?.values() ?? [])];
  const lines = params.map((p) => {
    const doc = p.hasDefault ? `  /** @default ${JSON.stringify(p.defaultValue)} */\n` : '';
    const optional = p.hasDefault || p.optional;
    return `${doc}  ${key(p.name)}${optional ? '?' : ''}: ${tsType(p.type)};`;
  });
  if (params.some((p) => JSON.stringify(p.type).includes('"secret"'))) imports.type('helix', 'Secret');
  return `/** Parameters of role ${role}: its defaults, and every variable it reads. */\nexport interface ${name} {\n${lines.join('\n')}\n}`;
}

/** `{ a = 'x', b }: Params`, defaults ordered after the parameters they read. */
function signature(gen: Generation, role: string, type: string): string {
  const params = gen.k.roleParams.get(role);
  if (!params || params.size === 0) return `_: ${type} = {}`;
  const defaults: Record<string, unknown> = {};
  for (const p of params.values()) defaults[p.name] = p.hasDefault ? p.defaultValue : undefined;
  const parts = orderVars(defaults).map(([n]) => {
    const p = params.get(n)!;
    const local = localName(n);
    const bind = local === n ? n : `${n}: ${local}`;
    return p.hasDefault ? `${bind} = ${defaultCode(gen, role, p.defaultValue)}` : bind;
  });
  const allOptional = [...params.values()].every((p) => p.hasDefault || p.optional);
  const one = `{ ${parts.join(', ')} }: ${type}${allOptional ? ' = {}' : ''}`;
  if (one.length < 90) return one;
  return `{\n${parts.map((p) => `  ${p},`).join('\n')}\n}: ${type}${allOptional ? ' = {}' : ''}`;
}
