/**
 * Generated code as a small tree, printed to fit a line width: an object, array or call goes
 * on one line when it fits, and breaks one entry per line when it does not (as a formatter
 * would). Expressions from the Jinja translator arrive as `raw` one-liners.
 */
export type Code =
  | { readonly k: 'raw'; readonly code: string }
  | { readonly k: 'obj'; readonly entries: readonly (readonly [string, Code])[] }
  | { readonly k: 'arr'; readonly items: readonly Code[] }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Code[] }
  | { readonly k: 'arrow'; readonly params: string; readonly body: Code }
  /** Raw text that is already laid out over several lines (indented relative to column 0). */
  | { readonly k: 'block'; readonly lines: readonly string[] };

export const raw = (code: string): Code => ({ k: 'raw', code });
export const obj = (entries: readonly (readonly [string, Code])[]): Code => ({ k: 'obj', entries });
export const arr = (items: readonly Code[]): Code => ({ k: 'arr', items });
export const call = (fn: string, ...args: Code[]): Code => ({ k: 'call', fn, args });
export const arrow = (params: string, body: Code): Code => ({ k: 'arrow', params, body });

export const WIDTH = 120;

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** An object key as written in TypeScript (quoted when it is not an identifier). */
export function key(k: string): string {
  return IDENT.test(k) ? k : `'${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** One-line form, or undefined when the tree holds multi-line text. */
function flat(c: Code): string | undefined {
  switch (c.k) {
    case 'raw':
      return c.code.includes('\n') ? undefined : c.code;
    case 'block':
      return undefined;
    case 'obj': {
      if (!c.entries.length) return '{}';
      const parts: string[] = [];
      for (const [k, v] of c.entries) {
        const f = flat(v);
        if (f === undefined) return undefined;
        parts.push(k.startsWith('...') ? k : f === k && IDENT.test(k) ? k : `${key(k)}: ${f}`);
      }
      return `{ ${parts.join(', ')} }`;
    }
    case 'arr': {
      const parts = c.items.map(flat);
      if (parts.some((p) => p === undefined)) return undefined;
      return `[${parts.join(', ')}]`;
    }
    case 'call': {
      const parts = c.args.map(flat);
      if (parts.some((p) => p === undefined)) return undefined;
      return `${c.fn}(${parts.join(', ')})`;
    }
    case 'arrow': {
      const b = flat(c.body);
      if (b === undefined) return undefined;
      return `${c.params} => ${c.body.k === 'obj' ? `(${b})` : b}`;
    }
  }
}

/**
 * Prints `c` starting at column `col` (where the first line starts) with `indent` as the
 * indentation of the line it starts on.
 */
export function print(c: Code, indent = '', col = indent.length): string {
  const f = flat(c);
  if (f !== undefined && col + f.length <= WIDTH) return f;
  const inner = `${indent}  `;
  switch (c.k) {
    case 'raw':
      return c.code;
    case 'block':
      return c.lines.map((l, i) => (i === 0 ? l : l ? indent + l : l)).join('\n');
    case 'obj': {
      if (!c.entries.length) return '{}';
      const lines = c.entries.map(([k, v]) => {
        if (k.startsWith('...')) return `${inner}${k},`;
        if (v.k === 'raw' && v.code === k && IDENT.test(k)) return `${inner}${k},`;
        const head = `${inner}${key(k)}: `;
        return `${head}${print(v, inner, head.length)},`;
      });
      return `{\n${lines.join('\n')}\n${indent}}`;
    }
    case 'arr': {
      if (!c.items.length) return '[]';
      const lines = c.items.map((v) => `${inner}${print(v, inner)},`);
      return `[\n${lines.join('\n')}\n${indent}]`;
    }
    case 'call': {
      // Hug a last object/arrow argument: `f('name', {` … `})`.
      const last = c.args.at(-1);
      const head = c.args.slice(0, -1).map((a) => flat(a));
      if (last && (last.k === 'obj' || last.k === 'arrow' || last.k === 'arr') && head.every((h) => h !== undefined)) {
        const prefix = `${c.fn}(${head.map((h) => `${h}, `).join('')}`;
        if (col + prefix.length <= WIDTH) return `${prefix}${print(last, indent, col + prefix.length)})`;
      }
      const lines = c.args.map((a) => `${inner}${print(a, inner)},`);
      return `${c.fn}(\n${lines.join('\n')}\n${indent})`;
    }
    case 'arrow': {
      const head = `${c.params} => `;
      const body = print(c.body, indent, col + head.length + 1);
      return c.body.k === 'obj' ? `${head}(${body})` : `${head}${body}`;
    }
  }
}

/** A `/** … *\/` comment (or `//` lines with `line`) at an indentation. */
export function docComment(text: string, indent = ''): string {
  const lines = text.split('\n');
  if (lines.length === 1 && indent.length + text.length + 7 <= WIDTH) return `${indent}/** ${text.replace(/\*\//g, '*\\/')} */`;
  return [`${indent}/**`, ...lines.map((l) => `${indent} *${l ? ` ${l.replace(/\*\//g, '*\\/')}` : ''}`), `${indent} */`].join('\n');
}

/** `// …` lines, for TODOs that hold YAML (which may contain `*\/`). */
export function lineComment(text: string, indent = ''): string {
  return text
    .split('\n')
    .map((l) => `${indent}//${l ? ` ${l}` : ''}`)
    .join('\n');
}
