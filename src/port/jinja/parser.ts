import type { BinaryOp, Expr, Kwarg } from './ast.ts';
import { JinjaSyntaxError, type Token, tokenize } from './lexer.ts';

/**
 * A Pratt parser for Jinja2 expressions, with Jinja's own precedence (lowest first):
 * `x if c else y` · `or` · `and` · `not` · comparisons and `in` · `+ -` · `~` · `* / // %` ·
 * `**` · unary `- +` · filters `|` and tests `is` · `.attr [index] (call)`.
 * As in Jinja, `a + b | f` filters `b` only, and `-x | f` negates the filtered value.
 */
const BP = {
  cond: 1,
  or: 2,
  and: 3,
  not: 4,
  compare: 5,
  add: 6,
  concat: 7,
  mul: 8,
  pow: 9,
  unary: 10,
  filter: 11,
  postfix: 12,
} as const;

const INFIX: Record<string, { bp: number; op: BinaryOp }> = {
  or: { bp: BP.or, op: 'or' },
  and: { bp: BP.and, op: 'and' },
  '==': { bp: BP.compare, op: '==' },
  '!=': { bp: BP.compare, op: '!=' },
  '<': { bp: BP.compare, op: '<' },
  '<=': { bp: BP.compare, op: '<=' },
  '>': { bp: BP.compare, op: '>' },
  '>=': { bp: BP.compare, op: '>=' },
  in: { bp: BP.compare, op: 'in' },
  '+': { bp: BP.add, op: '+' },
  '-': { bp: BP.add, op: '-' },
  '~': { bp: BP.concat, op: '~' },
  '*': { bp: BP.mul, op: '*' },
  '/': { bp: BP.mul, op: '/' },
  '//': { bp: BP.mul, op: '//' },
  '%': { bp: BP.mul, op: '%' },
  '**': { bp: BP.pow, op: '**' },
};

class Parser {
  #tokens: Token[];
  #i = 0;

  constructor(src: string) {
    this.#tokens = tokenize(src);
  }

  get peek(): Token {
    return this.#tokens[this.#i]!;
  }

  peekAt(n: number): Token {
    return this.#tokens[Math.min(this.#i + n, this.#tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.peek;
    if (t.kind !== 'eof') this.#i++;
    return t;
  }

  is(value: string): boolean {
    const t = this.peek;
    return (t.kind === 'op' || t.kind === 'name') && t.value === value;
  }

  accept(value: string): boolean {
    if (!this.is(value)) return false;
    this.next();
    return true;
  }

  expect(value: string): void {
    if (!this.accept(value)) {
      const t = this.peek;
      throw new JinjaSyntaxError(`expected "${value}" but found ${t.kind === 'eof' ? 'the end' : `"${t.value}"`}`, t.pos);
    }
  }

  atEnd(): boolean {
    return this.peek.kind === 'eof';
  }

  /** Parses an expression whose operators all bind tighter than `minBp`. */
  expr(minBp = 0): Expr {
    let left = this.prefix();
    for (;;) {
      const t = this.peek;
      if (t.kind !== 'op' && t.kind !== 'name') break;
      // Postfix: attribute, index/slice, call.
      if (t.value === '.' && t.kind === 'op') {
        if (BP.postfix < minBp) break;
        this.next();
        const name = this.next();
        if (name.kind === 'name') left = { t: 'attr', obj: left, name: name.value };
        else if (name.kind === 'number' && Number.isInteger(name.value)) left = { t: 'index', obj: left, index: { t: 'lit', value: name.value } };
        else throw new JinjaSyntaxError('expected an attribute name after "."', name.pos);
        continue;
      }
      if (t.value === '[' && t.kind === 'op') {
        if (BP.postfix < minBp) break;
        this.next();
        left = this.subscript(left);
        continue;
      }
      if (t.value === '(' && t.kind === 'op') {
        if (BP.postfix < minBp) break;
        this.next();
        const { args, kwargs } = this.callArgs();
        left = { t: 'call', callee: left, args, kwargs };
        continue;
      }
      if (t.value === '|' && t.kind === 'op') {
        if (BP.filter < minBp) break;
        this.next();
        left = this.filter(left);
        continue;
      }
      if (t.value === 'is' && t.kind === 'name') {
        if (BP.filter < minBp) break;
        this.next();
        left = this.test(left);
        continue;
      }
      if (t.value === 'if' && t.kind === 'name') {
        if (BP.cond < minBp) break;
        this.next();
        const test = this.expr(BP.or);
        // biome-ignore lint/suspicious/noThenProperty: a conditional node's branch, never awaited
        if (this.accept('else')) left = { t: 'cond', test, then: left, else: this.expr(BP.cond) };
        // biome-ignore lint/suspicious/noThenProperty: as above
        else left = { t: 'cond', test, then: left };
        continue;
      }
      if (t.value === 'not' && t.kind === 'name' && this.peekAt(1).value === 'in') {
        if (BP.compare <= minBp) break;
        this.next();
        this.next();
        left = { t: 'binary', op: 'not in', left, right: this.expr(BP.compare + 1) };
        continue;
      }
      const info = INFIX[t.value];
      if (!info || (t.kind === 'name' && !['and', 'or', 'in'].includes(t.value))) break;
      if (info.bp <= minBp) break;
      this.next();
      left = { t: 'binary', op: info.op, left, right: this.expr(info.bp) };
    }
    return left;
  }

