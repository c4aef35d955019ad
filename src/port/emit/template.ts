import Handlebars from 'handlebars';
import { T, type PType } from '../ptype.ts';
import { freeNames, type Expr } from '../jinja/ast.ts';
import { PREC, type Ts, wrap } from '../jinja/code.ts';
import { nodesToTs, parseTemplateOrThrow } from '../jinja/inline.ts';
import { type Binding, type Scope, Untranslatable, withBindings } from '../jinja/scope.ts';
import type { TNode } from '../jinja/template.ts';
import { translate } from '../jinja/translate.ts';
import type { Imports } from './imports.ts';
import { localName } from './names.ts';

/**
 * A `.j2` template in helix form. Handlebars in helix renders content only (variables and
 * the helpers b64/json/yaml/indent/quote, no blocks), so:
 * - a template of text and `{{ expressions }}` becomes a `.hbs` file; a plain variable path
 *   stays a Handlebars path, a filter with a helper becomes the helper, and any other
 *   expression is computed in TypeScript and passed in under its own name;
 * - a template with `{% if %}`, `{% for %}` or `{% set %}` becomes a TypeScript module
 *   exporting `render(vars): string`, the control flow written as TypeScript.
 * Text is exactly what Jinja (with Ansible's trim_blocks) outputs.
 */
export type Converted =
  | { readonly kind: 'hbs'; readonly text: string; readonly vars: readonly (readonly [string, Ts])[] }
  | { readonly kind: 'ts'; readonly text: string; readonly vars: readonly (readonly [string, Ts])[] };

const PATH = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `a.b.c` with identifier parts → its root and Handlebars path; else undefined. */
function simplePath(e: Expr): { root: string; path: string } | undefined {
  if (e.t === 'name') return { root: e.name, path: e.name };
  if (e.t === 'attr') {
    const inner = simplePath(e.obj);
    return inner && PATH.test(e.name) ? { root: inner.root, path: `${inner.path}.${e.name}` } : undefined;
  }
  return undefined;
}

/** Helper form of an expression with a helper-backed filter chain (`x | to_nice_yaml | indent(4)`). */
const HELPER_FILTERS = new Set(['b64encode', 'to_json', 'to_yaml', 'to_nice_yaml', 'indent']);

function helperForm(e: Expr, arg: (e: Expr) => string | undefined): string | undefined {
  if (e.t !== 'filter' || !HELPER_FILTERS.has(e.name) || !helperChain(e.input)) return undefined;
  const input = (x: Expr): string | undefined => {
    const sp = simplePath(x);
    if (sp) return arg(x);
    const h = helperForm(x, arg);
    return h ? `(${h})` : undefined;
  };
  const i = input(e.input);
  if (!i) return undefined;
  switch (e.name) {
    case 'b64encode':
      return e.args.length ? undefined : `b64 ${i}`;
    case 'to_json':
      return e.args.length ? undefined : `json ${i}`;
    case 'to_yaml':
    case 'to_nice_yaml':
      return e.args.length || e.kwargs.length ? undefined : `yaml ${i}`;
    case 'indent': {
      const n = e.args[0];
      if (e.args.length !== 1 || n?.t !== 'lit' || typeof n.value !== 'number' || e.kwargs.length) return undefined;
      return `indent ${n.value} ${i}`;
    }
    default:
      return undefined;
  }
}

/** True when every filter under `e` has a helper and the innermost value is a plain path. */
function helperChain(e: Expr): boolean {
  if (simplePath(e)) return true;
  return e.t === 'filter' && HELPER_FILTERS.has(e.name) && helperChain(e.input);
}

function hasControl(nodes: readonly TNode[]): boolean {
  return nodes.some((n) => n.t === 'if' || n.t === 'for' || n.t === 'set' || n.t === 'unsupported');
}

/** Names a template reads (without its own loop and set variables). */
export function templateNames(nodes: readonly TNode[], bound: ReadonlySet<string> = new Set()): Set<string> {
  const out = new Set<string>();
  const add = (e: Expr, b: ReadonlySet<string>): void => {
    for (const n of freeNames(e)) if (!b.has(n)) out.add(n);
  };
  const walk = (list: readonly TNode[], b: Set<string>): void => {
    for (const n of list) {
      if (n.t === 'expr') add(n.expr, b);
      else if (n.t === 'if') {
        for (const br of n.branches) {
          add(br.test, b);
          walk(br.body, new Set(b));
        }
        if (n.else) walk(n.else, new Set(b));
      } else if (n.t === 'for') {
        add(n.iter, b);
        const inner = new Set([...b, ...n.vars, 'loop']);
        if (n.test) add(n.test, inner);
        walk(n.body, inner);
        if (n.else) walk(n.else, new Set(b));
      } else if (n.t === 'set') {
        add(n.value, b);
        b.add(n.name);
      }
    }
  };
  walk(nodes, new Set(bound));
  return out;
}

/**
 * Converts a template; `scope` is the scope of the task that renders it, `imports` the
 * imports of the render module (when one is written).
 */
