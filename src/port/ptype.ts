/**
 * The port's small model of value types: inferred from YAML values (defaults, vars, inventory),
 * carried through translated expressions, and printed both as zod schemas (component vars) and
 * as TypeScript types (role parameters).
 */
export type PType =
  | { readonly k: 'string' }
  | { readonly k: 'number' }
  | { readonly k: 'boolean' }
  | { readonly k: 'null' }
  | { readonly k: 'secret' }
  | { readonly k: 'array'; readonly of: PType }
  | { readonly k: 'object'; readonly fields: Readonly<Record<string, PType>> }
  /** A map with unknown keys (`dict2items` input, `combine` output). */
  | { readonly k: 'record'; readonly of: PType }
  /** Statically unknown (a registered result's unmapped part, `from_json`): any TypeScript value. */
  | { readonly k: 'any' };

export const T = {
  string: { k: 'string' },
  number: { k: 'number' },
  boolean: { k: 'boolean' },
  null: { k: 'null' },
  secret: { k: 'secret' },
  any: { k: 'any' },
  array: (of: PType): PType => ({ k: 'array', of }),
  record: (of: PType): PType => ({ k: 'record', of }),
  object: (fields: Record<string, PType>): PType => ({ k: 'object', fields }),
} as const satisfies Record<string, PType | ((...a: never[]) => PType)>;

/** The type of a YAML value: objects keep their fields, arrays unify their items. */
export function typeOf(value: unknown): PType {
  if (value === null || value === undefined) return T.null;
  if (typeof value === 'string') return T.string;
  if (typeof value === 'number') return T.number;
  if (typeof value === 'boolean') return T.boolean;
  if (Array.isArray(value)) return T.array(value.length ? value.map(typeOf).reduce(unify) : T.any);
  if (typeof value === 'object') {
    const fields: Record<string, PType> = {};
    for (const [k, v] of Object.entries(value)) fields[k] = typeOf(v);
    return T.object(fields);
  }
  return T.any;
}

/** The narrowest type both values fit (used for list items and a variable set in two places). */
export function unify(a: PType, b: PType): PType {
  if (a.k === 'any' || b.k === 'any') return T.any;
  if (a.k === 'null') return b;
  if (b.k === 'null') return a;
  if (a.k === b.k) {
    if (a.k === 'array' && b.k === 'array') return T.array(unify(a.of, b.of));
    if (a.k === 'record' && b.k === 'record') return T.record(unify(a.of, b.of));
    if (a.k === 'object' && b.k === 'object') {
      const keys = new Set([...Object.keys(a.fields), ...Object.keys(b.fields)]);
      const fields: Record<string, PType> = {};
      for (const k of keys) {
        const x = a.fields[k];
        const y = b.fields[k];
        // A field missing on one side is optional; the model keeps it, typed loosely.
        fields[k] = x && y ? unify(x, y) : (x ?? y)!;
      }
      return T.object(fields);
    }
    return a;
  }
  if (a.k === 'secret' || b.k === 'secret') return T.secret;
  return T.any;
}

/** The element type when iterating (`loop:` over a list, or a dict's items). */
export function elementOf(t: PType): PType {
  if (t.k === 'array') return t.of;
  return T.any;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function propertyKey(key: string): string {
  return IDENT.test(key) ? key : JSON.stringify(key);
}

/** The TypeScript type text (`{ name: string; port: number }[]`). */
export function tsType(t: PType): string {
  switch (t.k) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'null':
    case 'any':
      return t.k;
    case 'secret':
      return 'Secret';
    case 'array': {
      const inner = tsType(t.of);
      return /^[A-Za-z]+$/.test(inner) ? `${inner}[]` : `(${inner})[]`;
    }
    case 'record':
      return `Record<string, ${tsType(t.of)}>`;
    case 'object': {
      const entries = Object.entries(t.fields);
      if (!entries.length) return 'Record<string, unknown>';
      return `{ ${entries.map(([k, v]) => `${propertyKey(k)}: ${tsType(v)}`).join('; ')} }`;
    }
  }
}

/** The zod schema text (`z.object({ name: z.string() })`). `secret()` comes from 'helix'. */
export function zodType(t: PType): string {
  switch (t.k) {
    case 'string':
      return 'z.string()';
    case 'number':
      return 'z.number()';
    case 'boolean':
      return 'z.boolean()';
    case 'null':
    case 'any':
      return 'z.any()';
    case 'secret':
      return 'secret()';
    case 'array':
      return `z.array(${zodType(t.of)})`;
    case 'record':
      return `z.record(z.string(), ${zodType(t.of)})`;
    case 'object': {
      const entries = Object.entries(t.fields);
      if (!entries.length) return 'z.record(z.string(), z.any())';
      return `z.object({ ${entries.map(([k, v]) => `${propertyKey(k)}: ${zodType(v)}`).join(', ')} })`;
    }
  }
}
