import { T, type PType, unify } from '../ptype.ts';
import { asString, knownBool, PREC, type Ts, wrap } from '../jinja/code.ts';
import { translateString } from '../jinja/inline.ts';
import type { Binding, Scope, TodoReason } from '../jinja/scope.ts';
import { portTimeString, Untranslatable } from '../jinja/scope.ts';
import { translateCondition, translateSource } from '../jinja/translate.ts';
import { arr, type Code, obj, raw } from '../emit/code.ts';
import type { NormTask } from '../tasks/normalise.ts';

/** A YAML value translated to code: its tree, whether it reads `ctx`, its type. */
export interface Val {
  readonly code: Code;
  readonly ctx: boolean;
  readonly type: PType;
}

/** A template the task names (`src: deployment.yaml.j2`), found in the role or next to the playbook. */
export interface TemplateRef {
  /** Path relative to the source's `templates/` folder. */
  readonly path: string;
  readonly text: string;
  /** Where the template lives: a role's folder or the playbook folder. */
  readonly owner: 'role' | 'playbook';
}

/** What the mapper of a task can ask of the file being generated. */
export interface MapCx {
  readonly task: NormTask;
  readonly scope: Scope;
  /** The task runs on the machine running helix (play on localhost, or `delegate_to: localhost`). */
  readonly local: boolean;
  /** The generated task's name (unique in its parent). */
  readonly name: string;
  /** `import * as <module> from 'helix/modules/<module>'`; returns the local name. */
  module(name: string): string;
  /** `import { <name> } from 'helix'` (or from the generated lib); returns the local name. */
  helix(name: string): string;
  /** A helper from the generated `lib/port.ts`. */
  lib(name: string): string;
  /** A template by the task's `src:` (role `templates/`, then the playbook's). */
  template(src: string): TemplateRef | undefined;
  /** Code for a URL of a file copied next to the generated file (`files/x`). */
  fileUrl(src: string): string | undefined;
  /**
   * Registers a template the generated code renders, returns the code of its source
   * (`{ src: new URL('./templates/x.hbs', import.meta.url) }`) and the variables it needs.
   */
  renderTemplate(ref: TemplateRef): RenderedTemplate;
  /** Earlier tasks of the same list, for patterns spanning tasks (template then k8s src). */
  readonly earlier: Earlier;
  /** Notes for the report about what changed in meaning (not TODOs). */
  note(text: string): void;
}

/** How generated code renders a `.j2`: a Handlebars file, or a TypeScript function. */
export type RenderedTemplate = { kind: 'hbs'; source: string; vars: Val } | { kind: 'ts'; text: Val };

export interface Earlier {
  /** A `template:` task whose `dest` a later task reads (k8s `src:`): its rendered text. */
  renderedFiles: Map<string, { text: Val; hbs?: { source: string; vars: Val } }>;
  /** Keycloak admin sessions learnt from token requests, by register name. */
  keycloakSessions: Map<string, KeycloakSession>;
  /** Keycloak client tasks by clientId code, for later lookups of their id or secret. */
  keycloakClients: Map<string, { constName: string }>;
  /** Helm repositories by name (from helm_repository / `helm repo add`). */
  helmRepos: Map<string, string>;
  /** Paths a later task applies to the cluster (`k8s: src:`, `kubectl apply -f`): templates rendered there are not written. */
  appliedPaths: Set<string>;
}

export function newEarlier(): Earlier {
  return { renderedFiles: new Map(), keycloakSessions: new Map(), keycloakClients: new Map(), helmRepos: new Map(), appliedPaths: new Set() };
}

export interface KeycloakSession {
  /** Code of the `KeycloakAdmin` value. */
  readonly admin: string;
  /** Code of the base URL (for matching later calls). */
  readonly url: string;
}

/** What a mapper produces. */
export type Mapped =
  | {
      readonly kind: 'task';
      /** `k8s.apply` */
      readonly fn: string;
      /** Task name override (Helm: the release name is the task name). */
      readonly name?: Code;
      readonly options: (readonly [string, Code])[];
      /** The result's type and how Ansible's result attributes read on it. */
      readonly result?: ResultShape;
      /** The module already carries these keywords (exec: changedWhen/failedWhen). */
      readonly handled?: readonly ('changedWhen' | 'failedWhen' | 'environment' | 'become' | 'retries')[];
      /** Counts as mapped (false: a shell script run as is). */
      readonly real?: boolean;
      /** Ansible `debug`: counted apart, not as mapped. */
      readonly debug?: boolean;
    }
  /** Code that is not a task: a binding (set_fact, an admin session), a build-time check. */
  | {
      readonly kind: 'inline';
      readonly lines: readonly string[];
      readonly binding?: { readonly name: string; readonly value: Binding };
      /** The code already tests the task's `when`. */
      readonly consumesWhen?: boolean;
    }
  /** Dropped on purpose (debug output, helm repo update): kept as a comment. */
  | { readonly kind: 'dropped'; readonly why: string };

export interface ResultShape {
  readonly type: PType;
  /** `stdout` → `.stdout`, `rc` → `.exitCode` …; undefined: unknown attribute. */
  readonly member?: (result: string, name: string) => Binding | undefined;
}

export type Mapper = (cx: MapCx) => Mapped;

/**
 * Whether a result's code reads `ctx` (`ctx.result(t)`): false for the `r` an `until` is given,
 * so a condition on a task's own result is not taken for one on other tasks' results.
 */
export function readsCtx(result: string): boolean {
  return /\bctx\b/.test(result);
}

export function todo(reason: TodoReason, message: string): never {
  throw new Untranslatable(reason, message);
}

/** The task's arguments, with `name` of the argument for messages. */
export function args(cx: MapCx): Readonly<Record<string, unknown>> {
  return cx.task.args;
}

