import { T, elementOf, type PType, tsType, unify } from '../ptype.ts';
import type { Expr } from './ast.ts';
import { anyCtx, asBool, asSecret, asNumber, asString, interpolate, knownBool, lit, PREC, quote, required, templateText, type Ts, ts, wrap } from './code.ts';
import { applyFilter } from './filters.ts';
import { JinjaSyntaxError } from './lexer.ts';
import { parseCondition, parseExpression } from './parser.ts';
import { type Binding, bindingTs, type Scope, Untranslatable } from './scope.ts';
import { applyTest } from './tests.ts';

/** Translates one Jinja2 expression tree to a TypeScript expression. */
export function translate(e: Expr, s: Scope): Ts {
  switch (e.t) {
    case 'lit':
      return lit(e.value);
    case 'name':
      return name(e.name, s);
    case 'list':
    case 'tuple': {
      const items = e.items.map((i) => translate(i, s));
      const of = items.length ? items.map((i) => i.type).reduce(unify) : T.any;
      return ts(`[${items.map((i) => i.code).join(', ')}]`, T.array(of), PREC.primary, anyCtx(...items));
    }
    case 'dict': {
      const fields: Record<string, PType> = {};
      const parts: string[] = [];
      let ctx = false;
      for (const [k, v] of e.entries) {
        const value = translate(v, s);
        ctx ||= value.ctx;
        if (k.t === 'lit' && typeof k.value === 'string') {
          fields[k.value] = value.type;
          parts.push(`${/^[A-Za-z_$][\w$]*$/.test(k.value) ? k.value : quote(k.value)}: ${value.code}`);
        } else {
          const key = translate(k, s);
          ctx ||= key.ctx;
          parts.push(`[${asString(key).code}]`.concat(`: ${value.code}`));
        }
      }
      const type = parts.length === Object.keys(fields).length ? T.object(fields) : T.any;
      return ts(parts.length ? `{ ${parts.join(', ')} }` : '{}', type, PREC.primary, ctx);
    }
    case 'attr':
      return attribute(translate(e.obj, s), e.name);
    case 'index': {
      const obj = translate(e.obj, s);
      if (e.index.t === 'lit' && typeof e.index.value === 'string') return attribute(obj, e.index.value);
      if (obj.member && e.index.t === 'lit' && typeof e.index.value === 'number') return attribute(obj, String(e.index.value));
      const index = translate(e.index, s);
      return indexed(obj, index);
    }
    case 'slice': {
      const obj = translate(e.obj, s);
      const start = e.start ? translate(e.start, s).code : '0';
      const args = e.stop ? `${start}, ${translate(e.stop, s).code}` : start;
      return ts(`${wrap(obj, PREC.primary)}.slice(${args})`, obj.type, PREC.primary, obj.ctx);
    }
    case 'call':
      return call(e, s);
    case 'filter':
      return applyFilter(e, s);
    case 'test':
      return applyTest(e, s);
    case 'unary': {
      const operand = translate(e.operand, s);
      if (e.op === 'not') {
        const b = asBool(operand);
        const known = knownBool(b);
        if (known !== undefined) return lit(!known);
        return ts(`!${wrap(b, PREC.unary)}`, T.boolean, PREC.unary, b.ctx);
      }
      const n = asNumber(operand);
      return ts(`${e.op}${wrap(n, PREC.unary)}`, T.number, PREC.unary, n.ctx);
    }
    case 'binary':
      return binary(e.op, e.left, e.right, s);
    case 'cond': {
      const test = asBool(translate(e.test, s));
      // A test known while porting picks its branch; the other is never evaluated, as in Jinja.
      const known = knownBool(test);
      if (known === true) return translate(e.then, s);
      if (known === false) return e.else ? translate(e.else, s) : ts("''", T.string);
      let then = translate(e.then, s);
      let other = e.else ? translate(e.else, s) : ts("''", T.string);
      // One branch a Secret, the other text: both Secrets, so the value is one type.
      if ((then.type.k === 'secret') !== (other.type.k === 'secret') && then.type.k !== 'any' && other.type.k !== 'any') {
        const use = (f: string, n: string): string => s.use(f, n);
        then = asSecret(then, use);
        other = asSecret(other, use);
      }
      return ts(
        `${wrap(test, PREC.cond + 1)} ? ${wrap(then, PREC.cond + 1)} : ${wrap(other, PREC.cond)}`,
        unify(then.type, other.type),
        PREC.cond,
        anyCtx(test, then, other),
      );
    }
  }
}

