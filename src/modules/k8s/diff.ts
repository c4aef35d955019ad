import { stringify } from 'yaml';
import { maskDeep, SECRET_MASK } from '../../runtime/secret.ts';
import { changedPaths, deepEqual, stripNoise, summarizePaths } from './normalize.ts';
import type { KubeObject } from './types.ts';

type Data = Record<string, unknown> | undefined;

/** Keys of a Secret's data that were added, changed or removed (never the values). */
export interface SecretKeyChanges {
  added: string[];
  changed: string[];
  removed: string[];
}

/** `stringData` is folded into `data` by the server; compare their union, key by key. */
function secretValues(obj: KubeObject | undefined): Record<string, unknown> {
  if (!obj) return {};
  const data = (obj.data ?? {}) as Record<string, unknown>;
  const stringData = (obj.stringData ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = v;
  for (const [k, v] of Object.entries(stringData)) out[k] = typeof v === 'string' ? Buffer.from(v, 'utf8').toString('base64') : v;
  return out;
}

export function secretKeyChanges(before: KubeObject | undefined, after: KubeObject | undefined): SecretKeyChanges {
  const b = secretValues(before);
  const a = secretValues(after);
  const added = Object.keys(a)
    .filter((k) => !(k in b))
    .sort();
  const removed = Object.keys(b)
    .filter((k) => !(k in a))
    .sort();
  // A Secret instance (a planned create, never sent) compares unequal: it is shown as set.
  const changed = Object.keys(a)
    .filter((k) => k in b && !deepEqual(a[k], b[k]))
    .sort();
  return { added, changed, removed };
}

function maskValues(data: Data, mark: (key: string) => string, plain: ReadonlySet<string>): Data {
  if (!data || typeof data !== 'object') return data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, plain.has(k) && typeof v === 'string' ? v : mark(k)]));
}

/**
 * Replaces the values of a Secret's `data` and `stringData` with a mask, except those of the
 * `plain` keys (set to plain text by the manifest, not from a secret source). In `after`, a
 * changed key reads `******** (changed)`, so a line diff shows which keys changed and nothing
 * else. A plain key's value that once held a secret is still masked as text.
 */
export function maskSecretData(obj: KubeObject, changedKeys: ReadonlySet<string> = new Set(), plain: ReadonlySet<string> = new Set()): KubeObject {
  const out: KubeObject = { ...obj };
  const mark = (k: string): string => (changedKeys.has(k) ? `${SECRET_MASK} (changed)` : SECRET_MASK);
  // A plain key is shown as the text it holds, under stringData, as a manifest gives it.
  let data = obj.data as Data;
  let text = obj.stringData as Data;
  if (plain.size && data && typeof data === 'object') {
    const decoded = Object.entries(data).filter(([k, v]) => plain.has(k) && typeof v === 'string');
    if (decoded.length) {
      data = Object.fromEntries(Object.entries(data).filter(([k]) => !decoded.some(([d]) => d === k)));
      text = { ...Object.fromEntries(decoded.map(([k, v]) => [k, Buffer.from(v as string, 'base64').toString('utf8')])), ...(text ?? {}) };
    }
  }
  if (data !== undefined) out.data = maskValues(data, mark, new Set());
  if (text !== undefined) out.stringData = maskValues(text, mark, plain);
  return out;
}

/**
 * The keys of a Secret whose value is shown: those holding exactly the plain text the manifest
 * gives them. A key the manifest sets to plain text but that holds something else (an older
 * value, perhaps once a secret) stays masked.
 */
function showable(obj: KubeObject, plain: Readonly<Record<string, string>>): Set<string> {
  const text = (obj.stringData ?? {}) as Record<string, unknown>;
  const data = (obj.data ?? {}) as Record<string, unknown>;
  const plainValue = (k: string): string | undefined =>
    typeof text[k] === 'string' ? (text[k] as string) : typeof data[k] === 'string' ? Buffer.from(data[k] as string, 'base64').toString('utf8') : undefined;
  return new Set(Object.keys(plain).filter((k) => plainValue(k) === plain[k]));
}

/** Lists of what changed, for a Change summary. */
export function describeChange(before: KubeObject | undefined, after: KubeObject): string {
  if (!before) return 'create';
  if (after.kind === 'Secret') {
    const keys = secretKeyChanges(before, after);
    const other = changedPaths(withoutData(stripNoise(before)), withoutData(stripNoise(after)));
    const parts = [
      keys.added.length ? `data keys added: ${keys.added.join(', ')}` : '',
      keys.changed.length ? `data keys changed: ${keys.changed.join(', ')}` : '',
      keys.removed.length ? `data keys removed: ${keys.removed.join(', ')}` : '',
      other.length ? summarizePaths(other) : '',
    ].filter(Boolean);
    return parts.join('; ') || 'no field changes';
  }
  return summarizePaths(changedPaths(stripNoise(before), stripNoise(after)));
}

function withoutData(obj: KubeObject): KubeObject {
  const { data: _d, stringData: _s, ...rest } = obj;
  return rest as KubeObject;
}

function yaml(obj: KubeObject | undefined): string {
  return obj ? stringify(maskDeep(obj), { lineWidth: 0 }) : '';
}

/**
 * The `--diff` text of one object: YAML before (live, or empty for a create) and after
 * (the server's dry-run result, or the manifest), without server noise. A Secret's values from
 * secret sources never appear: only their keys, with changed ones marked. The `plain` keys (set
 * to plain text by the manifest) are shown as they are.
 */
export function renderDiff(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  plain: Readonly<Record<string, string>> = {},
): { before: string; after: string } {
  let b = before && stripNoise(before);
  let a = after && stripNoise(after);
  const kind = after?.kind ?? before?.kind;
  if (kind === 'Secret') {
    const keys = secretKeyChanges(before, after);
    if (b) b = maskSecretData(b, new Set(), showable(b, plain));
    if (a) a = maskSecretData(a, new Set(keys.changed), showable(a, plain));
  }
  return { before: yaml(b), after: yaml(a) };
}
