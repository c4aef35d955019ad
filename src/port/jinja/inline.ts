import { T, elementOf, type PType, unify } from '../ptype.ts';
import type { Expr } from './ast.ts';
import { anyCtx, asBool, lit, PREC, required, type Ts, ts, wrap } from './code.ts';
import { JinjaSyntaxError } from './lexer.ts';
import { type Binding, type Scope, Untranslatable, withBindings } from './scope.ts';
import { parseTemplate, soleExpression, type TNode } from './template.ts';
import { concat, parseOrThrow, translate } from './translate.ts';
import { parseExpression } from './parser.ts';

/**
 * A YAML string value as a TypeScript expression: plain text stays a string literal, a lone
 * `{{ expr }}` becomes the expression (a list stays a list, as in Ansible), and mixed text
 * becomes a template literal, with `{% if %}` / `{% for %}` as conditionals and `map().join()`.
 */
export function translateString(src: string, s: Scope): Ts {
  const sole = soleExpression(src);
  if (sole !== undefined) return translate(parseOrThrow(sole, parseExpression), s);
  let nodes: TNode[];
  try {
    // In YAML values Ansible templates without trim_blocks.
    nodes = parseTemplate(src, { trimBlocks: false });
  } catch (error) {
    if (error instanceof JinjaSyntaxError) throw new Untranslatable('jinja-syntax', `${error.message} in "${src}"`);
    throw error;
  }
  return nativeIf(nodes, s) ?? nodesToTs(nodes, s);
}

const blank = (n: TNode): boolean => n.t === 'text' && !n.text.trim();

/** The one expression of a branch that holds nothing else (whitespace aside), if any. */
function soleExpr(body: readonly TNode[]): Expr | undefined {
  const rest = body.filter((n) => !blank(n));
  return rest.length === 1 && rest[0]!.t === 'expr' ? rest[0]!.expr : undefined;
}

/**
 * `{% if c %}{{ list_a }}{% else %}{{ list_b }}{% endif %}`: Ansible renders text and then
 * reads a result that looks like a list or dict back as one, so when every branch is a lone
 * expression giving a list or an object, the value is the conditional itself, not its text.
 */
function nativeIf(nodes: readonly TNode[], s: Scope): Ts | undefined {
  const rest = nodes.filter((n) => !blank(n));
  const n = rest[0];
  if (rest.length !== 1 || n?.t !== 'if' || !n.else) return undefined;
  const bodies = [...n.branches.map((b) => soleExpr(b.body)), soleExpr(n.else)];
  if (bodies.some((b) => b === undefined)) return undefined;
  const values = bodies.map((b) => translate(b!, s));
  if (!values.every((v) => v.type.k === 'array' || v.type.k === 'object' || v.type.k === 'record')) return undefined;
  let out = values.at(-1)!;
  for (let i = n.branches.length - 1; i >= 0; i--) {
    const test = asBool(translate(n.branches[i]!.test, s));
    const then = values[i]!;
    out = ts(
      `${wrap(test, PREC.cond + 1)} ? ${wrap(then, PREC.cond + 1)} : ${wrap(out, PREC.cond)}`,
      unify(then.type, out.type),
      PREC.cond,
      anyCtx(test, then, out),
    );
  }
  return out;
}