  prefix(): Expr {
    const t = this.next();
    switch (t.kind) {
      case 'string': {
        // Adjacent string literals concatenate, as in Python.
        let value = t.value;
        while (this.peek.kind === 'string') value += (this.next() as { value: string }).value;
        return { t: 'lit', value };
      }
      case 'number':
        return { t: 'lit', value: t.value };
      case 'name':
        switch (t.value) {
          case 'true':
          case 'True':
            return { t: 'lit', value: true };
          case 'false':
          case 'False':
            return { t: 'lit', value: false };
          case 'none':
          case 'None':
            return { t: 'lit', value: null };
          case 'not':
            return { t: 'unary', op: 'not', operand: this.expr(BP.not) };
          default:
            return { t: 'name', name: t.value };
        }
      case 'op':
        switch (t.value) {
          case '-':
          case '+':
            return { t: 'unary', op: t.value, operand: this.expr(BP.unary) };
          case '(': {
            if (this.accept(')')) return { t: 'tuple', items: [] };
            const first = this.expr();
            if (this.accept(')')) return first;
            const items = [first];
            while (this.accept(',')) {
              if (this.is(')')) break;
              items.push(this.expr());
            }
            this.expect(')');
            return { t: 'tuple', items };
          }
          case '[': {
            const items: Expr[] = [];
            while (!this.is(']')) {
              items.push(this.expr());
              if (!this.accept(',')) break;
            }
            this.expect(']');
            return { t: 'list', items };
          }
          case '{': {
            const entries: [Expr, Expr][] = [];
            while (!this.is('}')) {
              const k = this.expr();
              this.expect(':');
              entries.push([k, this.expr()]);
              if (!this.accept(',')) break;
            }
            this.expect('}');
            return { t: 'dict', entries };
          }
        }
        break;
      case 'eof':
        throw new JinjaSyntaxError('unexpected end of expression', t.pos);
    }
    throw new JinjaSyntaxError(`unexpected "${t.value}"`, t.pos);
  }

  subscript(obj: Expr): Expr {
    let start: Expr | undefined;
    if (!this.is(':')) start = this.expr();
    if (this.accept(':')) {
      const stop = this.is(']') ? undefined : this.expr();
      this.expect(']');
      return { t: 'slice', obj, ...(start ? { start } : {}), ...(stop ? { stop } : {}) };
    }
    this.expect(']');
    if (!start) throw new JinjaSyntaxError('empty subscript', this.peek.pos);
    return { t: 'index', obj, index: start };
  }

  callArgs(): { args: Expr[]; kwargs: Kwarg[] } {
    const args: Expr[] = [];
    const kwargs: Kwarg[] = [];
    while (!this.is(')')) {
      const t = this.peek;
      if (t.kind === 'name' && this.peekAt(1).kind === 'op' && this.peekAt(1).value === '=') {
        this.next();
        this.next();
        kwargs.push({ name: t.value, value: this.expr() });
      } else {
        args.push(this.expr());
      }
      if (!this.accept(',')) break;
    }
    this.expect(')');
    return { args, kwargs };
  }

  dottedName(): string {
    const t = this.next();
    if (t.kind !== 'name') throw new JinjaSyntaxError('expected a name', t.pos);
    let name = t.value;
    // Collection filters and tests: `community.general.json_query`, `ansible.builtin.bool`.
    while (this.is('.') && this.peekAt(1).kind === 'name') {
      this.next();
      name += `.${(this.next() as { value: string }).value}`;
    }
    return name;
  }

  filter(input: Expr): Expr {
    const name = this.dottedName();
    if (this.accept('(')) {
      const { args, kwargs } = this.callArgs();
      return { t: 'filter', name, input, args, kwargs };
    }
    return { t: 'filter', name, input, args: [], kwargs: [] };
  }

  test(input: Expr): Expr {
    const negated = this.accept('not');
    const t = this.peek;
    // `x is none`, `x is true`: keywords that are also test names.
    let name = '';
    if (t.kind === 'name') name = this.dottedName();
    else this.next();
    if (!name) throw new JinjaSyntaxError('expected a test name after "is"', t.pos);
    let args: Expr[] = [];
    if (this.accept('(')) args = this.callArgs().args;
    else if (this.startsBareArg()) args = [this.expr(BP.filter)];
    return { t: 'test', name, input, args, negated };
  }

  /** Jinja allows one argument without parentheses: `x is divisibleby 3`, `x is sameas none`. */
  startsBareArg(): boolean {
    const t = this.peek;
    if (t.kind === 'string' || t.kind === 'number') return true;
    if (t.kind === 'name') return !['and', 'or', 'if', 'else', 'not', 'in', 'is'].includes(t.value);
    return false;
  }
}

/** Parses one Jinja2 expression; throws JinjaSyntaxError on anything it cannot read. */
export function parseExpression(src: string): Expr {
  const p = new Parser(src);
  const e = p.expr();
  if (!p.atEnd()) throw new JinjaSyntaxError(`unexpected "${p.peek.value}" after the expression`, p.peek.pos);
  return e;
}

/** Parses an Ansible `when:`/`failed_when:` condition (a bare expression, maybe wrapped in `{{ }}`). */
export function parseCondition(src: string): Expr {
  const m = /^\s*\{\{(.*)\}\}\s*$/s.exec(src);
  return parseExpression(m ? m[1]! : src);
}

/** A parser positioned inside a longer text: used by template.ts for `{% for x in … %}`. */
export function parseExpressionPrefix(src: string): { expr: Expr; rest: string } {
  const p = new Parser(src);
  const expr = p.expr();
  return { expr, rest: src.slice(p.peek.pos) };
}
