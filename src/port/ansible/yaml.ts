import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, Lexer, LineCounter, type Node, parseDocument, Scalar, type ScalarTag, visit } from 'yaml';
import { type SourceTask, VaultValue } from './source.ts';

/** Ansible's YAML tags: `!vault` holds ciphertext, `!unsafe` marks a string never templated. */
const TAGS: ScalarTag[] = [
  { tag: '!vault', resolve: (s: string) => new VaultValue(s) } as unknown as ScalarTag,
  { tag: '!unsafe', resolve: (s: string) => s } as unknown as ScalarTag,
];

/**
 * YAML 1.1 as PyYAML reads it (Ansible's parser): `yes`/`no`/`on`/`off` are booleans and
 * `0644` is octal, but `y` and `n` stay strings (the YAML 1.1 spec, and the yaml library,
 * would make them booleans).
 */
function pyyamlTags(tags: Tags): Tags {
  const bools = tags.filter((t) => (t as { tag?: string }).tag === 'tag:yaml.org,2002:bool') as ScalarTag[];
  const rest = tags.filter((t) => (t as { tag?: string }).tag !== 'tag:yaml.org,2002:bool');
  const pick = (value: boolean, test: RegExp): ScalarTag => ({ ...bools.find((b) => b.identify?.(value))!, test });
  return [...rest, pick(true, /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/), pick(false, /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/), ...TAGS];
}

type Tags = Parameters<Extract<NonNullable<Parameters<typeof parseDocument>[1]>['customTags'], (t: never) => unknown>>[0];

/** A parsed YAML file that can still give each task's original text. */
export interface YamlFile {
  readonly file: string;
  readonly text: string;
  readonly value: unknown;
  readonly root: Node | null;
  readonly lines: LineCounter;
}

/** Reads and parses a YAML file; throws with the file and line on malformed YAML. */
export function readYaml(file: string): YamlFile {
  const text = readFileSync(file, 'utf8');
  return parseYamlText(text, file);
}

/** The offset just past the closing quote of a quoted scalar opening at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (q === '"' && c === '\\') i++;
    else if (c === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return -1;
}

/** Indentation of the line holding `offset`. */
function indentAt(text: string, offset: number): number {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^ */.exec(text.slice(start))![0].length;
}

/**
 * PyYAML (Ansible's reader) does not check the indentation of the continuation lines of a
 * quoted scalar; the yaml library, following YAML 1.2, ends the scalar at the first line
 * indented no deeper than its parent and fails ("Missing closing quote"). Folding strips a
 * continuation line's leading spaces, so indenting those lines further changes no value:
 * this does it for every quoted scalar the lexer sees unterminated.
 */
export function indentQuotedContinuations(text: string): string {
  for (let round = 0; round < 1000; round++) {
    let offset = 0;
    let fixed: string | undefined;
    for (const tok of new Lexer().lex(text)) {
      // Control tokens (document start, flow end, scalar marker) are not in the text.
      if (tok === '\x02' || tok === '\x18' || tok === '\x1f') continue;
      const at = offset;
      offset += tok.length;
      if (tok[0] !== '"' && tok[0] !== "'") continue;
      if (closingQuote(tok, 0) === tok.length) continue;
      const end = closingQuote(text, at);
      if (end < 0) return text;
      const want = indentAt(text, at) + 2;
      const body = text.slice(at, end).replace(/\n( *)(?=\S)/g, (m, sp: string) => (sp.length < want ? `\n${' '.repeat(want)}` : m));
      if (body === text.slice(at, end)) return text;
      fixed = text.slice(0, at) + body + text.slice(end);
      break;
    }
    if (fixed === undefined) return text;
    text = fixed;
  }
  return text;
}

export function parseYamlText(source: string, file: string): YamlFile {
  const text = /\n/.test(source) ? indentQuotedContinuations(source) : source;
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', customTags: pyyamlTags, lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new Error(`${file}: ${e.message.split('\n')[0]}`);
  }
  // PyYAML: a block scalar ending the file without a final line break has none to keep
  // (even `|+`); the yaml library adds one.
  if (!text.endsWith('\n')) {
    visit(doc, {
      Scalar(_k, n) {
        const block = n.type === Scalar.BLOCK_LITERAL || n.type === Scalar.BLOCK_FOLDED;
        if (block && n.range?.[1] === text.length && typeof n.value === 'string' && n.value.endsWith('\n')) {
          n.value = n.value.slice(0, -1);
        }
      },
    });
  }
  return { file, text, value: doc.toJS({ maxAliasCount: 1000 }) as unknown, root: doc.contents as Node | null, lines };
}

/** The text of a node, dedented to column 0, as a `- ` list item. */
function itemText(y: YamlFile, node: Node): string {
  const [start, end] = node.range ?? [0, 0];
  const lineStart = y.text.lastIndexOf('\n', start - 1) + 1;
  const col = start - lineStart;
  const body = y.text.slice(start, end).replace(/\s+$/, '');
  const lines = body.split('\n').map((l, i) => (i === 0 ? l : l.slice(Math.min(col, l.length - l.trimStart().length))));
  return lines.map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)).join('\n');
}

/** Reads a sequence node of tasks, keeping each one's text and line, recursing into blocks. */
export function readTasks(y: YamlFile, node: Node | null | undefined): SourceTask[] {
  if (!node || !isSeq(node)) return [];
  const out: SourceTask[] = [];
  for (const item of node.items) {
    if (!isMap(item)) continue;
    const data = (item.toJSON() as Record<string, unknown>) ?? {};
    const children: Partial<Record<'block' | 'rescue' | 'always', SourceTask[]>> = {};
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if ((key === 'block' || key === 'rescue' || key === 'always') && isSeq(pair.value)) {
        children[key] = readTasks(y, pair.value as Node);
      }
    }
    out.push({
      data,
      text: itemText(y, item as Node),
      file: y.file,
      line: y.lines.linePos(item.range?.[0] ?? 0).line,
      ...(Object.keys(children).length ? { children } : {}),
    });
  }
  return out;
}

/** The child node under `key` of a map node. */
export function child(node: Node | null | undefined, key: string): Node | undefined {
  if (!node || !isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && pair.key.value === key) return pair.value as Node;
  }
  return undefined;
}

/** Items of a sequence node. */
export function items(node: Node | null | undefined): Node[] {
  return node && isSeq(node) ? (node.items as Node[]) : [];
}

export function lineOf(y: YamlFile, node: Node): number {
  return y.lines.linePos(node.range?.[0] ?? 0).line;
}

export function textOf(y: YamlFile, node: Node): string {
  return itemText(y, node);
}
