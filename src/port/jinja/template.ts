import type { Expr } from './ast.ts';
import { JinjaSyntaxError } from './lexer.ts';
import { parseExpression, parseExpressionPrefix } from './parser.ts';

/**
 * A Jinja2 template as a tree: text, `{{ expressions }}`, `{% if %}`, `{% for %}`, `{% set %}`.
 * Whitespace control is applied while parsing (`-` markers, and Ansible's `trim_blocks`), so a
 * text node holds exactly the characters Jinja would output.
 */
export type TNode =
  | { readonly t: 'text'; readonly text: string }
  | { readonly t: 'expr'; readonly expr: Expr; readonly src: string }
  | { readonly t: 'if'; readonly branches: readonly { readonly test: Expr; readonly body: readonly TNode[] }[]; readonly else?: readonly TNode[] }
  | {
      readonly t: 'for';
      readonly vars: readonly string[];
      readonly iter: Expr;
      readonly test?: Expr;
      readonly body: readonly TNode[];
      readonly else?: readonly TNode[];
    }
  | { readonly t: 'set'; readonly name: string; readonly value: Expr }
  /** A statement the port does not translate (`macro`, `include`, `call`, `filter` blocks …). */
  | { readonly t: 'unsupported'; readonly tag: string; readonly src: string };

export interface TemplateOptions {
  /** Remove the first newline after a block tag. Ansible's default. @default true */
  trimBlocks?: boolean;
  /** Strip spaces and tabs before a block tag at the start of a line. @default false */
  lstripBlocks?: boolean;
}

type Raw =
  | { kind: 'text'; text: string }
  | { kind: 'var' | 'block' | 'comment'; body: string; src: string; lstrip: boolean; rstrip: boolean; noLstrip: boolean };

