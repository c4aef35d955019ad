import { stringify as toYaml } from 'yaml';

/**
 * The only helpers a template may call. Templates render content; anything that decides
 * (conditions, loops) is TypeScript that computes the value passed in.
 */
export const HELPERS = {
  /** `{{b64 value}}`: base64 of the value's UTF-8 text (Kubernetes Secret `data`). */
  b64: (value: unknown): string => Buffer.from(scalar('b64', value), 'utf8').toString('base64'),
  /** `{{json value}}`: the value as one-line JSON (also valid YAML). */
  json: (value: unknown): string => JSON.stringify(value) ?? 'null',
  /** `{{yaml value}}`: the value as block YAML, without the trailing newline. Combine with `indent`. */
  yaml: (value: unknown): string => toYaml(value).replace(/\n$/, ''),
  /**
   * `{{indent 4 text}}`: indents every line but the first by `n` spaces, so the text can
   * follow a key already at that column:
   * ```
   * labels:
   *     {{indent 4 (yaml labels)}}
   * ```
   */
  indent: (n: unknown, text: unknown): string => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new Error('indent: the first argument must be a whole number of spaces');
    const pad = ' '.repeat(n);
    return String(text)
      .split('\n')
      .map((line, i) => (i === 0 || line === '' ? line : pad + line))
      .join('\n');
  },
  /** `{{quote value}}`: a double-quoted, escaped string (valid in YAML and JSON). */
  quote: (value: unknown): string => JSON.stringify(scalar('quote', value)),
} as const;

export type HelperName = keyof typeof HELPERS;

/** How many arguments each helper takes. */
export const HELPER_ARITY: Readonly<Record<HelperName, number>> = { b64: 1, json: 1, yaml: 1, indent: 2, quote: 1 };

export function isHelper(name: string): name is HelperName {
  return Object.hasOwn(HELPERS, name);
}

function scalar(helper: string, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${helper}: takes a string, number or boolean, got ${value === null ? 'null' : typeof value}`);
}