export function convertTemplate(source: string, scope: Scope, imports: Imports): Converted {
  const nodes = parseTemplateOrThrow(source, true);
  if (nodes.some((n) => n.t === 'unsupported')) {
    const u = nodes.find((n) => n.t === 'unsupported') as { tag: string };
    throw new Untranslatable('template-unsupported', `{% ${u.tag} %} in a template`);
  }
  return hasControl(nodes) ? toRender(nodes, scope, imports) : toHandlebars(nodes, scope, imports);
}

function toHandlebars(nodes: readonly TNode[], scope: Scope, imports: Imports): Converted {
  const vars = new Map<string, Ts>();
  const used = new Set<string>();
  const take = (wanted: string): string => {
    let n = wanted.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1') || 'value';
    for (let i = 2; used.has(n); i++) n = `${wanted}_${i}`;
    used.add(n);
    return n;
  };
  // Roots of plain paths keep their own names; computed values get fresh ones.
  const rootName = new Map<string, string>();
  const arg = (e: Expr): string | undefined => {
    const sp = simplePath(e)!;
    let n = rootName.get(sp.root);
    if (!n) {
      n = take(sp.root);
      rootName.set(sp.root, n);
      vars.set(n, translate({ t: 'name', name: sp.root }, scope));
    }
    return n + sp.path.slice(sp.root.length);
  };
  let out = '';
  for (const node of nodes) {
    if (node.t === 'text') {
      out += node.text.replace(/\{\{/g, '\\{{');
      continue;
    }
    if (node.t !== 'expr') continue;
    if (out.endsWith('\\')) out += '\\';
    const sp = simplePath(node.expr);
    if (sp) {
      out += `{{${arg(node.expr)}}}`;
      continue;
    }
    const h = helperForm(node.expr, arg);
    if (h) {
      out += `{{${h}}}`;
      continue;
    }
    const value = translate(node.expr, scope);
    const same = [...vars].find(([, v]) => v.code === value.code);
    if (same) {
      out += `{{${same[0]}}}`;
      continue;
    }
    const base = node.expr.t === 'filter' ? `${simplePath(node.expr.input)?.root ?? 'value'}_${node.expr.name}` : 'value';
    const n = take(base);
    vars.set(n, value);
    out += `{{${n}}}`;
  }
  // Handlebars must read back exactly the text Jinja outputs (no standalone stripping).
  const ast = Handlebars.parse(out);
  for (const s of ast.body) {
    const c = s as { type: string; value?: string; original?: string };
    if (c.type === 'ContentStatement' && c.value !== c.original) return toRender(nodes, scope, imports);
  }
  return { kind: 'hbs', text: out, vars: [...vars] };
}

/**
 * The TypeScript render function: every free name becomes a field of the parameter `t`, typed
 * from the caller's scope; the body is one template literal.
 */
function toRender(nodes: readonly TNode[], scope: Scope, imports: Imports): Converted {
  const names = [...templateNames(nodes)].sort();
  const vars: [string, Ts][] = [];
  const bindings: Record<string, Binding> = {};
  for (const n of names) {
    const value = translate({ t: 'name', name: n }, scope);
    const field = localName(n);
    vars.push([field, value]);
    bindings[n] = { code: `t.${field}`, type: value.type.k === 'secret' ? T.string : value.type, ...(value.opt ? { opt: true } : {}) };
  }
  // Uses inside the template (`x | default(…)`, `x is defined`) tell the caller's variables.
  const inner: Scope = { ...withBindings(isolated(imports), bindings), note: (n, h) => scope.note(n, h) };
  const body = nodesToTs(nodes, inner);
  const fields = vars.map(([f, v]) => `${f}${v.opt ? '?' : ''}: ${tsOf(v.type.k === 'secret' ? T.string : v.type)}`);
  const param = fields.length ? `t: { ${fields.join('; ')} }` : '_t: Record<string, never>';
  const head = imports.print();
  const text = `${head ? `${head}\n\n` : ''}export function render(${param}): string {\n  return ${wrap(body, PREC.arrow)};\n}\n`;
  return { kind: 'ts', text, vars };
}

/** A scope where only the template's own fields exist (the render function has no other). */
function isolated(imports: Imports): Scope {
  return {
    lookup: () => undefined,
    note: () => {},
    envLookup: (n) => ({ code: `(process.env.${n} ?? '')`, prec: PREC.primary, type: T.string, ctx: false }),
    fileLookup: () => {
      throw new Untranslatable('template-unsupported', "lookup('file') inside a template");
    },
    use: (from, name) => imports.named(from, name),
  };
}

function tsOf(t: PType): string {
  switch (t.k) {
    case 'string':
    case 'number':
    case 'boolean':
      return t.k;
    case 'array':
      return t.of.k === 'string' || t.of.k === 'number' || t.of.k === 'boolean' ? `${t.of.k}[]` : 'any[]';
    default:
      return 'any';
  }
}
