import { T, elementOf, type PType, unify } from '../ptype.ts';
import type { Expr } from './ast.ts';
import { anyCtx, asBool, asNumber, asSecret, asString, PREC, quote, required, type Ts, ts, wrap } from './code.ts';
import { pyRegex, pyReplacement } from './regex.ts';
import { type Scope, Untranslatable } from './scope.ts';
import { translate } from './translate.ts';

type FilterExpr = Extract<Expr, { t: 'filter' }>;

interface Call {
  readonly input: Ts;
  readonly args: readonly Ts[];
  readonly kw: ReadonlyMap<string, Ts>;
  readonly raw: FilterExpr;
  readonly scope: Scope;
}

type Filter = (c: Call) => Ts;

const str = (e: Ts): string => wrap(asString(e), PREC.primary);
const arr = (e: Ts): string => (e.type.k === 'array' || e.type.k === 'any' ? wrap(e, PREC.primary) : `(${e.code} as unknown[])`);
/** The parameter of a callback over the items: typed `any` when the items' type is unknown. */
const xOf = (e: Ts): string => (e.type.k === 'array' && e.type.of.k !== 'any' ? '(x)' : '(x: any)');
const ctxOf = (c: Call): boolean => anyCtx(c.input, ...c.args, ...c.kw.values());

function arg(c: Call, i: number, kw: string): Ts | undefined {
  return c.args[i] ?? c.kw.get(kw);
}

function staticString(c: Call, i: number, what: string): string {
  const a = c.raw.args[i];
  if (a?.t !== 'lit' || typeof a.value !== 'string') {
    throw new Untranslatable('jinja-filter', `${c.raw.name}: the ${what} must be a literal string`);
  }
  return a.value;
}

/** What a set filter (`intersect`, `difference`) gives: a list, whatever its input was typed as. */
const setType = (e: Ts): PType => (e.type.k === 'array' ? e.type : T.array(T.any));