export function nodesToTs(nodes: readonly TNode[], s: Scope): Ts {
  const parts: (Ts | string)[] = [];
  let scope = s;
  for (const n of nodes) {
    switch (n.t) {
      case 'text':
        parts.push(n.text);
        break;
      case 'expr':
        parts.push(translate(n.expr, scope));
        break;
      case 'if': {
        let other: Ts = n.else ? nodesToTs(n.else, scope) : ts("''", T.string);
        for (const b of [...n.branches].reverse()) {
          const test = asBool(translate(b.test, scope));
          const body = nodesToTs(b.body, scope);
          other = ts(`${wrap(test, PREC.cond + 1)} ? ${wrap(body, PREC.cond + 1)} : ${wrap(other, PREC.cond)}`, T.string, PREC.cond, anyCtx(test, body, other));
        }
        parts.push(other);
        break;
      }
      case 'for': {
        const { fn, iter } = loopFunction(n, scope, (inner) => nodesToTs(n.body, inner));
        const joined = ts(`${wrap(iter, PREC.primary)}${fn.code}.join('')`, T.string, PREC.primary, fn.ctx || iter.ctx);
        if (n.else) {
          const other = nodesToTs(n.else, scope);
          parts.push(ts(`${wrap(iter, PREC.primary)}.length > 0 ? ${joined.code} : ${wrap(other, PREC.cond)}`, T.string, PREC.cond, joined.ctx || other.ctx));
        } else parts.push(joined);
        break;
      }
      case 'set': {
        // A `{% set %}` inside a value: later parts see the value inline.
        const value = translate(n.value, scope);
        scope = withBindings(scope, { [n.name]: { code: wrap(value, PREC.primary), type: value.type, ctx: value.ctx } });
        break;
      }
      case 'unsupported':
        throw new Untranslatable('jinja-construct', `{% ${n.tag} %} in a value`);
    }
  }
  if (parts.length === 1 && typeof parts[0] !== 'string' && parts[0]!.type.k === 'string') return parts[0]!;
  if (parts.every((p) => typeof p === 'string')) return lit(parts.join(''));
  return concat(parts);
}

/**
 * The `.filter(…).map((item, i, all) => …)` part of a `{% for %}`, with `loop.index`,
 * `loop.first`, `loop.last` … bound, and the key/value pair form for `{% for k, v in d.items() %}`.
 */
export function loopFunction(n: Extract<TNode, { t: 'for' }>, s: Scope, body: (inner: Scope) => Ts): { fn: Ts; iter: Ts } {
  // Jinja fails iterating an undefined value: required here.
  let iter = required(translate(n.iter, s));
  let el: PType = elementOf(iter.type);
  const pair = n.vars.length === 2;
  if (pair) {
    // `for k, v in d.items()` or `for k, v in d | dictsort`.
    if (iter.type.k !== 'array') iter = ts(`Object.entries(${iter.code})`, T.array(T.any), PREC.primary, iter.ctx);
    el = T.any;
  }
  const param = pair ? `[${n.vars[0]}, ${n.vars[1]}]` : n.vars[0]!;
  const bindings: Record<string, Binding> = pair
    ? { [n.vars[0]!]: { code: n.vars[0]!, type: T.any }, [n.vars[1]!]: { code: n.vars[1]!, type: T.any } }
    : { [n.vars[0]!]: { code: n.vars[0]!, type: el } };
  let usesLoop = false;
  bindings.loop = {
    code: 'loop',
    type: T.any,
    member: (name) => {
      usesLoop = true;
      switch (name) {
        case 'index':
          return { code: 'i + 1', type: T.number, prec: PREC.add, ctx: false };
        case 'index0':
          return { code: 'i', type: T.number, ctx: false };
        case 'first':
          return { code: 'i === 0', type: T.boolean, prec: PREC.eq, ctx: false };
        case 'last':
          return { code: 'i === all.length - 1', type: T.boolean, prec: PREC.eq, ctx: false };
        case 'length':
          return { code: 'all.length', type: T.number, ctx: false };
        case 'revindex':
          return { code: 'all.length - i', type: T.number, prec: PREC.add, ctx: false };
        default:
          return undefined;
      }
    },
  };
  const inner = withBindings(s, bindings);
  const b = body(inner);
  let filter = '';
  let ctx = b.ctx;
  if (n.test) {
    const t = asBool(translate(n.test, inner));
    filter = `.filter((${param}) => ${wrap(t, PREC.arrow + 1)})`;
    ctx ||= t.ctx;
  }
  const params = usesLoop ? `(${param}, i, all)` : pair ? `(${param})` : param;
  return { fn: ts(`${filter}.map(${params} => ${wrap(b, PREC.arrow + 1)})`, T.string, PREC.primary, ctx), iter };
}

/** Parses a template; syntax errors become Untranslatable. */
export function parseTemplateOrThrow(src: string, trimBlocks: boolean): TNode[] {
  try {
    return parseTemplate(src, { trimBlocks });
  } catch (error) {
    if (error instanceof JinjaSyntaxError) throw new Untranslatable('jinja-syntax', error.message);
    throw error;
  }
}

export type { Expr };