/**
 * `ansible_date_time`: the time facts were gathered (the play's start), read when the
 * playbook is built at the start of the run. Ansible's `iso8601` is UTC without fractions,
 * `epoch` a string of seconds; `date`/`time` are the machine's local time.
 */
const DATE_TIME_FIELDS: Record<string, string> = {
  epoch: 'String(Math.floor(Date.now() / 1000))',
  iso8601: "new Date().toISOString().replace(/\\.\\d+Z$/, 'Z')",
  iso8601_micro: "new Date().toISOString().replace(/Z$/, '000Z')",
  iso8601_basic_short: "new Date().toISOString().replace(/[-:]|\\.\\d+Z$/g, '').slice(0, 15)",
  date: "new Date().toLocaleDateString('sv-SE')",
  time: "new Date().toLocaleTimeString('sv-SE')",
  year: 'String(new Date().getFullYear())',
};
const DATE_TIME: Binding = {
  code: 'new Date()',
  type: T.any,
  member: (f) => {
    const code = DATE_TIME_FIELDS[f];
    return code === undefined ? undefined : { code, type: T.string, prec: PREC.primary };
  },
};

function name(n: string, s: Scope): Ts {
  // Ansible's table of every variable, read by a computed name (`vars[item]`): no helix
  // equivalent (variables are typed and explicit); not a variable called `vars`.
  if (n === 'vars' && !s.peek?.(n))
    throw new Untranslatable('jinja-construct', "vars[…]: Ansible's table of all variables read by a computed name; read the variables by name");
  const b = s.lookup(n);
  if (b) return bindingTs(b, n);
  // A helix check plans the same tasks as a run and stops before applying (decision 003),
  // so the generated code reads it as a run does: false (decision 042).
  if (n === 'ansible_check_mode') return ts('false', T.boolean, PREC.primary);
  if (n === 'hostvars') throw new Untranslatable('hostvars', "hostvars: another host's variables have no helix equivalent; pass the value explicitly");
  if (n === 'ansible_date_time') return bindingTs(DATE_TIME, n);
  if (n === 'ansible_facts' || /^ansible_/.test(n)) throw new Untranslatable('gathered-facts', `${n}: gathered facts; read them with a fact task instead`);
  if (n === 'omit') throw new Untranslatable('jinja-construct', 'omit outside of `default(omit)`');
  throw new Untranslatable('jinja-construct', `${n} has no binding`);
}

/** `a.b`: a registered result's own mapping, an object's field, or a loosely typed member. */
function attribute(obj: Ts, field: string): Ts {
  if (obj.member) {
    const m = obj.member(field);
    if (!m) throw new Untranslatable('register-attribute', `${obj.label ?? 'result'}.${field}: no equivalent in the helix task's result`);
    return m;
  }
  const access = /^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `[${quote(field)}]`;
  const q = obj.opt ? '?' : '';
  switch (obj.type.k) {
    case 'object': {
      const f = obj.type.fields[field];
      // A field none of the known values has (`item.namespace | default(ns)` over a list
      // without it): undefined in Jinja; read loosely, as the object's type does not name it.
      if (!f)
        return ts(`(${wrap(obj, PREC.primary)} as { ${access.startsWith('.') ? field : quote(field)}?: any })${q}${access}`, T.any, PREC.primary, obj.ctx);
      return ts(`${wrap(obj, PREC.primary)}${q}${access}`, f, PREC.primary, obj.ctx, obj.opt);
    }
    case 'record':
      return ts(`${wrap(obj, PREC.primary)}${q}[${quote(field)}]`, obj.type.of, PREC.primary, obj.ctx, true);
    case 'any':
      return ts(`${wrap(obj, PREC.primary)}${q}${access}`, T.any, PREC.primary, obj.ctx);
    default:
      throw new Untranslatable('jinja-construct', `.${field} on a ${obj.type.k}`);
  }
}

