import { T } from '../ptype.ts';
import type { Expr } from './ast.ts';
import { anyCtx, asNumber, asString, PREC, type Ts, ts, wrap } from './code.ts';
import { pyRegex } from './regex.ts';
import { type Scope, Untranslatable } from './scope.ts';
import { translate } from './translate.ts';

type TestExpr = Extract<Expr, { t: 'test' }>;

const REGISTER_STATUS = new Set(['changed', 'failed', 'success', 'succeeded', 'skipped', 'finished', 'started', 'unreachable']);

/** Translates `x is <test>` / `x is not <test>`. */
export function applyTest(e: TestExpr, s: Scope): Ts {
  const name = e.name.replace(/^ansible\.builtin\./, '');
  if (REGISTER_STATUS.has(name)) {
    throw new Untranslatable('register-status', `"is ${name}": helix results carry values, not task status; use notify or the task's own result`);
  }
  if ((name === 'defined' || name === 'undefined') && e.input.t === 'name') s.note(e.input.name, 'optional');
  const input = translate(e.input, s);
  const args = e.args.map((a) => translate(a, s));
  const ctx = anyCtx(input, ...args);
  const v = (p: number): string => wrap(input, p);
  let code: string;
  let prec: number = PREC.eq;
  // An array literal (a result the port knows, like a client looked up by clientId) is defined.
  const literal = !input.opt && /^\[[^\]]*\]$/.test(input.code);
  switch (name) {
    case 'defined':
      if (literal) return ts('true', T.boolean, PREC.primary, false);
      code = `${v(PREC.eq + 0.1)} !== undefined`;
      break;
    case 'undefined':
      code = `${v(PREC.eq + 0.1)} === undefined`;
      break;
    case 'none':
      code = `${v(PREC.eq + 0.1)} === null`;
      break;
    case 'true':
      code = `${v(PREC.eq + 0.1)} === true`;
      break;
    case 'false':
      code = `${v(PREC.eq + 0.1)} === false`;
      break;
    case 'string':
      code = `typeof ${v(PREC.unary)} === 'string'`;
      break;
    case 'number':
    case 'integer':
    case 'float':
      code = `typeof ${v(PREC.unary)} === 'number'`;
      break;
    case 'boolean':
      code = `typeof ${v(PREC.unary)} === 'boolean'`;
      break;
    case 'mapping':
    case 'dict':
      code = `typeof ${v(PREC.unary)} === 'object' && ${v(PREC.eq)} !== null && !Array.isArray(${input.code})`;
      prec = PREC.and;
      break;
    case 'sequence':
    case 'iterable':
    case 'list':
      code = `Array.isArray(${input.code})`;
      prec = PREC.primary;
      break;
    case 'equalto':
    case 'eq':
    case 'sameas':
      code = `${v(PREC.eq + 0.1)} === ${wrap(req(args[0], name), PREC.eq + 0.1)}`;
      break;
    case 'ne':
      code = `${v(PREC.eq + 0.1)} !== ${wrap(req(args[0], name), PREC.eq + 0.1)}`;
      break;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le': {
      const op = { gt: '>', ge: '>=', lt: '<', le: '<=' }[name];
      code = `${wrap(asNumber(input), PREC.rel + 0.1)} ${op} ${wrap(asNumber(req(args[0], name)), PREC.rel + 0.1)}`;
      prec = PREC.rel;
      break;
    }
    case 'in':
      code = `${wrap(req(args[0], name), PREC.primary)}.includes(${input.code})`;
      prec = PREC.primary;
      break;
    case 'contains':
      code = `${v(PREC.primary)}.includes(${req(args[0], name).code})`;
      prec = PREC.primary;
      break;
    case 'divisibleby':
      code = `${wrap(asNumber(input), PREC.mul)} % ${wrap(req(args[0], name), PREC.mul + 0.1)} === 0`;
      break;
    case 'even':
    case 'odd':
      code = `${wrap(asNumber(input), PREC.mul)} % 2 === ${name === 'even' ? 0 : 1}`;
      break;
    case 'truthy':
      code = `Boolean(${input.code})`;
      prec = PREC.primary;
      break;
    case 'falsy':
      code = `!${v(PREC.unary)}`;
      prec = PREC.unary;
      break;
    case 'match':
    case 'search':
    case 'regex': {
      const p = e.args[0];
      if (p?.t !== 'lit' || typeof p.value !== 'string') throw new Untranslatable('jinja-test', `"is ${name}" needs a literal pattern`);
      const pattern = name === 'match' ? `^(?:${p.value})` : p.value;
      code = `${pyRegex(pattern, '', '')}.test(${asString(input).code})`;
      prec = PREC.primary;
      break;
    }
    case 'exists':
    case 'file':
    case 'directory':
    case 'link': {
      const exists = s.use('node:fs', 'existsSync');
      if (name === 'exists') code = `${exists}(${asString(input).code})`;
      else {
        const stat = s.use('node:fs', 'lstatSync');
        const method = { file: 'isFile', directory: 'isDirectory', link: 'isSymbolicLink' }[name];
        code = `${exists}(${asString(input).code}) && ${stat}(${asString(input).code}).${method}()`;
      }
      prec = name === 'exists' ? PREC.primary : PREC.and;
      break;
    }
    default:
      throw new Untranslatable('jinja-test', `test "${e.name}" has no translation`);
  }
  if (e.negated) return ts(`!(${code})`, T.boolean, PREC.unary, ctx);
  return ts(code, T.boolean, prec, ctx);
}

function req(a: Ts | undefined, name: string): Ts {
  if (!a) throw new Untranslatable('jinja-test', `"is ${name}" needs an argument`);
  return a;
}
