import type { Play } from '../ansible/source.ts';
import { freeNames } from '../jinja/ast.ts';
import { parseTemplate, type TNode } from '../jinja/template.ts';
import type { Binding } from '../jinja/scope.ts';
import { portTimeString, Untranslatable } from '../jinja/scope.ts';
import { value } from '../map/context.ts';
import { factBindings } from '../map/facts.ts';
import { normalise, type Norm } from '../tasks/normalise.ts';
import { readVarsPath } from '../ansible/read.ts';
import type { Generation } from '../generation.ts';
import { PlaybookScope } from '../scopes.ts';
import { MAGIC } from '../vars.ts';
import { T } from '../ptype.ts';
import { arr, docComment, lineComment, print, raw } from './code.ts';
import { stepsHost } from './host.ts';
import { Imports } from './imports.ts';
import { localName, Names, pascal, slug } from './names.ts';
import { quote } from '../jinja/code.ts';
import { StepsEmitter } from './steps.ts';
import { dirname, resolve } from 'node:path';

const ENV_LOOKUP = /^\s*\{\{\s*lookup\(\s*['"](?:ansible\.builtin\.)?env['"]\s*,\s*['"](\w+)['"]\s*\)\s*(?:\|\s*default\([^)]*\)\s*)?\}\}\s*$/;
const SECRETISH = /pass(word|wd)?|secret|token|credential|api_?key|private_?key/i;

/** Names a YAML value reads (through every Jinja expression in its strings). */
export function valueNames(v: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof v === 'string' && /\{\{|\{%/.test(v)) {
    try {
      const walk = (nodes: readonly TNode[]): void => {
        for (const n of nodes) {
          if (n.t === 'expr') freeNames(n.expr, out);
          else if (n.t === 'if') {
            for (const b of n.branches) {
              freeNames(b.test, out);
              walk(b.body);
            }
          } else if (n.t === 'for') {
            freeNames(n.iter, out);
            walk(n.body);
          }
        }
      };
      walk(parseTemplate(v, { trimBlocks: false }));
    } catch {
      // Unparsable: the translation reports it.
    }
  } else if (Array.isArray(v)) v.forEach((x) => valueNames(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => valueNames(x, out));
  return out;
}

/** Orders variables so each comes after the ones it reads (cycles keep their order). */
export function orderVars(vars: Record<string, unknown>): [string, unknown][] {
  const entries = Object.entries(vars);
  const names = new Set(Object.keys(vars));
  const out: [string, unknown][] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string): void => {
    if (done.has(name) || visiting.has(name)) return;
    visiting.add(name);
    for (const dep of valueNames(vars[name])) if (names.has(dep) && dep !== name) visit(dep);
    visiting.delete(name);
    done.add(name);
    out.push([name, vars[name]]);
  };
  for (const [n] of entries) visit(n);
  return out;
}

/** Paths a later task applies to the cluster, so a template rendered there is not written. */
export function appliedPaths(list: readonly Norm[], out: Set<string> = new Set()): Set<string> {
  for (const n of list) {
    if (n.type === 'block') {
      appliedPaths(n.block, out);
      appliedPaths(n.rescue, out);
      appliedPaths(n.always, out);
    } else if (n.type === 'task') {
      if (n.module === 'k8s' && typeof n.args.src === 'string') out.add(n.args.src);
      if ((n.module === 'command' || n.module === 'shell') && typeof (n.args._raw_params ?? n.args.cmd) === 'string') {
        const m = /kubectl\s+apply\s+(?:.*\s)?-f\s+(\S+)/.exec(String(n.args._raw_params ?? n.args.cmd));
        if (m && m[1] !== '-') out.add(m[1]!);
      }
    }
  }
  return out;
}

export function isLocalPlay(play: Play): boolean {
  return play.connection === 'local' || /^(localhost|127\.0\.0\.1)$/.test(play.hosts.trim());
}

/** Emits one play as a numbered helix playbook file. */
export function emitPlay(gen: Generation, play: Play, outFile: string): void {
  const label = gen.label(play.file);
  const imports = new Imports();
  const definePlaybook = imports.named('helix', 'definePlaybook');
  const varsType = `${pascal(gen.component)}Vars`;
  imports.type('./component.ts', varsType);
  const ids = new Names(['env', 'v', 'ctx']);
  const locals = new Map<string, Binding>();
  const host = stepsHost({ gen, imports, ids, outFile, local: isLocalPlay(play) });
  const scope = new PlaybookScope(gen.k, label, imports, locals, (p) => host.fileUrl(p, { file: play.file, line: play.line, text: '', data: {} }));
  const lines: string[] = [];
  const I = '  ';
  // Gathered facts (`ansible_env.HOME`) on SSH hosts: an `ssh.facts` step, added when read.
  // Facts gathered under a play's `become` are root's; helix's are the login user's.
  locals.set('playbook_dir', { ...MAGIC.playbook_dir!, portValue: dirname(resolve(play.file)) });
  let factsId: string | undefined;
  if (!isLocalPlay(play) && play.gatherFacts !== false && play.become !== true) {
    for (const [n, b] of Object.entries(factBindings(() => (factsId ??= ids.take('facts'))))) locals.set(n, b);
  }

  // Play variables (and vars_files): locals, in dependency order. Secrets from the
  // environment become component variables given by the inventory as secret references.
  let vars: Record<string, unknown> = {};
  for (const f of play.varsFiles) {
    if (/\{\{/.test(f)) gen.reports.note(label, `vars_files ${f}: computed path not read`);
    else vars = { ...vars, ...readVarsPath(resolve(dirname(play.file), f)) };
  }
  vars = { ...vars, ...play.vars };
  for (const [name, raw0] of orderVars(vars)) {
    const env = typeof raw0 === 'string' ? ENV_LOOKUP.exec(raw0) : null;
    if (env && SECRETISH.test(name)) {
      const cv = gen.k.componentVar(name, label);
      cv.envSecret = env[1]!;
      cv.type = T.secret;
      cv.defined = true;
      continue;
    }
    try {
      const v = value(raw0, scope, { secretOk: () => true });
      const id = ids.take(localName(name));
      if (v.ctx) {
        const TC = imports.type('helix', 'TaskContext');
        lines.push(`${I}const ${id} = (ctx: ${TC}) => ${print(v.code, I, I.length + id.length + 30)};`);
        locals.set(name, { code: `${id}(ctx)`, type: v.type, ctx: true });
      } else {
        // An empty list literal needs its type spelled out.
        const annot = v.code.k === 'arr' && v.code.items.length === 0 ? ': unknown[]' : '';
        const head = `${I}const ${id}${annot} = `;
        lines.push(`${head}${print(v.code, I, head.length)};`);
        const known = typeof raw0 === 'string' ? portTimeString(raw0, scope) : undefined;
        locals.set(name, { code: id, type: v.type, ...(known !== undefined ? { portValue: known } : {}) });
      }
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      lines.push(lineComment(`TODO(port): ${error.reason}: play variable ${name}: ${error.message}\n${name}: ${JSON.stringify(raw0)}`, I));
      gen.reports.note(label, `play variable ${name}: ${error.message}`);
    }
  }

  const steps = new StepsEmitter(host, scope);
  const all = [...play.preTasks, ...play.tasks, ...play.postTasks, ...play.handlers].map(normalise);
  appliedPaths(all, host.earlier.appliedPaths);
  const inherited = play.become !== undefined ? { become: play.become } : {};

  // Handlers first: tasks notify them by name (or by `listen` topic).
  const handlerNames = new Names();
  const handlerSteps: string[] = [];
  if (play.handlers.length) lines.push(`${I}// handlers`);
  for (const h of play.handlers.map(normalise)) {
    const out = steps.emit([h], handlerNames, inherited);
    lines.push(...out.lines);
    handlerSteps.push(...out.steps);
    if (h.type === 'task' && out.steps.length) {
      for (const key of [h.name, ...h.listen].filter((x): x is string => !!x)) host.handlers.set(key, [...(host.handlers.get(key) ?? []), ...out.steps]);
    }
  }

  const taskNames = new Names();
  const stepNames: string[] = [];
  const section = (title: string, list: readonly Norm[]): void => {
    if (!list.length) return;
    if (play.preTasks.length || play.postTasks.length || play.roles.length) lines.push(`${I}// ${title}`);
    const out = steps.emit(list, taskNames, inherited);
    lines.push(...out.lines);
    stepNames.push(...out.steps);
  };
  section('pre_tasks', play.preTasks.map(normalise));
  if (play.roles.length) {
    lines.push(`${I}// roles`);
    for (const r of play.roles) {
      const src = { file: play.file, line: play.line, text: `- role: ${r.name}`, data: {} };
      try {
        const call = host.roleCall(r.name, undefined, r.vars, steps.scope, src);
        if (!call) throw new Untranslatable('role-missing', `role ${r.name} not found on the roles path`);
        const id = ids.take(`${gen.roleFunction(r.name)}Role`);
        lines.push(`${I}const ${id} = ${call.code};`);
        stepNames.push(id);
        if (call.handlers) host.roleHandlers.push(`...${id}.handlers`);
        if (r.when !== undefined || r.tags !== undefined) gen.reports.note(label, `role ${r.name}: when/tags on the role entry not carried over`);
      } catch (error) {
        if (!(error instanceof Untranslatable)) throw error;
        gen.reports.record(label, 'todo', { reason: error.reason, message: error.message, line: play.line, task: `role ${r.name}` });
        lines.push(lineComment(`TODO(port): ${error.reason}: ${error.message}`, I));
        const id = ids.take(`todo${gen.roleFunction(r.name).replace(/^./, (c) => c.toUpperCase())}Role`);
        lines.push(
          `${I}const ${id} = ${host.lib('todo')}(${quote(`todo-role-${slug(r.name)}`)}, { reason: ${quote(error.reason)}, message: ${quote(error.message)}, line: ${quote(`${label}:${play.line}`)} });`,
        );
        stepNames.push(id);
      }
    }
  }
  section('tasks', play.tasks.map(normalise));
  section('post_tasks', play.postTasks.map(normalise));

  if (factsId) {
    lines.unshift(`${I}const ${factsId} = ${imports.namespace('helix/modules/ssh', 'ssh')}.facts('gather-facts');`);
    stepNames.unshift(factsId);
  }

  // hosts: a play whose tasks all act through APIs runs once, from the machine running helix.
  const hostTasks = imports.has('helix/modules/ssh');
  const entries: string[] = [];
  if (!isLocalPlay(play)) {
    if (hostTasks) {
      // `hosts: "{{ target | default('web') }}"` reads the environment's variables.
      let hosts = `'${play.hosts}'`;
      if (/\{\{/.test(play.hosts)) {
        try {
          const h = value(play.hosts, scope);
          hosts = h.ctx ? `'all'` : print(h.code);
          if (h.ctx) gen.reports.note(label, `hosts: ${play.hosts} reads task results; set to all`);
        } catch {
          gen.reports.note(label, `hosts: ${play.hosts} could not be translated; set to all`);
          hosts = `'all'`;
        }
      }
      entries.push(`hosts: ${hosts}`);
    } else gen.reports.note(label, `hosts: ${play.hosts} dropped: every task of the play acts through an API from the machine running helix`);
  }
  if (play.serial !== undefined && hostTasks) entries.push(`serial: ${play.serial}`);
  if (play.tags.length) entries.push(`tags: [${play.tags.map((t) => `'${t}'`).join(', ')}]`);
  const handlerList = [...handlerSteps, ...host.roleHandlers];
  for (const k of play.ignored) gen.reports.note(label, `play keyword ${k}: not carried over`);
  if (play.gatherFacts !== false && !isLocalPlay(play) && hostTasks)
    gen.reports.note(label, 'gather_facts: helix reads host facts only when a task asks (ssh.facts)');

  const body = lines.join('\n');
  const usesV = /\bv\./.test(body) || /\bv\./.test(stepNames.join(','));
  const list = (names: readonly string[], col: number): string => print(arr(names.map(raw)), I + I, col);
  const ret =
    entries.length || handlerList.length
      ? `${I}return {\n${[...entries, `tasks: ${list(stepNames, 11)}`, ...(handlerList.length ? [`handlers: ${list(handlerList, 14)}`] : [])].map((e) => `${I}${I}${e},`).join('\n')}\n${I}};`
      : `${I}return ${print(arr(stepNames.map(raw)), I, 9)};`;
  const title = `Ported from ${label}${play.name ? `, play "${play.name}"` : ''} (hosts: ${play.hosts}).`;
  const text = [
    imports.print(),
    '',
    docComment(title),
    `export default ${definePlaybook}<${varsType}>((${usesV || /\benv\./.test(body) ? 'env' : '_env'}) => {`,
    ...(usesV ? [`${I}const v = env.vars;`] : []),
    ...(body ? [body] : []),
    ret,
    '});',
    '',
  ].join('\n');
  gen.write(outFile, text);
}