const FILTERS: Record<string, Filter> = {
  default: (c) => {
    const d = arg(c, 0, 'default_value');
    const onFalsy = arg(c, 1, 'boolean');
    if (c.raw.input.t === 'name') {
      c.scope.note(c.raw.input.name, 'optional');
      const lit = c.raw.args[0];
      if (lit?.t === 'lit' && typeof lit.value === 'boolean') c.scope.note(c.raw.input.name, 'bool');
      if (lit?.t === 'lit' && typeof lit.value === 'number') c.scope.note(c.raw.input.name, 'number');
      if (lit?.t === 'list') c.scope.note(c.raw.input.name, 'array');
    }
    if (!d) return { ...c.input, opt: true };
    // A literal is never undefined: its default is never used (and tsc refuses it).
    if (!c.input.opt && /^(?:\d+|'(?:[^'\\]|\\.)*'|true|false|\(?`[^`]*`\)?|\(\S+ \? \[\S+\] : \[\]\))$/.test(c.input.code)) return c.input;
    const raw = c.raw.input;
    if (!c.input.opt && ((raw.t === 'lit' && raw.value !== null && raw.value !== undefined) || raw.t === 'list' || raw.t === 'dict')) return c.input;
    // `x ?? ''` already has a literal fallback: a second default is never reached (and tsc refuses it).
    if (c.input.prec === PREC.nullish && !c.input.opt && /\?\? (?:'(?:[^'\\]|\\.)*'|\d+|true|false)$/.test(c.input.code)) return c.input;
    const truthy = onFalsy?.code === 'true';
    const type = c.input.type.k === 'any' ? d.type : unify(c.input.type, d.type);
    // A Secret with a text fallback stays a Secret: the fallback is wrapped, not the value revealed.
    const input = type.k === 'secret' ? asSecret(c.input, (f, n) => c.scope.use(f, n)) : c.input;
    const fallback = type.k === 'secret' ? asSecret(d, (f, n) => c.scope.use(f, n)) : d;
    if (truthy) return ts(`${wrap(input, PREC.or)} || ${wrap(fallback, PREC.or + 0.1)}`, type, PREC.or, ctxOf(c));
    return ts(`${wrap(input, PREC.nullish + 0.6)} ?? ${wrap(fallback, PREC.nullish + 0.6)}`, type, PREC.nullish, ctxOf(c));
  },
  mandatory: (c) => c.input,
  b64encode: (c) => ts(`Buffer.from(${asString(c.input).code}).toString('base64')`, T.string, PREC.primary, ctxOf(c)),
  b64decode: (c) => ts(`Buffer.from(${asString(c.input).code}, 'base64').toString('utf8')`, T.string, PREC.primary, ctxOf(c)),
  to_json: (c) => ts(`JSON.stringify(${c.input.code})`, T.string, PREC.primary, ctxOf(c)),
  to_nice_json: (c) => {
    const indent = arg(c, 0, 'indent')?.code ?? '4';
    return ts(`JSON.stringify(${c.input.code}, null, ${indent})`, T.string, PREC.primary, ctxOf(c));
  },
  from_json: (c) => ts(`JSON.parse(${asString(c.input).code})`, T.any, PREC.primary, ctxOf(c)),
  to_yaml: (c) => ts(`${c.scope.use('yaml', 'stringify')}(${c.input.code})`, T.string, PREC.primary, ctxOf(c)),
  to_nice_yaml: (c) => {
    const indent = arg(c, 0, 'indent');
    const opts = indent ? `, { indent: ${indent.code} }` : '';
    return ts(`${c.scope.use('yaml', 'stringify')}(${c.input.code}${opts ? `, null${opts}` : ''})`, T.string, PREC.primary, ctxOf(c));
  },
  from_yaml: (c) => ts(`${c.scope.use('yaml', 'parse')}(${asString(c.input).code})`, T.any, PREC.primary, ctxOf(c)),
  length: (c) => {
    // Ansible fails on the length of an undefined value: required here (`!`), which also
    // lets `x is defined and x | length > 0` typecheck where x is read twice.
    if (c.input.opt) c = { ...c, input: required(c.input) };
    const t = c.input.type.k;
    if (t === 'object' || t === 'record') return ts(`Object.keys(${c.input.code}).length`, T.number, PREC.primary, ctxOf(c));
    const base = t === 'secret' ? str(c.input) : wrap(c.input, PREC.primary);
    return ts(`${base}.length`, T.number, PREC.primary, ctxOf(c));
  },
  first: (c) => ts(`${arr(c.input)}[0]`, elementOf(c.input.type), PREC.primary, ctxOf(c), c.input.type.k === 'array'),
  last: (c) => ts(`${arr(c.input)}.at(-1)`, elementOf(c.input.type), PREC.primary, ctxOf(c), c.input.type.k === 'array'),
  join: (c) => {
    const sep = arg(c, 0, 'd');
    return ts(`${arr(c.input)}.join(${sep ? asString(sep).code : "''"})`, T.string, PREC.primary, ctxOf(c));
  },
  lower: (c) => ts(`${str(c.input)}.toLowerCase()`, T.string, PREC.primary, ctxOf(c)),
  upper: (c) => ts(`${str(c.input)}.toUpperCase()`, T.string, PREC.primary, ctxOf(c)),
  capitalize: (c) => {
    const s = str(c.input);
    return ts(`${s}.charAt(0).toUpperCase() + ${s}.slice(1).toLowerCase()`, T.string, PREC.add, ctxOf(c));
  },
  trim: (c) => ts(`${str(c.input)}.trim()`, T.string, PREC.primary, ctxOf(c)),
  replace: (c) => {
    const [from, to] = c.args;
    if (!from || !to) throw new Untranslatable('jinja-filter', 'replace needs two arguments');
    return ts(`${str(c.input)}.replaceAll(${asString(from).code}, ${asString(to).code})`, T.string, PREC.primary, ctxOf(c));
  },
  regex_replace: (c) => {
    const re = pyRegex(staticString(c, 0, 'pattern'), 'g', flagsOf(c));
    const rep = c.raw.args[1];
    const replacement =
      rep === undefined ? "''" : rep.t === 'lit' && typeof rep.value === 'string' ? quote(pyReplacement(rep.value)) : asString(translate(rep, c.scope)).code;
    return ts(`${str(c.input)}.replace(${re}, ${replacement})`, T.string, PREC.primary, ctxOf(c));
  },
  regex_search: (c) => {
    const re = pyRegex(staticString(c, 0, 'pattern'), '', flagsOf(c));
    const groups = c.raw.args.slice(1);
    if (groups.length === 0) return ts(`${str(c.input)}.match(${re})?.[0]`, T.string, PREC.primary, ctxOf(c), true);
    // regex_search(re, '\\1', '\\2') returns the listed groups.
    const idx = groups.map((g) => {
      if (g.t !== 'lit' || typeof g.value !== 'string') throw new Untranslatable('jinja-filter', 'regex_search: group arguments must be literals');
      const m = /^\\(\d+)$/.exec(g.value) ?? /^\\g<(\w+)>$/.exec(g.value);
      if (!m) throw new Untranslatable('jinja-filter', `regex_search: group ${g.value}`);
      return /^\d+$/.test(m[1]!) ? m[1]! : quote(m[1]!);
    });
    const m = `${str(c.input)}.match(${re})`;
    return ts(
      `((m) => (m ? [${idx.map((i) => (/^\d+$/.test(i) ? `m[${i}]` : `m.groups?.[${i}]`)).join(', ')}] : undefined))(${m})`,
      T.array(T.string),
      PREC.primary,
      ctxOf(c),
      true,
    );
  },
  regex_findall: (c) => {
    const re = pyRegex(staticString(c, 0, 'pattern'), 'g', flagsOf(c));
    return ts(`[...${str(c.input)}.matchAll(${re})].map((m) => m[0])`, T.array(T.string), PREC.primary, ctxOf(c));
  },
  bool: (c) => {
    if (c.input.type.k === 'boolean') return c.input;
    if (c.raw.input.t === 'name') c.scope.note(c.raw.input.name, 'bool');
    return ts(`['true', 'yes', 'on', '1'].includes(${str(c.input)}.toLowerCase())`, T.boolean, PREC.primary, ctxOf(c));
  },
  int: (c) => {
    if (c.input.type.k === 'number') return ts(`Math.trunc(${c.input.code})`, T.number, PREC.primary, ctxOf(c));
    const d = arg(c, 0, 'default');
    const parsed = `Number.parseInt(${asString(c.input).code}, 10)`;
    if (!d || d.code === '0') return ts(`(${parsed} || 0)`, T.number, PREC.primary, ctxOf(c));
    return ts(`(${parsed} || ${d.code})`, T.number, PREC.primary, ctxOf(c));
  },
  float: (c) => ts(`Number(${c.input.code})`, T.number, PREC.primary, ctxOf(c)),
  string: (c) => asString(c.input),
  list: (c) => (c.input.type.k === 'array' ? c.input : ts(`[...${wrap(c.input, PREC.primary)}]`, T.array(elementOf(c.input.type)), PREC.primary, ctxOf(c))),
  abs: (c) => ts(`Math.abs(${asNumber(c.input).code})`, T.number, PREC.primary, ctxOf(c)),
  round: (c) => {
    const p = arg(c, 0, 'precision');
    if (!p || p.code === '0') return ts(`Math.round(${asNumber(c.input).code})`, T.number, PREC.primary, ctxOf(c));
    return ts(`Number(${wrap(asNumber(c.input), PREC.primary)}.toFixed(${p.code}))`, T.number, PREC.primary, ctxOf(c));
  },
  combine: (c) => {
    const recursive = c.kw.get('recursive');
    if (recursive && recursive.code !== 'false') throw new Untranslatable('jinja-filter', 'combine(recursive=true): write the deep merge explicitly');
    if (c.kw.has('list_merge')) throw new Untranslatable('jinja-filter', 'combine(list_merge=…)');
    const parts = [c.input, ...c.args];
    const type = parts.every((p) => p.type.k === 'object') ? parts.map((p) => p.type).reduce(unify) : T.any;
    return ts(`{ ${parts.map((p) => `...${wrap(p, PREC.unary)}`).join(', ')} }`, type, PREC.primary, ctxOf(c));
  },
  dict2items: (c) => {
    const k = arg(c, 0, 'key_name');
    const v = arg(c, 1, 'value_name');
    const kn = k?.literal ?? 'key';
    const vn = v?.literal ?? 'value';
    const valueT =
      c.input.type.k === 'record' ? c.input.type.of : c.input.type.k === 'object' ? Object.values(c.input.type.fields).reduce(unify, T.null as PType) : T.any;
    const pair = kn === 'key' && vn === 'value' ? '({ key, value })' : `({ ${kn}: key, ${vn}: value })`;
    return ts(
      `Object.entries(${c.input.code}).map(([key, value]) => ${pair})`,
      T.array(T.object({ [kn]: T.string, [vn]: valueT.k === 'null' ? T.any : valueT })),
      PREC.primary,
      ctxOf(c),
    );
  },
  items2dict: (c) => {
    const kn = arg(c, 0, 'key_name')?.literal ?? 'key';
    const vn = arg(c, 1, 'value_name')?.literal ?? 'value';
    return ts(`Object.fromEntries(${arr(c.input)}.map((i) => [i.${kn}, i.${vn}]))`, T.record(T.any), PREC.primary, ctxOf(c));
  },
  unique: (c) => ts(`[...new Set(${c.input.code})]`, c.input.type, PREC.primary, ctxOf(c)),
  // Ansible's set filters keep the first list's order, without duplicates.
  intersect: (c) => {
    const b = arg(c, 0, 'b');
    if (!b) throw new Untranslatable('jinja-filter', 'intersect needs a list');
    return ts(`[...new Set(${arr(c.input)}.filter(${xOf(c.input)} => ${arr(b)}.includes(x)))]`, setType(c.input), PREC.primary, ctxOf(c));
  },
  difference: (c) => {
    const b = arg(c, 0, 'b');
    if (!b) throw new Untranslatable('jinja-filter', 'difference needs a list');
    return ts(`[...new Set(${arr(c.input)}.filter(${xOf(c.input)} => !${arr(b)}.includes(x)))]`, setType(c.input), PREC.primary, ctxOf(c));
  },
  // `a | product(b)`: every pair, as Python's itertools.product (two lists only).
  product: (c) => {
    const b = arg(c, 0, 'b');
    if (!b || c.args.length !== 1) throw new Untranslatable('jinja-filter', 'product of other than two lists');
    const of = (e: Ts): PType => (e.type.k === 'array' ? e.type.of : T.any);
    return ts(
      `${arr(c.input)}.flatMap(${xOf(c.input)} => ${arr(b)}.map((y) => [x, y] as const))`,
      T.array(T.array(unify(of(c.input), of(b)))),
      PREC.primary,
      ctxOf(c),
    );
  },
  sort: (c) => {
    if (c.kw.has('attribute')) {
      const a = c.kw.get('attribute')!.literal;
      if (!a) throw new Untranslatable('jinja-filter', 'sort(attribute=…) must name a literal attribute');
      return ts(`[...${arr(c.input)}].sort((a, b) => String(a.${a}).localeCompare(String(b.${a})))`, c.input.type, PREC.primary, ctxOf(c));
    }
    const reverse = arg(c, 0, 'reverse')?.code === 'true';
    return ts(`[...${arr(c.input)}].sort()${reverse ? '.reverse()' : ''}`, c.input.type, PREC.primary, ctxOf(c));
  },
  reverse: (c) => ts(`[...${arr(c.input)}].reverse()`, c.input.type, PREC.primary, ctxOf(c)),
  flatten: (c) => ts(`${arr(c.input)}.flat(${arg(c, 0, 'levels')?.code ?? 'Infinity'})`, T.array(T.any), PREC.primary, ctxOf(c)),
  min: (c) => ts(`Math.min(...${arr(c.input)})`, T.number, PREC.primary, ctxOf(c)),
  max: (c) => ts(`Math.max(...${arr(c.input)})`, T.number, PREC.primary, ctxOf(c)),
  sum: (c) => ts(`${arr(c.input)}.reduce((a, b) => a + b, ${arg(c, 0, 'start')?.code ?? '0'})`, T.number, PREC.primary, ctxOf(c)),
  map: (c) => {
    const attribute = c.kw.get('attribute');
    if (attribute?.literal !== undefined) {
      const path = attribute.literal
        .split('.')
        .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
        .join('');
      const el = elementOf(c.input.type);
      const type = el.k === 'object' && !attribute.literal.includes('.') ? (el.fields[attribute.literal] ?? T.any) : T.any;
      return ts(`${arr(c.input)}.map(${xOf(c.input)} => x${path})`, T.array(type), PREC.primary, ctxOf(c));
    }
    const name = c.raw.args[0];
    if (name?.t === 'lit' && typeof name.value === 'string') {
      const inner: FilterExpr = { t: 'filter', name: name.value, input: { t: 'name', name: '__x' }, args: c.raw.args.slice(1), kwargs: [] };
      const scope: Scope = {
        ...c.scope,
        lookup: (n) => (n === '__x' ? { code: 'x', type: elementOf(c.input.type) } : c.scope.lookup(n)),
        note: c.scope.note,
        envLookup: c.scope.envLookup,
        fileLookup: c.scope.fileLookup,
        use: c.scope.use,
      };
      const body = applyFilter(inner, scope);
      return ts(`${arr(c.input)}.map(${xOf(c.input)} => ${wrap(body, PREC.arrow + 1)})`, T.array(body.type), PREC.primary, ctxOf(c) || body.ctx);
    }
    throw new Untranslatable('jinja-filter', 'map() without attribute= or a filter name');
  },
  selectattr: (c) => selectAttr(c, false),
  rejectattr: (c) => selectAttr(c, true),
  select: (c) => selectItems(c, false),
  reject: (c) => selectItems(c, true),
  ternary: (c) => {
    const [a, b] = c.args;
    if (!a || !b) throw new Untranslatable('jinja-filter', 'ternary needs two arguments');
    return ts(`${wrap(asBool(c.input), PREC.cond + 1)} ? ${wrap(a, PREC.cond + 1)} : ${wrap(b, PREC.cond)}`, unify(a.type, b.type), PREC.cond, ctxOf(c));
  },
  basename: (c) => ts(`${c.scope.use('node:path', 'basename')}(${asString(c.input).code})`, T.string, PREC.primary, ctxOf(c)),
  dirname: (c) => ts(`${c.scope.use('node:path', 'dirname')}(${asString(c.input).code})`, T.string, PREC.primary, ctxOf(c)),
  indent: (c) => {
    const width = arg(c, 0, 'width')?.code ?? '4';
    const first = arg(c, 1, 'first')?.code === 'true';
    const body = `${str(c.input)}.replaceAll('\\n', \`\\n\${' '.repeat(${width})}\`)`;
    return first ? ts(`' '.repeat(${width}) + ${body}`, T.string, PREC.add, ctxOf(c)) : ts(body, T.string, PREC.primary, ctxOf(c));
  },
  split: (c) => ts(`${str(c.input)}.split(${arg(c, 0, 'sep') ? asString(arg(c, 0, 'sep')!).code : '/\\s+/'})`, T.array(T.string), PREC.primary, ctxOf(c)),
  urlencode: (c) => ts(`encodeURIComponent(${asString(c.input).code})`, T.string, PREC.primary, ctxOf(c)),
  quote: () => {
    throw new Untranslatable('jinja-filter', 'quote: shell quoting; commands become argument arrays instead');
  },
  hash: (c) => {
    const algo = c.raw.args[0]?.t === 'lit' ? String((c.raw.args[0] as { value: unknown }).value) : 'sha1';
    if (!['sha1', 'sha256', 'sha512', 'md5'].includes(algo)) throw new Untranslatable('jinja-filter', `hash('${algo}')`);
    const h = c.scope.use('node:crypto', 'createHash');
    return ts(`${h}('${algo}').update(${asString(c.input).code}).digest('hex')`, T.string, PREC.primary, ctxOf(c));
  },
};

