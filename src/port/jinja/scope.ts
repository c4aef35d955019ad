import type { PType } from '../ptype.ts';
import type { Ts } from './code.ts';

/** How a variable reads in generated code. */
export interface Binding {
  readonly code: string;
  readonly type: PType;
  readonly prec?: number;
  /** Reads `ctx` (a registered result, the current host). */
  readonly ctx?: boolean;
  /** May be undefined at run time. */
  readonly opt?: boolean;
  /** Attribute access with a meaning of its own (a registered result's `json`, `stdout`). */
  readonly member?: (name: string) => Binding | undefined;
  /** Reading it is a TODO: the name is registered by a task that is itself a TODO. */
  readonly poison?: string;
  /**
   * Its value while porting, when known then (`playbook_dir`, a play variable built from it):
   * lets a file argument (`src: "{{ playbook_dir }}/x.j2"`) be found and copied.
   */
  readonly portValue?: string;
}

/**
 * A string whose `{{ name }}` parts all have a value while porting, as that value; undefined
 * when any part is computed at run time.
 */
export function portTimeString(text: string, scope: Scope): string | undefined {
  let known = true;
  const out = text.replace(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g, (_m, n: string) => {
    const v = scope.peek?.(n) ? scope.lookup(n)?.portValue : undefined;
    if (v === undefined) known = false;
    return v ?? '';
  });
  return known && !/\{\{|\{%/.test(out) ? out : undefined;
}

/** A binding as a translated expression. */
export function bindingTs(b: Binding, label: string): Ts {
  if (b.poison) throw new Untranslatable('register-attribute', b.poison);
  const out: Ts = {
    code: b.code,
    prec: b.prec ?? 20,
    type: b.type,
    ctx: b.ctx ?? false,
    ...(b.opt ? { opt: true } : {}),
    label,
  };
  const member = b.member;
  return member
    ? {
        ...out,
        member: (n) => {
          const m = member(n);
          return m ? bindingTs(m, `${label}.${n}`) : undefined;
        },
      }
    : out;
}

/** What a use of a variable tells about its type, for variables nothing defines. */
export type Hint = 'optional' | 'bool' | 'array' | 'number' | 'object' | 'secret';

/** Names an expression may read, and the few global effects translation has. */
export interface Scope {
  /** The binding of a variable, or undefined when nothing in scope defines it. */
  lookup(name: string): Binding | undefined;
  /** Records what a use says about a variable (`x is defined` → optional). */
  note(name: string, hint: Hint): void;
  /** `lookup('env', NAME)`. */
  envLookup(name: string): Ts;
  /** `lookup('file', path)`. */
  fileLookup(path: Ts): Ts;
  /** Adds an import to the file being generated and returns the local name. */
  use(from: string, name: string): string;
  /** True when something defines the name (without creating it, as a lookup may). */
  peek?(name: string): boolean;
}

/** Why a construct has no translation; the key of "TODOs by reason" in the report. */
export type TodoReason =
  | 'jinja-syntax'
  | 'jinja-filter'
  | 'jinja-test'
  | 'jinja-lookup'
  | 'jinja-construct'
  | 'register-attribute'
  | 'register-status'
  | 'check-mode'
  | 'gathered-facts'
  | 'hostvars'
  | 'module-unsupported'
  | 'module-missing'
  | 'module-args'
  | 'keyword-unsupported'
  | 'include-dynamic'
  | 'template-unsupported'
  | 'role-missing'
  | 'loop-dynamic'
  | 'task-unreadable';

/** A construct the port cannot translate; the task that holds it becomes a TODO. */
export class Untranslatable extends Error {
  readonly reason: TodoReason;

  constructor(reason: TodoReason, message: string) {
    super(message);
    this.name = 'Untranslatable';
    this.reason = reason;
  }
}

/** A scope that adds (or shadows) a few names: loop variables, `{% set %}` names. */
export function withBindings(parent: Scope, bindings: Readonly<Record<string, Binding>>): Scope {
  return {
    lookup: (name) => bindings[name] ?? parent.lookup(name),
    note: (name, hint) => {
      if (!(name in bindings)) parent.note(name, hint);
    },
    envLookup: (name) => parent.envLookup(name),
    fileLookup: (path) => parent.fileLookup(path),
    use: (from, name) => parent.use(from, name),
    peek: (name) => name in bindings || (parent.peek?.(name) ?? false),
  };
}