/** Refuses arguments the mapper does not carry, so nothing is silently dropped. */
export function only(cx: MapCx, allowed: readonly string[], ignorable: readonly string[] = []): void {
  const extra = Object.keys(cx.task.args).filter((k) => !allowed.includes(k) && !ignorable.includes(k));
  if (extra.length) todo('module-args', `${cx.task.moduleKey}: ${extra.map((e) => `${e}:`).join(', ')} not translated`);
}

export interface ValueOptions {
  /** Paths where a Secret may stay a Secret (k8s Secret data, env values). */
  readonly secretOk?: (path: readonly string[]) => boolean;
}

/** Translates a YAML value: strings are Jinja templates, maps and lists recurse. */
export function value(v: unknown, s: Scope, o: ValueOptions = {}, path: readonly string[] = []): Val {
  if (typeof v === 'string') {
    const t = translateString(v, s);
    const keep = t.type.k === 'secret' && o.secretOk?.(path);
    const e = t.type.k === 'secret' && !keep ? asString(t) : t;
    return { code: raw(e.opt && !keep ? `${wrap(e, PREC.primary)}!` : e.code), ctx: e.ctx, type: e.type };
  }
  if (typeof v === 'number' || typeof v === 'boolean') return { code: raw(String(v)), ctx: false, type: typeof v === 'number' ? T.number : T.boolean };
  if (v === null || v === undefined) return { code: raw('null'), ctx: false, type: T.null };
  if (Array.isArray(v)) {
    const items = v.map((x, i) => value(x, s, o, [...path, String(i)]));
    return { code: arr(items.map((i) => i.code)), ctx: items.some((i) => i.ctx), type: T.array(items.length ? items.map((i) => i.type).reduce(unify) : T.any) };
  }
  if (typeof v === 'object') {
    if (v.constructor?.name === 'VaultValue') todo('jinja-construct', 'an inline !vault value: move it to the inventory as a secret');
    const entries: [string, Code][] = [];
    const fields: Record<string, PType> = {};
    let ctx = false;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k.includes('{{')) todo('jinja-construct', `templated key "${k}"`);
      const t = value(x, s, o, [...path, k]);
      entries.push([k, t.code]);
      fields[k] = t.type;
      ctx ||= t.ctx;
    }
    return { code: obj(entries), ctx, type: T.object(fields) };
  }
  return { code: raw(JSON.stringify(v)), ctx: false, type: T.any };
}

/** A string option: templated, Secrets revealed, undefined refused (`!`). */
export function str(v: unknown, s: Scope): Ts {
  const t = typeof v === 'string' ? translateString(v, s) : translateString(String(v), s);
  const e = asString(t);
  return e.opt ? { ...e, code: `${wrap(e, PREC.primary)}!`, opt: false } : e;
}

export function expr(src: string, s: Scope): Ts {
  return translateSource(src, s);
}

export function cond(src: string | boolean, s: Scope): Ts {
  return translateCondition(src, s);
}

/** Several conditions ANDed (a list `when:`). */
export function conds(list: readonly (string | boolean)[], s: Scope): Ts | undefined {
  if (!list.length) return undefined;
  // Conditions known while porting (`not ansible_check_mode`, decision 042): true ones are left
  // out, and a false one makes the whole list false.
  const all = list.map((c) => cond(c, s));
  const never = all.find((p) => knownBool(p) === false);
  if (never) return never;
  const parts = all.filter((p) => knownBool(p) !== true);
  if (!parts.length) return undefined;
  if (parts.length === 1) return parts[0];
  return {
    code: parts.map((p) => wrap(p, PREC.and)).join(' && '),
    prec: PREC.and,
    type: T.boolean,
    ctx: parts.some((p) => p.ctx),
  };
}

/** `Input<T>`: a value, or `(ctx) => value` when it reads earlier results. */
export function input(v: Val): Code {
  return v.ctx ? { k: 'arrow', params: '(ctx)', body: v.code } : v.code;
}

/** A boolean option from YAML (`yes`, `true`, a Jinja condition). */
export function bool(v: unknown, s: Scope): Ts | boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(yes|true|on|1)$/i.test(v)) return true;
  if (typeof v === 'string' && /^(no|false|off|0)$/i.test(v)) return false;
  if (typeof v === 'string') return cond(v, s);
  return Boolean(v);
}

/** A static boolean, or a TODO when it is computed. */
export function staticBool(cx: MapCx, key: string): boolean | undefined {
  const v = cx.task.args[key];
  if (v === undefined) return undefined;
  const b = bool(v, cx.scope);
  if (typeof b !== 'boolean') todo('module-args', `${key}: a computed boolean`);
  return b;
}

/** A file argument (`src:`): a literal, or Jinja whose value is known while porting. */
export function fileArgument(cx: MapCx, key: string): string | undefined {
  const v = cx.task.args[key];
  if (typeof v === 'string' && /\{\{/.test(v)) {
    const known = portTimeString(v, cx.scope);
    if (known !== undefined) return known;
  }
  return staticString(cx, key);
}

/** A static string argument (no Jinja), or a TODO. */
export function staticString(cx: MapCx, key: string): string | undefined {
  const v = cx.task.args[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || /\{\{|\{%/.test(v)) todo('module-args', `${key}: must be a literal here`);
  return v;
}

/** Seconds (YAML number or numeric string) as milliseconds code. */
export function millis(v: unknown, s: Scope): Code {
  if (typeof v === 'number') return raw(String(v * 1000));
  const t = translateString(String(v), s);
  if (t.literal !== undefined && /^\d+$/.test(t.literal)) return raw(String(Number(t.literal) * 1000));
  return raw(`Number(${t.code}) * 1000`);
}

export { T };
