import { parseAllDocuments } from 'yaml';
import { canonical } from './values.ts';

/** A rendered object, keyed `apiVersion/Kind/namespace/name` (namespace empty when unset). */
export type ManifestSet = Map<string, Record<string, unknown>>;

/** Parses a multi-document YAML stream (helm template / helm get manifest output). */
export function parseManifests(text: string, defaultNamespace = ''): ManifestSet {
  const out: ManifestSet = new Map();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`malformed manifest: ${doc.errors[0]!.message.split('\n')[0]}`);
    const obj = doc.toJS() as unknown;
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) continue;
    const o = obj as Record<string, unknown>;
    // A List is flattened, as the API server would.
    const items = o.kind === 'List' && Array.isArray(o.items) ? (o.items as Record<string, unknown>[]) : [o];
    for (const item of items) out.set(objectKey(item, defaultNamespace), item);
  }
  return out;
}

export function objectKey(o: Record<string, unknown>, defaultNamespace = ''): string {
  const meta = (o.metadata ?? {}) as { name?: string; namespace?: string };
  return `${String(o.apiVersion)}/${String(o.kind)}/${meta.namespace ?? defaultNamespace}/${meta.name ?? ''}`;
}

export interface ManifestDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Which objects a new render adds, removes or changes compared with the deployed manifest. */
export function diffManifests(deployed: ManifestSet, wanted: ManifestSet): ManifestDiff {
  const added = [...wanted.keys()].filter((k) => !deployed.has(k)).sort();
  const removed = [...deployed.keys()].filter((k) => !wanted.has(k)).sort();
  const changed = [...wanted.keys()].filter((k) => deployed.has(k) && canonical(deployed.get(k)) !== canonical(wanted.get(k))).sort();
  return { added, removed, changed };
}

export function isEmptyDiff(d: ManifestDiff): boolean {
  return d.added.length + d.removed.length + d.changed.length === 0;
}

/** Kind/namespace/name without the apiVersion, for summaries. */
export function shortKey(key: string): string {
  const parts = key.split('/');
  // apiVersion may itself hold a slash (apps/v1).
  const [kind, ns, name] = parts.slice(-3);
  return ns ? `${kind}/${ns}/${name}` : `${kind}/${name}`;
}

/** Text of a set of objects for `--diff`, with Secret data replaced by its key names. */
export function describeObjects(set: ManifestSet, keys: readonly string[]): string {
  return keys
    .map((k) => {
      const o = set.get(k);
      if (!o) return '';
      const shown = o.kind === 'Secret' ? { ...o, data: keyNames(o.data), stringData: keyNames(o.stringData) } : o;
      return `# ${shortKey(k)}\n${JSON.stringify(shown, null, 2)}\n`;
    })
    .join('');
}

function keyNames(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return undefined;
  return Object.fromEntries(Object.keys(v).map((k) => [k, '(hidden)']));
}
