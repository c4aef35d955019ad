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
  const added = Object.keys(a).filter((k) => !(k in b)).sort();
  const removed = Object.keys(b).filter((k) => !(k in a)).sort();
  // A Secret instance (a planned create, never sent) compares unequal: it is shown as set.
  const changed = Object.keys(a).filter((k) => k in b && !deepEqual(a[k], b[k])).sort();
  return { added, changed, removed };
}

function maskValues(data: Data, mark: (key: string) => string): Data {
  if (!data || typeof data !== 'object') return data;
  return Object.fromEntries(Object.keys(data).map((k) => [k, mark(k)]));
}

/**
 * Replaces every value of a Secret's `data` and `stringData` with a mask. In `after`, a
 * changed key reads `******** (changed)`, so a line diff shows which keys changed and
 * nothing else.
 */
export function maskSecretData(obj: KubeObject, changedKeys: ReadonlySet<string> = new Set()): KubeObject {
  const out: KubeObject = { ...obj };
  const mark = (k: string): string => (changedKeys.has(k) ? `${SECRET_MASK} (changed)` : SECRET_MASK);
  if ('data' in obj) out.data = maskValues(obj.data as Data, mark);
  if ('stringData' in obj) out.stringData = maskValues(obj.stringData as Data, mark);
  return out;
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
 * (the server's dry-run result, or the manifest), without server noise. A Secret's values
 * never appear: only its keys, with changed ones marked.
 */
export function renderDiff(before: KubeObject | undefined, after: KubeObject | undefined): { before: string; after: string } {
  let b = before && stripNoise(before);
  let a = after && stripNoise(after);
  const kind = after?.kind ?? before?.kind;
  if (kind === 'Secret') {
    const keys = secretKeyChanges(before, after);
    if (b) b = maskSecretData(b);
    if (a) a = maskSecretData(a, new Set(keys.changed));
  }
  return { before: yaml(b), after: yaml(a) };
}
