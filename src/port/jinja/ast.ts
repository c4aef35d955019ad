/**
 * The syntax tree of a Jinja2 expression, as Ansible uses it in `{{ … }}`, `when:` and
 * `{% if … %}`. Only expressions: statements (`{% for %}`, `{% if %}`) live in template.ts.
 */
export type Literal = string | number | boolean | null;

export type Expr =
  | { readonly t: 'lit'; readonly value: Literal }
  | { readonly t: 'name'; readonly name: string }
  | { readonly t: 'list'; readonly items: readonly Expr[] }
  | { readonly t: 'tuple'; readonly items: readonly Expr[] }
  | { readonly t: 'dict'; readonly entries: readonly (readonly [Expr, Expr])[] }
  | { readonly t: 'attr'; readonly obj: Expr; readonly name: string }
  | { readonly t: 'index'; readonly obj: Expr; readonly index: Expr }
  | { readonly t: 'slice'; readonly obj: Expr; readonly start?: Expr; readonly stop?: Expr }
  | { readonly t: 'call'; readonly callee: Expr; readonly args: readonly Expr[]; readonly kwargs: readonly Kwarg[] }
  | { readonly t: 'filter'; readonly name: string; readonly input: Expr; readonly args: readonly Expr[]; readonly kwargs: readonly Kwarg[] }
  | { readonly t: 'test'; readonly name: string; readonly input: Expr; readonly args: readonly Expr[]; readonly negated: boolean }
  | { readonly t: 'unary'; readonly op: 'not' | '-' | '+'; readonly operand: Expr }
  | { readonly t: 'binary'; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly t: 'cond'; readonly test: Expr; readonly then: Expr; readonly else?: Expr };

export interface Kwarg {
  readonly name: string;
  readonly value: Expr;
}

export type BinaryOp = 'or' | 'and' | '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | '+' | '-' | '~' | '*' | '/' | '//' | '%' | '**';

/** Every variable name an expression reads, outermost names only (`a.b[c]` reads `a` and `c`). */
export function freeNames(expr: Expr, out: Set<string> = new Set()): Set<string> {
  const walk = (e: Expr): void => {
    switch (e.t) {
      case 'lit':
        return;
      case 'name':
        out.add(e.name);
        return;
      case 'list':
      case 'tuple':
        e.items.forEach(walk);
        return;
      case 'dict':
        for (const [k, v] of e.entries) {
          walk(k);
          walk(v);
        }
        return;
      case 'attr':
        walk(e.obj);
        return;
      case 'index':
        walk(e.obj);
        walk(e.index);
        return;
      case 'slice':
        walk(e.obj);
        if (e.start) walk(e.start);
        if (e.stop) walk(e.stop);
        return;
      case 'call':
        // `lookup(...)`, `range(...)`: the callee is a global function, not a variable.
        if (e.callee.t !== 'name') walk(e.callee);
        e.args.forEach(walk);
        e.kwargs.forEach((k) => walk(k.value));
        return;
      case 'filter':
        walk(e.input);
        e.args.forEach(walk);
        e.kwargs.forEach((k) => walk(k.value));
        return;
      case 'test':
        walk(e.input);
        e.args.forEach(walk);
        return;
      case 'unary':
        walk(e.operand);
        return;
      case 'binary':
        walk(e.left);
        walk(e.right);
        return;
      case 'cond':
        walk(e.test);
        walk(e.then);
        if (e.else) walk(e.else);
        return;
    }
  };
  walk(expr);
  return out;
}