function indexed(obj: Ts, index: Ts): Ts {
  const q = obj.opt ? '?.' : '';
  if (index.type.k === 'number' && /^-\d+$/.test(index.code)) {
    return ts(`${wrap(obj, PREC.primary)}${q ? '?' : ''}.at(${index.code})`, elementOf(obj.type), PREC.primary, obj.ctx, obj.type.k !== 'any');
  }
  if (obj.type.k === 'object') {
    // A dict indexed by a variable (`tier_limits[tier]`): its values, one type for all keys.
    const of = Object.values(obj.type.fields).reduce(unify, T.null as PType);
    const rec = `(${obj.code} as Record<string, ${tsType(of)}>)`;
    return ts(`${rec}${q}[${asString(index).code}]`, of, PREC.primary, obj.ctx || index.ctx, of.k !== 'any');
  }
  const type = obj.type.k === 'array' ? obj.type.of : obj.type.k === 'record' ? obj.type.of : T.any;
  return ts(`${wrap(obj, PREC.primary)}${q}[${index.code}]`, type, PREC.primary, obj.ctx || index.ctx, type.k !== 'any');
}

function call(e: Extract<Expr, { t: 'call' }>, s: Scope): Ts {
  if (e.callee.t === 'name') {
    const fn = e.callee.name;
    const args = e.args;
    if (fn === 'lookup' || fn === 'query' || fn === 'q') {
      const kind = args[0];
      if (kind?.t !== 'lit' || typeof kind.value !== 'string') throw new Untranslatable('jinja-lookup', `${fn}() with a computed plugin name`);
      if (kind.value === 'env' || kind.value === 'ansible.builtin.env') {
        const v = args[1];
        if (args.length !== 2 || v?.t !== 'lit' || typeof v.value !== 'string') {
          throw new Untranslatable('jinja-lookup', "lookup('env', …) with a computed or several names");
        }
        return s.envLookup(v.value);
      }
      if (kind.value === 'file' || kind.value === 'ansible.builtin.file') {
        const p = args[1];
        if (args.length !== 2 || !p) throw new Untranslatable('jinja-lookup', "lookup('file', …) with several files");
        return s.fileLookup(translate(p, s));
      }
      throw new Untranslatable('jinja-lookup', `lookup('${kind.value}', …) has no translation`);
    }
    if (fn === 'range') {
      const a = args.map((x) => asNumber(translate(x, s)));
      if (a.length === 1) return ts(`Array.from({ length: ${a[0]!.code} }, (_, i) => i)`, T.array(T.number), PREC.primary, anyCtx(...a));
      if (a.length === 2) {
        return ts(
          `Array.from({ length: ${wrap(a[1]!, PREC.add + 1)} - ${wrap(a[0]!, PREC.add + 1)} }, (_, i) => i + ${wrap(a[0]!, PREC.add + 1)})`,
          T.array(T.number),
          PREC.primary,
          anyCtx(...a),
        );
      }
    }
    if (fn === 'dict' && args.length === 0) {
      return translate({ t: 'dict', entries: e.kwargs.map((k) => [{ t: 'lit', value: k.name }, k.value] as const) }, s);
    }
    throw new Untranslatable('jinja-construct', `${fn}() has no translation`);
  }
  if (e.callee.t === 'attr') {
    const obj = translate(e.callee.obj, s);
    const args = e.args.map((a) => translate(a, s));
    const ctx = anyCtx(obj, ...args);
    const o = wrap(obj, PREC.primary);
    const str = wrap(asString(obj), PREC.primary);
    switch (e.callee.name) {
      case 'split':
        return ts(`${str}.split(${args[0] ? asString(args[0]).code : '/\\s+/'})`, T.array(T.string), PREC.primary, ctx);
      case 'startswith':
        return ts(`${str}.startsWith(${args.map((a) => a.code).join(', ')})`, T.boolean, PREC.primary, ctx);
      case 'endswith':
        return ts(`${str}.endsWith(${args.map((a) => a.code).join(', ')})`, T.boolean, PREC.primary, ctx);
      case 'strip':
        return ts(`${str}.trim()`, T.string, PREC.primary, ctx);
      case 'lower':
        return ts(`${str}.toLowerCase()`, T.string, PREC.primary, ctx);
      case 'upper':
        return ts(`${str}.toUpperCase()`, T.string, PREC.primary, ctx);
      case 'replace':
        return ts(`${str}.replaceAll(${args.map((a) => asString(a).code).join(', ')})`, T.string, PREC.primary, ctx);
      case 'keys':
        return ts(`Object.keys(${obj.code})`, T.array(T.string), PREC.primary, ctx);
      case 'values':
        return ts(`Object.values(${obj.code})`, T.array(valueType(obj.type)), PREC.primary, ctx);
      case 'items':
        return ts(`Object.entries(${obj.code})`, T.array(T.any), PREC.primary, ctx);
      case 'get': {
        const [k, d] = args;
        if (!k) break;
        const got = ts(`${o}[${asString(k).code}]`, T.any, PREC.primary, ctx);
        return d ? ts(`${got.code} ?? ${wrap(d, PREC.nullish + 0.1)}`, T.any, PREC.nullish, ctx) : got;
      }
    }
    throw new Untranslatable('jinja-construct', `.${e.callee.name}() has no translation`);
  }
  throw new Untranslatable('jinja-construct', 'call of a computed function');
}

