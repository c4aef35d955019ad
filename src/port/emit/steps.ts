import { T, elementOf, type PType, unify } from '../ptype.ts';
import { asBool, knownBool, lit, PREC, quote, wrap, type Ts } from '../jinja/code.ts';
import { type Binding, type Scope, Untranslatable, withBindings } from '../jinja/scope.ts';
import { soleExpression } from '../jinja/template.ts';
import type { Expr } from '../jinja/ast.ts';
import { parseExpression } from '../jinja/parser.ts';
import { translate } from '../jinja/translate.ts';
import type { SourceTask } from '../ansible/source.ts';
import { normalise, type Norm, type NormBlock, type NormTask } from '../tasks/normalise.ts';
import type { Reports } from '../report.ts';
import { type Code, lineComment, obj, print, raw } from './code.ts';
import type { Imports } from './imports.ts';
import { camel, localName, Names, slug } from './names.ts';
import {
  conds,
  cond,
  type Earlier,
  type MapCx,
  type Mapped,
  millis,
  type RenderedTemplate,
  type ResultShape,
  type TemplateRef,
  value,
} from '../map/context.ts';
import { MAPPERS } from '../map/index.ts';

/** A `debug` that only logs: no register, no failed_when/changed_when, no until, no loop. */
function isPlainDebug(n: Norm): n is NormTask {
  return n.type === 'task' && n.module === 'debug' && !n.register && !n.failedWhen && !n.changedWhen && n.until === undefined && !n.loop;
}

/** What the generated file around the steps provides. */
export interface StepsHost {
  readonly imports: Imports;
  /** Identifiers of the function body. */
  readonly ids: Names;
  readonly reports: Reports;
  /** The report's name for a source file. */
  fileLabel(file: string): string;
  /** The play runs on the machine running helix. */
  readonly local: boolean;
  readonly earlier: Earlier;
  /** Handler name (or `listen` topic) → const names. */
  readonly handlers: Map<string, string[]>;
  /** Role handler lists to add to the playbook's handlers (`...redis.handlers`). */
  readonly roleHandlers: string[];
  template(src: string, from: SourceTask): TemplateRef | undefined;
  renderTemplate(ref: TemplateRef, scope: Scope, names: readonly string[]): RenderedTemplate;
  fileUrl(src: string, from: SourceTask): string | undefined;
  lib(name: string): string;
  /** A role call (`include_role`), or undefined when the role was not found. */
  roleCall(
    name: string,
    tasksFrom: string | undefined,
    vars: Record<string, unknown>,
    scope: Scope,
    from: SourceTask,
  ): { code: string; handlers: boolean; tokens?: readonly { register: string; args: Record<string, unknown> }[] } | undefined;
  /** Tasks of an included task file, resolved like Ansible (role tasks/, then relative). */
  includeFile(file: string, from: SourceTask): SourceTask[] | undefined;
}

/** Attributes of Ansible's results a registered loop's `results[i]` also carries under their Ansible name. */
const ANSIBLE_RESULT_NAMES = ['rc', 'stdout', 'stderr', 'stdout_lines', 'stderr_lines', 'json', 'status', 'content', 'resources', 'stat'];

/** `rc: r.exitCode`, … : the attributes of a result whose helix name differs from Ansible's. */
function ansibleNames(shape: ResultShape | undefined, r: string): string[] {
  return ANSIBLE_RESULT_NAMES.flatMap((n) => {
    const b = shape?.member?.(r, n);
    if (b && n === 'stat' && b.member) {
      // stat's own fields under Ansible's names (`isdir`, `pw_name` …).
      const fields = STAT_NAMES.flatMap((f) => {
        const m = b.member?.(f);
        return m ? [`${f}: ${m.code}`] : [];
      });
      return [`stat: { ${fields.join(', ')} }`];
    }
    return b && b.code !== `${r}.${n}` ? [`${n}: ${b.code}`] : [];
  });
}

/** The fields of Ansible's `stat` result a looped register's `results[i].stat` carries. */
const STAT_NAMES = ['exists', 'isdir', 'isreg', 'mode', 'pw_name', 'gr_name', 'size', 'path'];

/** A task's loop: the items, the item's parameter name and each item's task name. */
interface Loop {
  readonly items: Ts;
  readonly param: string;
  readonly taskName: string;
  /** The list is only known at run time (it reads earlier results). */
  readonly dynamic: boolean;
}

/** Keywords a block passes down to its tasks. */
interface Inherited {
  readonly become?: boolean;
  readonly becomeUser?: string;
  readonly delegateTo?: string;
  readonly noLog?: boolean | string;
  readonly environment?: unknown;
  readonly runOnce?: boolean;
}

export interface Emitted {
  /** Declarations, in task order, at the indentation of the function body. */
  readonly lines: string[];
  /** The steps of the list (const names, `...spreads`). */
  readonly steps: string[];
  /** The body returns before the steps can be built (a build-time check). */
}

const INDENT = '  ';

/** Emits a task list as declarations and step references; records every outcome. */
export class StepsEmitter {
  readonly #h: StepsHost;
  #scope: Scope;

  constructor(host: StepsHost, scope: Scope) {
    this.#h = host;
    this.#scope = scope;
  }

  get scope(): Scope {
    return this.#scope;
  }

  /** Emits a list of normalised tasks; task names are unique within `names`. */
  emit(list: readonly Norm[], names: Names, inherited: Inherited = {}, indent = INDENT): Emitted {
    const lines: string[] = [];
    const steps: string[] = [];
    for (const n of list) {
      const out = this.#one(n, names, inherited, indent);
      lines.push(...out.lines);
      steps.push(...out.steps);
    }
    return { lines, steps };
  }