const ALIASES: Record<string, string> = { d: 'default', count: 'length', e: 'escape' };

function flagsOf(c: Call): string {
  const ic = c.kw.get('ignorecase');
  const ml = c.kw.get('multiline');
  return `${ic?.code === 'true' ? 'i' : ''}${ml?.code === 'true' ? 'm' : ''}`;
}

const TEST_OPS: Record<string, string> = {
  equalto: '===',
  '==': '===',
  eq: '===',
  ne: '!==',
  '!=': '!==',
  gt: '>',
  ge: '>=',
  lt: '<',
  le: '<=',
  '>': '>',
  '<': '<',
  '>=': '>=',
  '<=': '<=',
};

function predicate(test: string | undefined, value: string, operand: Ts | undefined): string {
  if (!test || test === 'truthy') return `Boolean(${value})`;
  if (test === 'defined') return `${value} !== undefined`;
  if (test === 'undefined') return `${value} === undefined`;
  if (test === 'none') return `${value} === null`;
  if (test === 'falsy') return `!${value}`;
  const op = TEST_OPS[test];
  if (op && operand) return `${value} ${op} ${wrap(operand, PREC.eq + 0.1)}`;
  if ((test === 'in' || test === 'contains') && operand) {
    return test === 'in' ? `${wrap(operand, PREC.primary)}.includes(${value})` : `${value}.includes(${operand.code})`;
  }
  if ((test === 'match' || test === 'search') && operand?.literal !== undefined) {
    return `${pyRegex(test === 'match' ? `^(?:${operand.literal})` : operand.literal, '', '')}.test(String(${value}))`;
  }
  throw new Untranslatable('jinja-test', `select/reject with test "${test}"`);
}