function valueType(t: PType): PType {
  if (t.k === 'record') return t.of;
  if (t.k === 'object') {
    const vs = Object.values(t.fields);
    return vs.length ? vs.reduce(unify) : T.any;
  }
  return T.any;
}

const COMPARE: Record<string, string> = { '==': '===', '!=': '!==', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };

function binary(op: string, l: Expr, r: Expr, s: Scope): Ts {
  if (op === 'and' || op === 'or') {
    const a = translate(l, s);
    // A left side known while porting decides, or leaves the right side alone, as Jinja's
    // short circuit does (`not ansible_check_mode and x` is x, decision 042).
    const left = knownBool(a);
    if (left !== undefined) {
      if (op === 'and') return left ? asBool(translate(r, s)) : a;
      return left ? a : translate(r, s);
    }
    const b = translate(r, s);
    const both = a.type.k === 'boolean' && b.type.k === 'boolean';
    if (op === 'and' || both) {
      const x = asBool(a);
      const y = asBool(b);
      const right = knownBool(y);
      if (right !== undefined) return op === 'and' ? (right ? x : y) : right ? y : x;
      const p = op === 'and' ? PREC.and : PREC.or;
      return ts(`${wrap(x, p)} ${op === 'and' ? '&&' : '||'} ${wrap(y, p + 0.1)}`, T.boolean, p, anyCtx(x, y));
    }
    // `a or 'fallback'` picks a value, as in Python, where an empty list is false (`[]` is true in JS).
    if (a.type.k === 'array' && !a.opt)
      return ts(`((l) => (l.length > 0 ? l : ${wrap(b, PREC.cond + 1)}))(${a.code})`, unify(a.type, b.type), PREC.primary, anyCtx(a, b));
    return ts(`${wrap(a, PREC.or)} || ${wrap(b, PREC.or + 0.1)}`, unify(a.type, b.type), PREC.or, anyCtx(a, b));
  }
  // A variable compared with a number is a number (for variables nothing defines).
  if (op in COMPARE && op !== '==' && op !== '!=') {
    if (l.t === 'name' && r.t === 'lit' && typeof r.value === 'number') s.note(l.name, 'number');
    if (r.t === 'name' && l.t === 'lit' && typeof l.value === 'number') s.note(r.name, 'number');
  }
  const a = translate(l, s);
  const b = translate(r, s);
  const ctx = anyCtx(a, b);
  if (op in COMPARE) {
    // Two numbers known while porting (a status the helix task makes certain): compared now.
    const num = (t: Ts): number | undefined => (t.type.k === 'number' && !t.ctx && !t.opt && /^-?\d+(\.\d+)?$/.test(t.code) ? Number(t.code) : undefined);
    const [na, nb] = [num(a), num(b)];
    if (na !== undefined && nb !== undefined) {
      const known = { '==': na === nb, '!=': na !== nb, '<': na < nb, '<=': na <= nb, '>': na > nb, '>=': na >= nb }[op];
      if (known !== undefined) return lit(known);
    }
    let [x, y] = [a, b];
    const ka = a.type.k;
    const kb = b.type.k;
    // Python compares "3" == 3 as false; TypeScript refuses to compare unrelated types at all.
    const prim = ['string', 'number', 'boolean'];
    if (ka !== kb && prim.includes(ka) && prim.includes(kb)) {
      x = asString(a);
      y = asString(b);
    } else if (ka === 'secret' || kb === 'secret') {
      x = asString(a);
      y = asString(b);
    }
    // Python compares lists and dicts by value; JavaScript's === by reference (always false).
    const structured = (k: string): boolean => k === 'array' || k === 'object' || k === 'record';
    if ((op === '==' || op === '!=') && (structured(ka) || structured(kb))) {
      return ts(`JSON.stringify(${x.code}) ${COMPARE[op]} JSON.stringify(${y.code})`, T.boolean, PREC.eq, ctx);
    }
    const p = op === '==' || op === '!=' ? PREC.eq : PREC.rel;
    return ts(`${wrap(x, p)} ${COMPARE[op]} ${wrap(y, p + 0.1)}`, T.boolean, p, ctx);
  }
  if (op === 'in' || op === 'not in') {
    const neg = op === 'not in';
    if (b.type.k === 'object' || b.type.k === 'record') {
      const code = `${wrap(asString(a), PREC.rel + 0.1)} in ${wrap(b, PREC.rel + 0.1)}`;
      return neg ? ts(`!(${code})`, T.boolean, PREC.unary, ctx) : ts(code, T.boolean, PREC.rel, ctx);
    }
    const needle = b.type.k === 'string' || b.type.k === 'secret' ? asString(a) : a;
    // `x in undefined` fails in Jinja: the container is required.
    const hay = b.type.k === 'secret' ? asString(b) : required(b);
    const code = `${wrap(hay, PREC.primary)}.includes(${needle.code})`;
    return ts(neg ? `!${code}` : code, T.boolean, neg ? PREC.unary : PREC.primary, ctx);
  }
  if (op === '~') return concat([a, b]);
  if (op === '+') {
    if (a.type.k === 'array' || b.type.k === 'array') {
      return ts(`[...${wrap(a, PREC.unary)}, ...${wrap(b, PREC.unary)}]`, unify(a.type, b.type), PREC.primary, ctx);
    }
    if (a.type.k === 'string' || b.type.k === 'string' || a.type.k === 'secret' || b.type.k === 'secret') return concat([a, b]);
    const x = asNumber(a);
    const y = asNumber(b);
    return ts(`${wrap(x, PREC.add)} + ${wrap(y, PREC.add + 0.1)}`, T.number, PREC.add, ctx);
  }
  const x = asNumber(a);
  const y = asNumber(b);
  switch (op) {
    case '-':
      return ts(`${wrap(x, PREC.add)} - ${wrap(y, PREC.add + 0.1)}`, T.number, PREC.add, ctx);
    case '*':
    case '/':
    case '%':
      return ts(`${wrap(x, PREC.mul)} ${op} ${wrap(y, PREC.mul + 0.1)}`, T.number, PREC.mul, ctx);
    case '//':
      return ts(`Math.floor(${x.code} / ${wrap(y, PREC.mul + 0.1)})`, T.number, PREC.primary, ctx);
    case '**':
      return ts(`${wrap(x, PREC.pow + 0.1)} ** ${wrap(y, PREC.pow)}`, T.number, PREC.pow, ctx);
  }
  throw new Untranslatable('jinja-construct', `operator ${op}`);
}