  #label(t: SourceTask): string {
    return this.#h.fileLabel(t.file);
  }

  #todo(n: Norm | { source: SourceTask }, reason: Untranslatable['reason'], message: string, indent: string, names: Names): Emitted {
    const src = n.source;
    const name = (n as { name?: string }).name ?? ('module' in n ? (n as NormTask).moduleKey : 'task');
    const label = this.#label(src);
    this.#h.reports.record(label, 'todo', { reason, message, line: src.line, task: name });
    // Later reads of its result are TODOs too (not variables the inventory should give).
    const register = (n as { register?: string }).register;
    if (register) {
      this.#scope = withBindings(this.#scope, {
        [register]: { code: 'undefined', type: T.any, poison: `${register} is registered by a task that is a TODO (line ${src.line})` },
      });
    }
    const text = `TODO(port): ${reason}: ${message}\n${src.text}`;
    // Fail closed: a step whose validation refuses the playbook until it is ported or marked handled.
    const id = this.#h.ids.take(camel(`todo-${slug(name) || 'task'}`));
    const step = names.take(`todo-${slug(name) || 'task'}`, '-');
    const fn = this.#h.lib('todo');
    const opts = obj([
      ['reason', raw(quote(reason))],
      ['message', raw(quote(message))],
      ['line', raw(quote(`${label}:${src.line}`))],
    ]);
    const head = `${indent}const ${id} = `;
    const code = `${head}${print({ k: 'call', fn, args: [raw(quote(step)), opts] }, indent, head.length)};`;
    return { lines: [lineComment(text, indent), code], steps: [id] };
  }

  #one(n: Norm, names: Names, inherited: Inherited, indent: string): Emitted {
    if (n.type === 'broken') return this.#todo(n, 'task-unreadable', n.message, indent, names);
    if (n.type === 'block') return this.#block(n, names, inherited, indent);
    const before = isPlainDebug(n) ? names.copy() : undefined;
    try {
      return this.#task(n, names, inherited, indent);
    } catch (error) {
      if (!(error instanceof Untranslatable)) throw error;
      if (before) return this.#untranslatedDebug(n as NormTask, error, indent, before);
      return this.#todo(n, error.reason, error.message, indent, names);
    }
  }

  /**
   * A `debug` whose message or condition has no translation: a log line showing the message's
   * Jinja source and why, counted with `debug`. A log line does no work, so it does not refuse
   * the playbook the way a TODO does (decision 041); the tasks whose results it would print do.
   */
  #untranslatedDebug(t: NormTask, error: Untranslatable, indent: string, names: Names): Emitted {
    const label = this.#label(t.source);
    this.#h.reports.record(label, 'debug');
    this.#h.reports.note(label, `debug at line ${t.source.line} shows its message untranslated (${error.reason}: ${error.message})`);
    const a = t.args;
    const source = a.var !== undefined ? `{{ ${String(a.var)} }}` : typeof a.msg === 'string' ? a.msg : JSON.stringify(a.msg ?? 'Hello world!');
    const when = t.when.length ? ` (when: ${t.when.map(String).join(' and ')})` : '';
    const text = `not translated (${error.reason}: ${error.message})${when}: ${source}`;
    const name = names.take(slug(t.name ?? 'debug') || 'debug', '-');
    const id = this.#h.ids.take(camel(name));
    const head = `${indent}const ${id} = `;
    const call = print({ k: 'call', fn: this.#h.lib('debug'), args: [raw(quote(name)), obj([['msg', raw(`() => ${quote(text)}`)]])] }, indent, head.length);
    return { lines: [commentFor(t, indent), `${head}${call};`].filter(Boolean), steps: [id] };
  }

  #block(b: NormBlock, names: Names, inherited: Inherited, indent: string): Emitted {
    const name = names.take(slug(b.name ?? 'block') || 'block', '-');
    const inner = new Names();
    const saved = this.#scope;
    try {
      this.#scope = this.#withVars(b.vars);
      const inh: Inherited = {
        ...inherited,
        ...(b.become !== undefined ? { become: b.become } : {}),
        ...(b.becomeUser ? { becomeUser: b.becomeUser } : {}),
        ...(b.delegateTo ? { delegateTo: b.delegateTo } : {}),
        ...(b.noLog !== undefined ? { noLog: b.noLog } : {}),
        ...(b.environment !== undefined ? { environment: b.environment } : {}),
        ...(b.runOnce !== undefined ? { runOnce: b.runOnce } : {}),
      };
      const main = this.emit(b.block, inner, inh, indent);
      const rescue = this.emit(b.rescue, inner, inh, indent);
      const always = this.emit(b.always, inner, inh, indent);
      const when = conds(b.when, this.#scope);
      const entries: [string, Code][] = [['steps', raw(`[${main.steps.join(', ')}]`)]];
      if (b.rescue.length) entries.push(['rescue', raw(`[${rescue.steps.join(', ')}]`)]);
      if (b.always.length) entries.push(['always', raw(`[${always.steps.join(', ')}]`)]);
      if (when) entries.push(['when', raw(`${when.ctx ? '(ctx)' : '()'} => ${wrap(when, PREC.arrow + 1)}`)]);
      if (b.tags.length) entries.push(['tags', raw(`[${b.tags.map(quote).join(', ')}]`)]);
      const id = this.#h.ids.take(camel(name));
      const fn = this.#h.imports.named('helix', 'block');
      const head = `${indent}const ${id} = `;
      const code = `${head}${print({ k: 'call', fn, args: [raw(quote(name)), obj(entries)] }, indent, head.length)};`;
      return { lines: [...main.lines, ...rescue.lines, ...always.lines, code], steps: [id] };
    } catch (error) {
      if (error instanceof Untranslatable) return this.#todo(b, error.reason, error.message, indent, names);
      throw error;
    } finally {
      this.#scope = saved;
    }
  }

  /** Task-level `vars:`: each name reads as its (inline) value. */
  #withVars(vars: Readonly<Record<string, unknown>>): Scope {
    const entries = Object.entries(vars);
    if (!entries.length) return this.#scope;
    const bindings: Record<string, Binding> = {};
    let scope = this.#scope;
    for (const [k, v] of entries) {
      const val = value(v, scope);
      const code = print(val.code);
      bindings[k] = { code: /^[\w$.[\]'"]+$/.test(code) ? code : `(${code})`, type: val.type, ctx: val.ctx };
      scope = withBindings(this.#scope, bindings);
    }
    return scope;
  }

  #task(t: NormTask, names: Names, inherited: Inherited, indent: string): Emitted {
    const label = this.#label(t.source);
    const saved = this.#scope;
    try {
      this.#scope = this.#withVars(t.vars);
      const never = this.#never(t);
      if (never) return this.#dropped(t, never, indent);
      switch (t.module) {
        case 'include_tasks':
        case 'import_tasks':
          return this.#include(t, names, inherited, indent);
        case 'include_role':
        case 'import_role': {
          const out = this.#role(t, names, indent);
          // What the role gives back (its admin session) stays visible after it, as in Ansible.
          if (this.#roleOut) {
            this.#scope = withBindings(saved, this.#roleOut);
            this.#keep = true;
            this.#roleOut = undefined;
          }
          return out;
        }
        case 'set_fact':
          return this.#setFact(t, indent);
        case 'async_status': {
          const waited = this.#waitsFor(t);
          if (waited) {
            if (t.register) {
              this.#scope = withBindings(saved, {
                [t.register]: {
                  code: 'undefined',
                  type: T.any,
                  poison: `${t.register} is registered by async_status, which waits for nothing in helix: read ${waited}`,
                },
              });
              this.#keep = true;
            }
            return this.#dropped(t, `async_status: ${waited} ran to its end in its own task (async became its timeoutMs)`, indent);
          }
          break;
        }
        case 'meta': {
          const what = String(t.args._raw_params ?? '');
          if (what === 'flush_handlers' || what === 'noop') return this.#dropped(t, `meta: ${what} (helix runs handlers at the end of the playbook)`, indent);
          throw new Untranslatable('keyword-unsupported', `meta: ${what}`);
        }
      }
      const mapper = MAPPERS[t.module];
      if (!mapper) {
        const known = NO_TASK[t.module];
        throw new Untranslatable(known?.[0] ?? 'module-unsupported', known?.[1] ?? `${t.moduleKey} has no helix mapping`);
      }
      const delegate = t.delegateTo ?? inherited.delegateTo;
      // `delegate_to: localhost` makes a local task; another host (named or templated) makes a
      // host task wrapped in `ssh.delegateTo` once it is mapped.
      const elsewhere = delegate !== undefined && !/^(localhost|127\.0\.0\.1)$/.test(delegate) ? delegate : undefined;
      const local = elsewhere ? false : this.#h.local || !!delegate;
      // Delegated, the task still runs for the play's host: inventory_hostname is that host.
      if (delegate)
        this.#scope = withBindings(this.#scope, {
          inventory_hostname: { code: '(ctx.host.delegatedFrom ?? ctx.host.name)', type: T.string, ctx: true },
          inventory_hostname_short: { code: "(ctx.host.delegatedFrom ?? ctx.host.name).split('.')[0]!", type: T.string, ctx: true },
        });
      const name = names.take(slug(t.name ?? t.module) || t.module, '-');

      // Loop: the item variable is bound while the task is mapped.
      let loop: Loop | undefined;
      if (t.loop) loop = this.#loop(t, name);
      const notes: string[] = [];
      const cx: MapCx = {
        task: t,
        scope: this.#scope,
        local,
        name,
        module: (m) => this.#h.imports.namespace(`helix/modules/${m}`, m),
        helix: (n) => this.#h.imports.named('helix', n),
        lib: (n) => this.#h.lib(n),
        template: (src) => this.#h.template(src, t.source),
        fileUrl: (src) => this.#h.fileUrl(src, t.source),
        renderTemplate: (ref) => this.#h.renderTemplate(ref, this.#scope, []),
        earlier: this.#h.earlier,
        note: (text) => notes.push(text),
      };
      const mapped = mapper(cx);
      for (const n of notes) this.#h.reports.note(label, n);
      if (mapped.kind === 'dropped') return this.#dropped(t, mapped.why, indent);
      if (mapped.kind === 'inline') {
        if (t.loop) throw new Untranslatable('loop-dynamic', `a loop over ${t.module}`);
        if (t.when.length && !mapped.consumesWhen && conds(t.when, this.#scope))
          throw new Untranslatable('keyword-unsupported', `when: on ${t.moduleKey}, which becomes plain code here`);
        if (!this.#synthetic) this.#h.reports.record(label, 'inlined');
        if (mapped.binding) {
          this.#scope = withBindings(saved, { [mapped.binding.name]: mapped.binding.value });
          this.#keep = true;
        }
        const out = mapped.lines.map((l) => indent + l);
        return { lines: [commentFor(t, indent), ...out].filter(Boolean), steps: [] };
      }
      return this.#taskCall(t, name, mapped, loop, inherited, local, indent, label, saved, elsewhere);
    } finally {
      // Bindings made by this task (set_fact, register) are set explicitly by the callers.
      if (this.#scope !== saved && !this.#keep) this.#scope = saved;
      this.#keep = false;
    }
  }

  #keep = false;
  /** Registers of commands started with `async:` (they run to their end: async_status has nothing to wait for). */
  readonly #async = new Set<string>();

  /** The async command an `async_status` waits for (its `jid` or loop reads that command's register). */
  #waitsFor(t: NormTask): string | undefined {
    const text = `${JSON.stringify(t.args.jid ?? '')} ${typeof t.loop?.items === 'string' ? t.loop.items : ''}`;
    for (const m of text.matchAll(/([A-Za-z_]\w*)\.(?:results|ansible_job_id)\b/g)) if (this.#async.has(m[1]!)) return m[1];
    return undefined;
  }
  /** Mapping a task the port made up (a role's admin session): not counted in the report. */
  #synthetic = false;
  /** Bindings a role call gives back to the list after it. */
  #roleOut: Record<string, Binding> | undefined;

  /**
   * Why a task never runs, when its `when:` is false while porting (`when: ansible_check_mode`,
   * a placeholder for Ansible's check, decision 042). A condition without a translation is left
   * to the task's own mapping to report.
   */
  #never(t: NormTask): string | undefined {
    // Translating a condition notes the variables it reads (they become parameters): only the
    // conditions that can be known while porting are translated ahead of the task's mapping.
    if (!t.when.some((w) => typeof w === 'boolean' || KNOWN_WHEN.test(w))) return undefined;
    let when: Ts | undefined;
    try {
      when = conds(t.when, this.#scope);
    } catch (error) {
      if (error instanceof Untranslatable) return undefined;
      throw error;
    }
    if (!when || knownBool(when) !== false) return undefined;
    const src = t.when.map(String).join(' and ');
    if (/^\s*(?:false|False)\s*$/.test(src)) return 'never runs: when: false';
    return `never runs: when: ${src} is always false${/ansible_check_mode/.test(src) ? ' (ansible_check_mode reads false, decision 042)' : ''}`;
  }

  #dropped(t: NormTask, why: string, indent: string): Emitted {
    this.#h.reports.record(this.#label(t.source), 'dropped');
    return { lines: [lineComment(`${why}:\n${t.source.text}`, indent)], steps: [] };
  }

  #loop(t: NormTask, name: string): Loop {
    const l = t.loop!;
    if (!['loop', 'with_items', 'with_list', 'with_dict'].includes(l.keyword)) {
      throw new Untranslatable('keyword-unsupported', `${l.keyword}: write the iteration in TypeScript`);
    }
    let items: Ts;
    if (typeof l.items === 'string') {
      const sole = soleExpression(l.items);
      if (sole === undefined) throw new Untranslatable('jinja-construct', `${l.keyword}: "${l.items}" is not a list`);
      const bare = /^\s*([A-Za-z_]\w*)\s*$/.exec(sole);
      if (bare) this.#scope.note(bare[1]!, l.shape === 'dict' ? 'object' : 'array');
      const v = value(l.items, this.#scope);
      items = { code: print(v.code), prec: PREC.primary, type: v.type, ctx: v.ctx };
    } else {
      const v = value(l.items, this.#scope);
      items = { code: print(v.code), prec: PREC.primary, type: v.type, ctx: v.ctx };
    }
    // A list only known at run time (earlier results): `each` reads it when the task plans.
    const dynamic = items.ctx;
    if (l.shape === 'dict') {
      items = {
        code: `Object.entries(${items.code}).map(([key, value]) => ({ key, value }))`,
        prec: PREC.primary,
        type: T.array(T.object({ key: T.string, value: items.type.k === 'object' ? Object.values(items.type.fields).reduce(unify, T.null as PType) : T.any })),
        ctx: items.ctx,
      };
    } else if (l.shape === 'flatten' && items.type.k === 'array' && items.type.of.k === 'array') {
      items = { code: `${wrap(items, PREC.primary)}.flat()`, prec: PREC.primary, type: items.type.of, ctx: items.ctx };
    }
    if (items.type.k !== 'array' && items.type.k !== 'any') throw new Untranslatable('jinja-construct', `${l.keyword} over a ${items.type.k}`);
    this.#scope = withBindings(this.#scope, {
      [l.var]: { code: localName(l.var), type: elementOf(items.type) },
      ...(l.indexVar ? { [l.indexVar]: { code: 'i', type: T.number } } : {}),
    });
    // A readable, stable task name per item: the label, a plain string item, or the index.
    let taskName = `\`${name}[\${i}]\``;
    if (l.label !== undefined) {
      const lab = value(l.label, this.#scope);
      if (!lab.ctx) taskName = `\`${name}-\${String(${print(lab.code)}).replace(/[^A-Za-z0-9._-]+/g, '-')}\``;
    } else if (Array.isArray(l.items) && l.items.every((x: unknown) => typeof x === 'string' && /^[A-Za-z0-9._-]+$/.test(x))) {
      taskName = `\`${name}-\${${localName(l.var)}}\``;
    }
    return { items, param: localName(l.var), taskName, dynamic };
  }

  #taskCall(
    t: NormTask,
    name: string,
    m: Extract<Mapped, { kind: 'task' }>,
    loop: Loop | undefined,
    inherited: Inherited,
    local: boolean,
    indent: string,
    label: string,
    outer: Scope,
    elsewhere?: string,
  ): Emitted {
    const opts: (readonly [string, Code])[] = [...m.options];
    const common: [string, Code][] = [];
    const handled = new Set(m.handled ?? []);
    const note = (s: string): void => this.#h.reports.note(label, s);

    const when = conds(t.when, this.#scope);
    if (when) common.push(['when', raw(`${when.ctx ? '(ctx)' : '()'} => ${wrap(when, PREC.arrow + 1)}`)]);
    if (t.tags.length) common.push(['tags', raw(`[${t.tags.map(quote).join(', ')}]`)]);
    if ((t.until !== undefined || t.retries !== undefined) && !handled.has('retries')) {
      const retries = t.retries ?? (t.until !== undefined ? 3 : undefined);
      if (retries !== undefined) common.push(['retries', typeof retries === 'number' ? raw(String(retries)) : raw(asNumberCode(value(retries, this.#scope)))]);
      common.push(['delayMs', millis(t.delay ?? 5, this.#scope)]);
      if (t.until !== undefined) {
        if (!t.register && typeof t.until !== 'boolean') throw new Untranslatable('keyword-unsupported', 'until: without register');
        const bound = t.register ? withBindings(this.#scope, { [t.register]: resultBinding('r', m.result, false) }) : this.#scope;
        const u = asBool(cond(t.until, bound));
        if (u.ctx) throw new Untranslatable('keyword-unsupported', "until: reads other tasks' results");
        common.push(['until', raw(`(r) => ${wrap(u, PREC.arrow + 1)}`)]);
      }
    }
    const notify = t.notify.flatMap((n) => {
      const hs = this.#h.handlers.get(n);
      if (!hs) note(`notify "${n}": no such handler in scope; dropped`);
      return hs ?? [];
    });
    if (notify.length) common.push(['notify', raw(`[${[...new Set(notify)].join(', ')}]`)]);
    const ignore = t.ignoreErrors;
    if (ignore !== undefined && ignore !== false) {
      if (typeof ignore === 'string') throw new Untranslatable('keyword-unsupported', 'ignore_errors: a computed condition');
      common.push(['ignoreErrors', raw('true')]);
    }
    // A read whose failure Ansible decides from its answer (`resources | length == 0`): a
    // check right after it, reading its result, with the same `when`.
    let failedAfter: readonly (string | boolean)[] | undefined;
    if (t.failedWhen && !handled.has('failedWhen')) {
      if (t.failedWhen.length === 1 && (t.failedWhen[0] === false || t.failedWhen[0] === 'false')) {
        if (ignore === undefined || ignore === false) common.push(['ignoreErrors', raw('true')]);
        note('failed_when: false became ignoreErrors: true (a failure is reported, the host carries on)');
      } else if (!FAILED_WHEN_AFTER.has(t.module) || loop) {
        throw new Untranslatable('keyword-unsupported', `failed_when on ${t.moduleKey}: helix decides failure from the target's answer`);
      } else failedAfter = t.failedWhen;
    }
    if (t.changedWhen && !handled.has('changedWhen'))
      note(`changed_when on ${t.moduleKey} dropped: helix reports a change only when it compared and found one`);
    const become = t.become ?? inherited.become;
    if (become && m.fn.startsWith('ssh.')) {
      const user = t.becomeUser ?? inherited.becomeUser;
      opts.push(['become', raw(user ? quote(user) : 'true')]);
    } else if (become && local && /^exec\./.test(m.fn)) {
      if (t.become) throw new Untranslatable('keyword-unsupported', 'become on a local command');
      note('become from the play dropped on commands run on this machine (delegate_to: localhost)');
    }
    const env = t.environment ?? inherited.environment;
    if (env !== undefined && !handled.has('environment')) note(`environment: dropped on ${t.moduleKey} (only commands take an environment)`);
    if ((t.runOnce ?? inherited.runOnce) && !this.#h.local && !local)
      note('run_once: helix runs the task on every host of the playbook; give it its own localhost playbook if it must run once');
    if (t.noLog ?? inherited.noLog) note('no_log: helix masks every Secret in every output; values read from secrets are Secrets');
    if (t.checkMode !== undefined) note('check_mode: dropped (helix tasks read in check runs and never write)');
    const async = t.source.data.async;
    if (async !== undefined && async !== null) {
      if (!/\.(run|exec|query)$/.test(m.fn) || m.fn.endsWith('ssh.query'))
        throw new Untranslatable('keyword-unsupported', `async on ${t.moduleKey} (only commands take a time limit)`);
      opts.push(['timeoutMs', typeof async === 'number' ? raw(String(async * 1000)) : raw(`${asNumberCode(value(async, this.#scope))} * 1000`)]);
      const poll = t.source.data.poll;
      note(
        `async: ${String(async)}${poll !== undefined ? `, poll: ${String(poll)}` : ''} became timeoutMs: the command runs to its end (or fails at the limit) before the next task` +
          (poll === 0 || poll === '0' ? ', so an async_status waiting for it is dropped' : ''),
      );
      if (t.register) this.#async.add(t.register);
    }
    for (const k of t.ignored) if (async === undefined || (k !== 'async' && k !== 'poll')) note(`${k}: not carried over`);

    const options = obj([...opts, ...common]);
    const nameCode: Code = m.name ?? (loop ? raw(loop.taskName) : raw(quote(name)));
    let callCode: Code = { k: 'call', fn: m.fn, args: [nameCode, options] };
    if (elsewhere !== undefined) callCode = this.#delegated(elsewhere, m.fn, callCode);
    // A host task (a file, a package) delegated to this machine from a play on other hosts.
    else if (local && !this.#h.local && (t.delegateTo ?? inherited.delegateTo) && m.fn.startsWith('ssh.'))
      callCode = this.#delegated('localhost', m.fn, callCode);
    const id = this.#h.ids.take(t.register ? localName(t.register) : camel(name));
    const head = `${indent}const ${id} = `;
    if (loop?.dynamic) return this.#each(t, id, m, callCode, common, loop, indent, label, outer);
    let line: string;
    if (loop) {
      const params = loop.taskName.includes('${i}') || t.loop?.indexVar ? `(${loop.param}, i)` : loop.param;
      const body = print(callCode, indent, head.length + params.length + 20);
      line = `${head}${wrap(loop.items, PREC.primary)}.map(${params} => ${body});`;
    } else line = `${head}${print(callCode, indent, head.length)};`;
    const extra: string[] = [];
    const extraSteps: string[] = [];
    if (failedAfter) {
      const bound = t.register ? withBindings(this.#scope, { [t.register]: resultBinding(`ctx.result(${id})`, m.result, true) }) : this.#scope;
      const failed = conds(failedAfter, bound) ?? lit(true);
      const checkId = this.#h.ids.take(`${id}FailedWhen`);
      const check = this.#h.lib('check');
      const src = failedAfter.map(String).join(' or ');
      const o: [string, Code][] = [
        ['that', raw(`${failed.ctx ? '(ctx)' : '()'} => !${wrap(failed, PREC.unary)}`)],
        ['message', raw(quote(`failed_when: ${src}`))],
        ...(when ? [['when', raw(`${when.ctx ? '(ctx)' : '()'} => ${wrap(when, PREC.arrow + 1)}`)] as [string, Code]] : []),
      ];
      const h2 = `${indent}const ${checkId} = `;
      extra.push(`${h2}${print({ k: 'call', fn: check, args: [raw(quote(`${name}-failed-when`)), obj(o)] }, indent, h2.length)};`);
      extraSteps.push(checkId);
      note(`failed_when on ${t.moduleKey} became a check right after it (${name}-failed-when)`);
    }
    this.#h.reports.record(label, m.debug ? 'debug' : m.real === false ? 'wrapped' : 'mapped');

    // A registered result reads from the task through `ctx.result`.
    if (t.register) {
      // Ansible's `results[i]` is the item's result plus `item`: the same here, with the
      // attributes Ansible names differently (`rc`, `stdout_lines` …) under its names too.
      const items = wrap(loop?.items ?? { code: '[]', prec: PREC.primary, type: T.any, ctx: false }, PREC.primary);
      const names = ansibleNames(m.result, 'r');
      const results = names.length
        ? `${id}.map((t, i) => { const r = ctx.result(t); return { ...r, ${names.map((x) => `${x}, `).join('')}item: ${items}[i]! }; })`
        : `${id}.map((t, i) => ({ ...ctx.result(t), item: ${items}[i]! }))`;
      const b: Binding = loop
        ? { code: results, type: T.array(T.any), ctx: true, member: (n) => (n === 'results' ? { code: results, type: T.array(T.any), ctx: true } : undefined) }
        : resultBinding(`ctx.result(${id})`, m.result, true);
      this.#scope = withBindings(outer, { [t.register]: b });
      this.#keep = true;
    }
    return { lines: [commentFor(t, indent), line, ...extra].filter(Boolean), steps: [loop ? `...${id}` : id, ...extraSteps] };
  }

  /**
   * A loop over a list only known at run time (an earlier task's results, a fact computed from
   * them): `each(name, (ctx) => items, (item, i) => task)`. A `when` that reads the item stays on
   * the item's task (Ansible evaluates it per item); one that does not, and `tags`/`ignoreErrors`,
   * go on `each`. Retries, `until` and `notify` per item have no place there: a TODO.
   */
  #each(
    t: NormTask,
    id: string,
    m: Extract<Mapped, { kind: 'task' }>,
    call: Code,
    common: readonly (readonly [string, Code])[],
    loop: Loop,
    indent: string,
    label: string,
    outer: Scope,
  ): Emitted {
    const per = new Set(['when']);
    const item = new RegExp(`\\b${loop.param}\\b`);
    const onItem: [string, Code][] = [];
    const onEach: [string, Code][] = [];
    for (const [k, v] of common) {
      if (['retries', 'delayMs', 'until', 'notify'].includes(k))
        throw new Untranslatable('loop-dynamic', `a loop over earlier results with ${k === 'delayMs' ? 'retries' : k} on each item`);
      if (per.has(k) && item.test(print(v))) onItem.push([k, v]);
      else onEach.push([k, v]);
    }
    if (call.k !== 'call') throw new Error('internal: a mapped task is a call');
    // The item's own `when` is read by each; everything else of the task's options is as mapped.
    const inner = this.#withOptions(
      call,
      onItem,
      common.map(([k]) => k),
    );
    const params = loop.taskName.includes('${i}') || t.loop?.indexVar ? `(${loop.param}, i)` : loop.param;
    const fn = this.#h.imports.named('helix', 'each');
    const head = `${indent}const ${id} = `;
    // Items of no known type are `any` (not `unknown`, which `each` would infer from `any`).
    const items = `(ctx)${elementOf(loop.items.type).k === 'any' ? ': any[]' : ''} => ${wrap(loop.items, PREC.arrow + 1)}`;
    const args: Code[] = [raw(quote(slug(t.name ?? t.module) || t.module)), raw(items), { k: 'arrow', params, body: inner }];
    if (onEach.length) args.push(obj(onEach));
    const line = `${head}${print({ k: 'call', fn, args }, indent, head.length)};`;
    this.#h.reports.record(label, 'mapped');
    this.#h.reports.note(label, `${t.loop?.keyword ?? 'loop'} over earlier results became each (the list is read when the task plans)`);
    if (t.register) {
      // Each of Ansible's `results[i]`: the item's result under Ansible's names too (`rc`,
      // `stdout_lines`, `json` …), its `item`, or `{ skipped: true, item }` when its `when` was false.
      const names = ansibleNames(m.result, 'r');
      const results = `ctx.result(${id}).map((r, i): any => (r === undefined ? { skipped: true, item: (${loop.items.code})[i] } : { ...r, ${names.map((x) => `${x}, `).join('')}item: (${loop.items.code})[i] }))`;
      const b: Binding = {
        code: results,
        type: T.array(T.any),
        ctx: true,
        member: (n) => (n === 'results' ? { code: results, type: T.array(T.any), ctx: true } : undefined),
      };
      this.#scope = withBindings(outer, { [t.register]: b });
      this.#keep = true;
    }
    return { lines: [commentFor(t, indent), line].filter(Boolean), steps: [id] };
  }

  /** The call with the common options replaced by `keep` (the mapped options stay). */
  #withOptions(call: Extract<Code, { k: 'call' }>, keep: readonly (readonly [string, Code])[], common: readonly string[]): Code {
    const args = call.args.map((a): Code => {
      if (a.k === 'call') return this.#withOptions(a, keep, common);
      if (a.k !== 'obj') return a;
      const entries = a.entries.filter(([k]) => !common.includes(k));
      return obj([...entries, ...keep]);
    });
    return { ...call, args };
  }

  /**
   * `delegate_to: <host>` (a name, or Jinja such as `{{ item.value }}` read with the loop's item
   * bound): the host task wrapped in `ssh.delegateTo`. Only host tasks go to another host; a
   * Kubernetes, HTTP or local command task delegated elsewhere stays a TODO.
   */
  #delegated(host: string, fn: string, call: Code): Code {
    if (!fn.startsWith('ssh.')) throw new Untranslatable('keyword-unsupported', `delegate_to: ${host} on ${fn} (only host tasks, ssh.*, run on another host)`);
    const v = value(host, this.#scope);
    const text = v.type.k === 'string' ? print(v.code) : `String(${print(v.code)})`;
    const ssh = this.#h.imports.namespace('helix/modules/ssh', 'ssh');
    return { k: 'call', fn: `${ssh}.delegateTo`, args: [raw(v.ctx ? `(ctx) => ${text}` : text), call] };
  }

  #include(t: NormTask, names: Names, inherited: Inherited, indent: string): Emitted {
    const file = String(t.args._raw_params ?? t.args.file ?? '');
    if (!file || /\{\{/.test(file)) throw new Untranslatable('include-dynamic', `${t.moduleKey}: a computed file name`);
    if (t.loop) throw new Untranslatable('include-dynamic', `${t.moduleKey} in a loop`);
    const tasks = this.#h.includeFile(file, t.source);
    if (!tasks) throw new Untranslatable('include-dynamic', `${t.moduleKey}: ${file} not found`);
    this.#h.reports.record(this.#label(t.source), 'inlined');
    const name = names.take(slug(t.name ?? file.replace(/\.ya?ml$/, '')) || 'include', '-');
    const inner = this.emit(tasks.map(normalise), new Names(), inherited, indent);
    const when = conds(t.when, this.#scope);
    const fn = this.#h.imports.named('helix', 'group');
    const id = this.#h.ids.take(camel(name));
    const o: string[] = [];
    if (when) o.push(`when: ${when.ctx ? '(ctx)' : '()'} => ${wrap(when, PREC.arrow + 1)}`);
    if (t.tags.length) o.push(`tags: [${t.tags.map(quote).join(', ')}]`);
    const line = `${indent}const ${id} = ${fn}(${quote(name)}, [${inner.steps.join(', ')}]${o.length ? `, { ${o.join(', ')} }` : ''});`;
    // Facts set and results registered in the included file stay visible after it (as in Ansible).
    this.#keep = true;
    return { lines: [`${indent}// ${t.moduleKey}: ${file}`, ...inner.lines, line], steps: [id] };
  }

  #role(t: NormTask, names: Names, indent: string): Emitted {
    const a = t.args;
    const roleName = String(a.name ?? a._raw_params ?? '');
    if (!roleName || /\{\{/.test(roleName)) throw new Untranslatable('include-dynamic', `${t.moduleKey}: a computed role name`);
    if (t.loop) throw new Untranslatable('include-dynamic', `${t.moduleKey} in a loop`);
    const vars = { ...((a.vars as Record<string, unknown>) ?? {}), ...t.vars };
    const call = this.#h.roleCall(roleName, typeof a.tasks_from === 'string' ? a.tasks_from.replace(/\.ya?ml$/, '') : undefined, vars, this.#scope, t.source);
    if (!call) throw new Untranslatable('role-missing', `role ${roleName} not found on the roles path`);
    this.#h.reports.record(this.#label(t.source), 'inlined');
    names.take(slug(roleName), '-');
    const id = this.#h.ids.take(`${camel(roleName.split('/').at(-1)!)}Role`);
    const when = conds(t.when, this.#scope);
    let code = call.code;
    if (when || t.tags.length) {
      const fn = this.#h.imports.named('helix', 'group');
      const o: string[] = [];
      if (when) o.push(`when: ${when.ctx ? '(ctx)' : '()'} => ${wrap(when, PREC.arrow + 1)}`);
      if (t.tags.length) o.push(`tags: [${t.tags.map(quote).join(', ')}]`);
      code = `${fn}(${quote(slug(roleName))}, [${code}], { ${o.join(', ')} })`;
    }
    if (call.handlers && !when && !t.tags.length) this.#h.roleHandlers.push(`...${id}.handlers`);
    // What the role gives back: the Keycloak admin token it requests becomes the same admin
    // connection here, so later calls of this list use it (not an inventory input).
    const after: string[] = [];
    const given: Record<string, Binding> = {};
    for (const tok of call.tokens ?? []) {
      if (this.#scope.peek?.(tok.register)) continue;
      const source: SourceTask = { data: { 'ansible.builtin.uri': tok.args, register: tok.register }, text: '', file: t.source.file, line: t.source.line };
      const before = this.#scope;
      this.#synthetic = true;
      try {
        const out = this.#task(normalise(source) as NormTask, names, {}, indent);
        const b = this.#scope.peek?.(tok.register) ? this.#scope.lookup(tok.register) : undefined;
        if (b) {
          given[tok.register] = b;
          after.push(`${indent}// The Keycloak admin session role ${roleName} opens (it registers ${tok.register}):`, ...out.lines.filter((l) => l.trim()));
        }
      } catch (error) {
        if (!(error instanceof Untranslatable)) throw error;
      } finally {
        this.#synthetic = false;
        this.#scope = before;
      }
    }
    if (Object.keys(given).length) this.#roleOut = given;
    return { lines: [`${indent}// ${t.moduleKey}: ${roleName}`, `${indent}const ${id} = ${code};`, ...after], steps: [id] };
  }

  /**
   * `set_fact` in a loop that accumulates one fact: `n: "{{ n | default({}) | combine({k: v}) }}"`
   * → `Object.assign({}, init, ...items.filter(when).map((item) => ({ k: v })))`, and
   * `n: "{{ n | default([]) + [v] }}"` → `[...init, ...items.filter(when).map((item) => v)]`. The
   * start is the fact's earlier value when there is one, else the `default`. Any other set_fact
   * in a loop stays a TODO.
   */
  #accumulate(t: NormTask, indent: string): Emitted {
    const why = 'set_fact in a loop (an accumulator): write it with map/filter';
    const keys = Object.keys(t.args).filter((k) => k !== 'cacheable');
    const k = keys[0];
    const src = k !== undefined && keys.length === 1 && typeof t.args[k] === 'string' ? soleExpression(t.args[k]) : undefined;
    if (k === undefined || src === undefined) throw new Untranslatable('loop-dynamic', why);
    let e: Expr;
    try {
      e = parseExpression(src);
    } catch {
      throw new Untranslatable('loop-dynamic', why);
    }
    const start = (d: Expr): Expr | undefined =>
      d.t === 'filter' && (d.name === 'default' || d.name === 'd') && d.input.t === 'name' && d.input.name === k && d.args.length === 1 ? d.args[0] : undefined;
    let shape: { kind: 'dict' | 'list'; init: Expr; part: Expr } | undefined;
    if (e.t === 'filter' && e.name === 'combine' && e.args.length === 1 && !e.kwargs.length && e.args[0]!.t === 'dict') {
      const init = start(e.input);
      if (init) shape = { kind: 'dict', init, part: e.args[0]! };
    } else if (e.t === 'binary' && e.op === '+' && e.right.t === 'list' && e.right.items.length === 1) {
      const init = start(e.left);
      if (init) shape = { kind: 'list', init, part: e.right.items[0]! };
    }
    if (!shape) throw new Untranslatable('loop-dynamic', why);
    const outer = this.#scope;
    const prev = outer.peek?.(k) ? outer.lookup(k) : undefined;
    const init = prev ? { code: prev.code, ctx: !!prev.ctx } : (({ code, ctx }: Ts) => ({ code, ctx }))(translate(shape.init, outer));
    const loop = this.#loop(t, slug(t.name ?? 'set-fact') || 'set-fact');
    try {
      const part = translate(shape.part, this.#scope);
      const when = conds(t.when, this.#scope);
      const filtered = when ? `${wrap(loop.items, PREC.primary)}.filter((${loop.param}) => ${wrap(when, PREC.arrow + 1)})` : wrap(loop.items, PREC.primary);
      const code =
        shape.kind === 'dict'
          ? `Object.assign({}, ${init.code}, ...${filtered}.map((${loop.param}) => (${part.code})))`
          : `[...${wrap({ code: init.code, prec: PREC.primary, type: T.any, ctx: init.ctx }, PREC.primary)}, ...${filtered}.map((${loop.param}) => ${part.code.startsWith('{') ? `(${part.code})` : wrap(part, PREC.arrow + 1)})]`;
      const ctx = init.ctx || loop.items.ctx || part.ctx || !!when?.ctx;
      const type = shape.kind === 'dict' ? T.any : T.array(part.type);
      const id = this.#h.ids.take(localName(k));
      const lines = [commentFor(t, indent)].filter(Boolean);
      if (ctx) lines.push(`${indent}const ${id} = (ctx: ${this.#h.imports.type('helix', 'TaskContext')}) => ${code};`);
      else lines.push(`${indent}const ${id} = ${code};`);
      this.#h.reports.record(this.#label(t.source), 'inlined');
      this.#scope = withBindings(outer, { [k]: ctx ? { code: `${id}(ctx)`, type, ctx: true } : { code: id, type } });
      this.#keep = true;
      return { lines, steps: [] };
    } catch (error) {
      this.#scope = outer;
      throw error;
    }
  }

  #setFact(t: NormTask, indent: string): Emitted {
    if (t.loop) return this.#accumulate(t, indent);
    const when = conds(t.when, this.#scope);
    const lines: string[] = [commentFor(t, indent)].filter(Boolean);
    const bindings: Record<string, Binding> = {};
    const secret = t.noLog === true;
    for (const [k, raw0] of Object.entries(t.args)) {
      if (k === 'cacheable') continue;
      let v = value(raw0, this.#scope, { secretOk: () => true });
      let code = print(v.code, indent, indent.length + k.length + 10);
      let type = v.type;
      if (secret && v.type.k === 'string') {
        const S = this.#h.imports.named('helix', 'Secret');
        code = `new ${S}(${code})`;
        type = T.secret;
      }
      // Only an existing binding is a previous value: a lookup could invent a parameter.
      const prev = this.#scope.peek?.(k) ? this.#scope.lookup(k) : undefined;
      if (when) {
        const other = prev ? prev.code : 'undefined';
        code = `${wrap(when, PREC.cond + 1)} ? ${/\n/.test(code) ? `(${code})` : code} : ${other}`;
        type = prev ? unify(prev.type, type) : type;
        v = { ...v, ctx: v.ctx || when.ctx || !!prev?.ctx };
      }
      const id = this.#h.ids.take(localName(k));
      if (v.ctx) {
        const TC = this.#h.imports.type('helix', 'TaskContext');
        lines.push(`${indent}const ${id} = (ctx: ${TC}) => ${code.startsWith('{') ? `(${code})` : code};`);
        bindings[k] = { code: `${id}(ctx)`, type, ctx: true, ...(when && !prev ? { opt: true } : {}) };
      } else {
        lines.push(`${indent}const ${id} = ${code};`);
        bindings[k] = { code: id, type, ...(when && !prev ? { opt: true } : {}) };
      }
    }
    this.#h.reports.record(this.#label(t.source), 'inlined');
    this.#scope = withBindings(this.#scope, bindings);
    this.#keep = true;
    return { lines, steps: [] };
  }
}

/** A `when:` that may be known while porting: `ansible_check_mode` (decision 042), a literal. */
const KNOWN_WHEN = /\bansible_check_mode\b|^\s*(?:not\s+)?(?:true|false|True|False)\s*$/;

/** Reads whose `failed_when` becomes a check right after them (they never fail on their own). */
const FAILED_WHEN_AFTER = new Set(['k8s_info', 'stat']);

/** Modules whose helix counterpart lacks the task, or does not exist yet. */
const NO_TASK: Record<string, [Untranslatable['reason'], string]> = {
  get_url: ['module-unsupported', 'get_url: helix/modules/http has no download-to-file task'],
  git: ['module-unsupported', 'git clone/checkout: helix/modules/git pushes commits and deletes branches only'],
  github_deploy_key: ['module-missing', 'github_deploy_key: helix/modules/github is not available yet'],
  github_repo: ['module-missing', 'github_repo: helix/modules/github is not available yet'],
  github_webhook: ['module-missing', 'github_webhook: helix/modules/github is not available yet'],
  keycloak_client: ['module-unsupported', 'community.general.keycloak_client: port it by hand to keycloak.client (same fields, camelCase)'],
};

function asNumberCode(v: { code: Code }): string {
  return `Number(${print(v.code)})`;
}

/** The binding of a registered result, reading Ansible's attribute names on helix's result. */
function resultBinding(code: string, shape: ResultShape | undefined, ctx: boolean): Binding {
  const member = shape?.member;
  return {
    code,
    type: shape?.type ?? T.any,
    ctx,
    ...(member
      ? {
          member: (n: string) => {
            const b = member(code, n);
            return b ? { ...b, ctx: ctx || (b.ctx ?? false) } : undefined;
          },
        }
      : {}),
  };
}

/** The Ansible task name as a comment above its translation. */
function commentFor(t: NormTask, indent: string): string {
  return t.name ? `${indent}// ${t.name.replace(/\n/g, ' ')}` : '';
}
