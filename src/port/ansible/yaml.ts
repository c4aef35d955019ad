import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type ScalarTag } from 'yaml';
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
  return [
    ...rest,
    pick(true, /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/),
    pick(false, /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/),
    ...TAGS,
  ];
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

export function parseYamlText(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', customTags: pyyamlTags, lineCounter: lines, prettyErrors: true, uniqueKeys: false });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new Error(`${file}: ${e.message.split('\n')[0]}`);
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