/** A template literal joining the parts as strings. */
export function concat(parts: readonly (Ts | string)[]): Ts {
  let code = '';
  let text = '';
  let ctx = false;
  // Text is escaped as a whole, and a `$` ending it escaped too: Jinja's `{{ '{{' }}` after a
  // `$` must not open an interpolation (`${{ x }}` in a GitHub Actions file).
  const flush = (): void => {
    code += templateText(text).replace(/\$$/, '\\$');
    text = '';
  };
  for (const p of parts) {
    if (typeof p === 'string') text += p;
    else if (p.literal !== undefined) {
      text += p.literal;
      ctx ||= p.ctx;
    } else {
      flush();
      // Nested template literals are merged rather than nested.
      if (/^`[^`]*`$/.test(p.code) && p.type.k === 'string') code += p.code.slice(1, -1);
      else code += interpolate(p);
      ctx ||= p.ctx;
    }
  }
  flush();
  return ts(`\`${code}\``, T.string, PREC.primary, ctx);
}

/** Parses and translates; turns a syntax error into an Untranslatable. */
export function translateSource(src: string, s: Scope): Ts {
  return translate(parseOrThrow(src, parseExpression), s);
}

export function translateCondition(src: string | boolean, s: Scope): Ts {
  if (typeof src === 'boolean') return lit(src);
  return asBool(translate(parseOrThrow(src, parseCondition), s));
}

export function parseOrThrow(src: string, parse: (s: string) => Expr): Expr {
  try {
    return parse(src);
  } catch (error) {
    if (error instanceof JinjaSyntaxError) throw new Untranslatable('jinja-syntax', `${error.message} in "${src}"`);
    throw error;
  }
}