const OPEN = /\{\{|\{%|\{#/g;
const CLOSE: Record<string, string> = { '{{': '}}', '{%': '%}', '{#': '#}' };

function lex(src: string): Raw[] {
  const out: Raw[] = [];
  let i = 0;
  for (;;) {
    OPEN.lastIndex = i;
    const m = OPEN.exec(src);
    if (!m) {
      if (i < src.length) out.push({ kind: 'text', text: src.slice(i) });
      return out;
    }
    if (m.index > i) out.push({ kind: 'text', text: src.slice(i, m.index) });
    const open = m[0];
    const close = CLOSE[open]!;
    let j = m.index + 2;
    // Find the closing delimiter outside of string literals.
    let quote = '';
    for (; j < src.length; j++) {
      const c = src[j]!;
      if (quote) {
        if (c === '\\') j++;
        else if (c === quote) quote = '';
      } else if ((c === "'" || c === '"') && open !== '{#') quote = c;
      else if (src.startsWith(close, j)) break;
    }
    if (j >= src.length) throw new JinjaSyntaxError(`unclosed ${open}`, m.index);
    let body = src.slice(m.index + 2, j);
    const lstrip = body.startsWith('-');
    const noLstrip = body.startsWith('+');
    if (lstrip || noLstrip) body = body.slice(1);
    const rstrip = body.endsWith('-');
    if (rstrip) body = body.slice(0, -1);
    const kind = open === '{{' ? 'var' : open === '{%' ? 'block' : 'comment';
    out.push({ kind, body: body.trim(), src: src.slice(m.index, j + 2), lstrip, rstrip, noLstrip });
    i = j + 2;
    // `{% raw %}` keeps everything up to `{% endraw %}` as text.
    if (kind === 'block' && /^raw$/.test(body.trim())) {
      const end = /\{%-?\s*endraw\s*-?%\}/g;
      end.lastIndex = i;
      const e = end.exec(src);
      if (!e) throw new JinjaSyntaxError('unclosed raw block', m.index);
      out.push({ kind: 'text', text: src.slice(i, e.index) });
      i = e.index + e[0].length;
    }
  }
}

/** Applies `-` markers, trim_blocks and lstrip_blocks to the text around tags. */
function whitespace(raw: Raw[], o: Required<TemplateOptions>): Raw[] {
  const out = raw.map((r) => ({ ...r }));
  for (let k = 0; k < out.length; k++) {
    const r = out[k]!;
    if (r.kind === 'text') continue;
    const prev = out[k - 1];
    const next = out[k + 1];
    if (prev?.kind === 'text') {
      if (r.lstrip) prev.text = prev.text.replace(/\s+$/, '');
      else if (o.lstripBlocks && r.kind !== 'var' && !r.noLstrip) prev.text = prev.text.replace(/(^|\n)[ \t]+$/, '$1');
    }
    if (next?.kind === 'text') {
      if (r.rstrip) next.text = next.text.replace(/^\s+/, '');
      else if (o.trimBlocks && r.kind !== 'var') next.text = next.text.replace(/^\r?\n/, '');
    }
  }
  return out;
}

type Tag = { name: string; rest: string; src: string };

/** Parses a template into nodes. Throws JinjaSyntaxError on malformed tags. */
export function parseTemplate(src: string, options: TemplateOptions = {}): TNode[] {
  const o = { trimBlocks: options.trimBlocks ?? true, lstripBlocks: options.lstripBlocks ?? false };
  const items = whitespace(lex(src), o).filter((r) => r.kind !== 'comment');
  let i = 0;

  const tagOf = (r: Raw): Tag | undefined => {
    if (r.kind !== 'block') return undefined;
    const m = /^(\w+)\s*([\s\S]*)$/.exec(r.body);
    return m ? { name: m[1]!, rest: m[2]!, src: r.src } : undefined;
  };

  const parseBody = (ends: readonly string[]): { nodes: TNode[]; end?: Tag } => {
    const nodes: TNode[] = [];
    while (i < items.length) {
      const r = items[i++]!;
      if (r.kind === 'text') {
        if (r.text) nodes.push({ t: 'text', text: r.text });
        continue;
      }
      if (r.kind === 'var') {
        nodes.push({ t: 'expr', expr: parseExpression(r.body), src: r.src });
        continue;
      }
      const tag = tagOf(r);
      if (!tag) throw new JinjaSyntaxError(`malformed tag ${r.kind === 'block' ? r.src : ''}`, 0);
      if (ends.includes(tag.name)) return { nodes, end: tag };
      switch (tag.name) {
        case 'if': {
          const branches: { test: Expr; body: TNode[] }[] = [];
          let test = parseExpression(tag.rest);
          let elseBody: TNode[] | undefined;
          for (;;) {
            const b = parseBody(['elif', 'else', 'endif']);
            branches.push({ test, body: b.nodes });
            if (!b.end) throw new JinjaSyntaxError('missing {% endif %}', 0);
            if (b.end.name === 'elif') {
              test = parseExpression(b.end.rest);
              continue;
            }
            if (b.end.name === 'else') {
              const e = parseBody(['endif']);
              if (!e.end) throw new JinjaSyntaxError('missing {% endif %}', 0);
              elseBody = e.nodes;
            }
            break;
          }
          nodes.push({ t: 'if', branches, ...(elseBody ? { else: elseBody } : {}) });
          break;
        }
        case 'for': {
          const m = /^([A-Za-z_]\w*)\s*(?:,\s*([A-Za-z_]\w*)\s*)?in\s+([\s\S]+)$/.exec(tag.rest);
          if (!m) throw new JinjaSyntaxError(`malformed for: ${tag.src}`, 0);
          const vars = m[2] ? [m[1]!, m[2]] : [m[1]!];
          const iterSrc = m[3]!;
          let test: Expr | undefined;
          if (/\brecursive\s*$/.test(iterSrc)) {
            nodes.push({ t: 'unsupported', tag: 'for … recursive', src: tag.src });
            skipTo('endfor');
            break;
          }
          const p = parseExpressionPrefix(iterSrc);
          const rest = p.rest.trim();
          if (rest.startsWith('if ')) test = parseExpression(rest.slice(3));
          else if (rest) throw new JinjaSyntaxError(`unexpected "${rest}" in for`, 0);
          const b = parseBody(['else', 'endfor']);
          if (!b.end) throw new JinjaSyntaxError('missing {% endfor %}', 0);
          let elseBody: TNode[] | undefined;
          if (b.end.name === 'else') {
            const e = parseBody(['endfor']);
            if (!e.end) throw new JinjaSyntaxError('missing {% endfor %}', 0);
            elseBody = e.nodes;
          }
          nodes.push({ t: 'for', vars, iter: p.expr, ...(test ? { test } : {}), body: b.nodes, ...(elseBody ? { else: elseBody } : {}) });
          break;
        }
        case 'raw':
          // The lexer already turned the raw block into text.
          break;
        case 'set': {
          const m = /^([A-Za-z_]\w*)\s*=\s*([\s\S]+)$/.exec(tag.rest);
          if (!m) {
            nodes.push({ t: 'unsupported', tag: 'set block', src: tag.src });
            skipTo('endset');
            break;
          }
          nodes.push({ t: 'set', name: m[1]!, value: parseExpression(m[2]!) });
          break;
        }
        default: {
          nodes.push({ t: 'unsupported', tag: tag.name, src: tag.src });
          const closer = BLOCK_ENDS[tag.name];
          if (closer) skipTo(closer);
        }
      }
    }
    return { nodes };
  };

  const skipTo = (end: string): void => {
    let depth = 0;
    const open = end.replace(/^end/, '');
    while (i < items.length) {
      const t = tagOf(items[i++]!);
      if (t?.name === open) depth++;
      else if (t?.name === end) {
        if (depth === 0) return;
        depth--;
      }
    }
  };

  const { nodes, end } = parseBody([]);
  if (end) throw new JinjaSyntaxError(`unexpected {% ${end.name} %}`, 0);
  return nodes;
}

const BLOCK_ENDS: Record<string, string> = {
  macro: 'endmacro',
  call: 'endcall',
  filter: 'endfilter',
  block: 'endblock',
  with: 'endwith',
  autoescape: 'endautoescape',
};

/** True when a string holds any Jinja2 syntax at all. */
export function isTemplated(s: string): boolean {
  return /\{\{|\{%/.test(s);
}

/** `"{{ expr }}"` alone: Ansible yields the expression's own value (a list stays a list). */
export function soleExpression(s: string): string | undefined {
  const m = /^\s*\{\{-?([\s\S]*?)-?\}\}\s*$/.exec(s);
  if (!m || m[1]!.includes('}}') || m[1]!.includes('{{')) return undefined;
  return m[1]!;
}
