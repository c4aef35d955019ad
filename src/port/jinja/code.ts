import { T, type PType } from '../ptype.ts';

/**
 * A translated TypeScript expression: its text, how tightly it binds (so callers add only the
 * parentheses they need), its type, and whether it reads the task context `ctx`.
 */
export interface Ts {
  readonly code: string;
  readonly prec: number;
  readonly type: PType;
  /** Reads `ctx` (an earlier task's result, the host): must sit inside `(ctx) => …`. */
  readonly ctx: boolean;
  /** May be `undefined` at run time (`x | first`, an optional variable). */
  readonly opt?: boolean;
  /** The value, when the expression is a string literal (lets concatenation fold it). */
  readonly literal?: string;
  /**
   * Attribute access with a meaning of its own: a registered result whose Ansible shape
   * (`json.value`, `stdout`, `resources[0]`) maps onto the helix task's typed result.
   */
  readonly member?: (name: string) => Ts | undefined;
  /** A name for messages (`token.json`). */
  readonly label?: string;
}

/** JavaScript operator precedence, higher binds tighter. */
export const PREC = {
  arrow: 2,
  cond: 3,
  nullish: 3.5,
  or: 4,
  and: 5,
  eq: 9,
  rel: 10,
  add: 12,
  mul: 13,
  pow: 14,
  unary: 15,
  primary: 20,
} as const;

export function ts(code: string, type: PType, prec: number = PREC.primary, ctx = false, opt = false): Ts {
  return opt ? { code, prec, type, ctx, opt } : { code, prec, type, ctx };
}

/**
 * The value of a boolean known while porting (`true`, `false`, `!false`: `ansible_check_mode`
 * reads false, decision 042), or undefined when only the run knows it.
 */
export function knownBool(e: Ts): boolean | undefined {
  if (e.type.k !== 'boolean' || e.ctx || e.opt) return undefined;
  if (e.code === 'true') return true;
  if (e.code === 'false') return false;
  return undefined;
}

/** A string where a Secret is wanted (`secret | default('placeholder')`): wrapped, as a Secret. */
export function asSecret(e: Ts, use: (from: string, name: string) => string): Ts {
  if (e.type.k === 'secret' || e.type.k === 'any') return e;
  return ts(`new ${use('helix', 'Secret')}(${asString(e).code})`, T.secret, PREC.primary, e.ctx, e.opt);
}

/** The code of `e`, parenthesised when it binds looser than `min`. */
export function wrap(e: Ts, min: number): string {
  return e.prec < min ? `(${e.code})` : e.code;
}

export function anyCtx(...parts: readonly Ts[]): boolean {
  return parts.some((p) => p.ctx);
}

/** A TypeScript single-quoted string literal. */
export function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t')}'`;
}

export function lit(value: string | number | boolean | null): Ts {
  if (typeof value === 'string') return { ...ts(quote(value), T.string), literal: value };
  if (typeof value === 'number') return ts(String(value), T.number, value < 0 ? PREC.unary : PREC.primary);
  if (typeof value === 'boolean') return ts(String(value), T.boolean);
  return ts('null', T.null);
}

/** Text for inside a template literal. */
export function templateText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

/** `e` as a string: Secrets are revealed (the value goes to a target), others converted. */
export function asString(e: Ts): Ts {
  switch (e.type.k) {
    case 'string':
      return e.opt ? ts(`${wrap(e, PREC.nullish + 0.1)} ?? ''`, T.string, PREC.nullish, e.ctx) : e;
    case 'secret':
      return ts(`${wrap(e, PREC.primary)}${e.opt ? '?' : ''}.reveal()`, T.string, PREC.primary, e.ctx, e.opt);
    default:
      return ts(`String(${e.code})`, T.string, PREC.primary, e.ctx);
  }
}

/** Interpolation inside a template literal (`${…}`): anything goes but Secrets. */
export function interpolate(e: Ts): string {
  if (e.type.k === 'secret') return `\${${asString(e).code}}`;
  return `\${${e.code}}`;
}

/**
 * `e` as a boolean with Python's truthiness: empty lists and dicts are false, which JavaScript
 * would call true, so collections are measured.
 */
export function asBool(e: Ts): Ts {
  switch (e.type.k) {
    case 'boolean':
      return e.opt ? ts(`${wrap(e, PREC.eq + 0.1)} === true`, T.boolean, PREC.eq, e.ctx) : e;
    case 'array':
      return ts(`${wrap(e, PREC.primary)}${e.opt ? '?' : ''}.length > 0`, T.boolean, PREC.rel, e.ctx);
    case 'object':
    case 'record':
      return ts(`Object.keys(${e.code}${e.opt ? ' ?? {}' : ''}).length > 0`, T.boolean, PREC.rel, e.ctx);
    default:
      return ts(`Boolean(${e.code})`, T.boolean, PREC.primary, e.ctx);
  }
}

/** `e` as a number (Ansible compares `"3" | int` with numbers freely). */
export function asNumber(e: Ts): Ts {
  if (e.type.k === 'number' && !e.opt) return e;
  if (e.type.k === 'any') return e;
  return ts(`Number(${asString(e).code})`, T.number, PREC.primary, e.ctx);
}

/** Drops the "may be undefined" mark where the value is required (Ansible would fail there too). */
export function required(e: Ts): Ts {
  if (!e.opt || e.type.k === 'any') return e.opt ? { ...e, opt: false } : e;
  return ts(`${wrap(e, PREC.primary)}!`, e.type, PREC.primary, e.ctx);
}