function selectAttr(c: Call, negate: boolean): Ts {
  const a = c.raw.args[0];
  if (a?.t !== 'lit' || typeof a.value !== 'string') throw new Untranslatable('jinja-filter', `${c.raw.name}: the attribute must be a literal`);
  const test = c.raw.args[1]?.t === 'lit' ? String((c.raw.args[1] as { value: unknown }).value) : undefined;
  const p = predicate(test, `x.${a.value}`, c.args[2]);
  return ts(`${arr(c.input)}.filter(${xOf(c.input)} => ${negate ? `!(${p})` : p})`, c.input.type, PREC.primary, ctxOf(c));
}

function selectItems(c: Call, negate: boolean): Ts {
  const test = c.raw.args[0]?.t === 'lit' ? String((c.raw.args[0] as { value: unknown }).value) : undefined;
  const p = predicate(test, 'x', c.args[1]);
  return ts(`${arr(c.input)}.filter(${xOf(c.input)} => ${negate ? `!(${p})` : p})`, c.input.type, PREC.primary, ctxOf(c));
}

/** Applies a Jinja2 / Ansible filter; unknown filters make the whole task a TODO. */
const ARRAY_INPUT = new Set([
  'join',
  'first',
  'last',
  'map',
  'selectattr',
  'rejectattr',
  'select',
  'reject',
  'unique',
  'sort',
  'flatten',
  'min',
  'max',
  'sum',
  'items2dict',
]);
const OBJECT_INPUT = new Set(['dict2items', 'combine']);

export function applyFilter(e: FilterExpr, s: Scope): Ts {
  const short = e.name.replace(/^(ansible\.builtin|ansible\.utils|community\.general)\./, '');
  // What a filter needs tells the type of a variable nothing defines.
  if (e.input.t === 'name' && ARRAY_INPUT.has(short)) s.note(e.input.name, 'array');
  if (e.input.t === 'name' && OBJECT_INPUT.has(short)) s.note(e.input.name, 'object');
  const f = FILTERS[ALIASES[short] ?? short];
  if (!f) throw new Untranslatable('jinja-filter', `filter "${e.name}" has no translation`);
  // `x | default(omit)`: the option is left out when x is undefined, which an optional field does.
  if (short === 'default' && e.args[0]?.t === 'name' && e.args[0].name === 'omit') {
    if (e.input.t === 'name') s.note(e.input.name, 'optional');
    return { ...translate(e.input, s), opt: true };
  }
  const read = translate(e.input, s);
  // A list or dict filter on a value that may be undefined fails in Ansible: required here.
  const input = read.opt && (ARRAY_INPUT.has(short) || OBJECT_INPUT.has(short)) ? required(read) : read;
  const args = e.args.map((a) => translate(a, s));
  const kw = new Map(e.kwargs.map((k) => [k.name, translate(k.value, s)] as const));
  return f({ input, args, kw, raw: e, scope: s });
}

export const FILTER_NAMES: readonly string[] = Object.keys(FILTERS);
