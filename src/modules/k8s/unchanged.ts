import { FIELD_MANAGER } from './client.ts';
import { deepEqual } from './normalize.ts';
import type { KubeObject, Manifest } from './types.ts';

/** A `fieldsV1` node: `f:<field>`, `k:<list-map key>`, `v:<set value>`, `i:<index>` and `.` (the node itself). */
export type FieldSet = Record<string, unknown>;

export const isPlain = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

function children(f: FieldSet): string[] {
  return Object.keys(f).filter((k) => k !== '.');
}

/** `k:{"containerPort":8080,"protocol":"TCP"}` names the live element whose key fields hold these values. */
export function keyMatches(entry: string, live: unknown): boolean {
  let key: unknown;
  try {
    key = JSON.parse(entry.slice(2));
  } catch {
    return false;
  }
  return isPlain(key) && isPlain(live) && Object.entries(key).every(([k, v]) => deepEqual(live[k], v));
}

/**
 * A list helix set: a list-map (`k:` entries, one per element, paired with live elements in
 * the same order and number) or a set of scalars (`v:` entries). Anything else: not proven.
 */
function coversList(m: readonly unknown[], f: FieldSet, kids: string[], live: unknown): boolean {
  if (!Array.isArray(live) || live.length !== m.length || kids.length !== m.length) return false;
  if (kids.every((k) => k.startsWith('k:'))) {
    const used = new Set<string>();
    return m.every((item, i) => {
      const candidates = kids.filter((k) => !used.has(k) && keyMatches(k, live[i]));
      if (candidates.length !== 1) return false;
      used.add(candidates[0]!);
      const entry = f[candidates[0]!];
      return isPlain(entry) && covers(item, entry, live[i]);
    });
  }
  if (kids.every((k) => k.startsWith('v:'))) {
    return deepEqual(m, live) && m.every((v) => kids.includes(`v:${JSON.stringify(v)}`));
  }
  return false;
}

/**
 * True when `f` (helix's field set at this node) holds exactly the fields `m` (the manifest at
 * this node) sets, and `live` already holds `m`'s values. A leaf of the field set is a value
 * helix owns whole (a scalar, or an atomic list or map): it must be equal as a whole.
 */
function covers(m: unknown, f: FieldSet, live: unknown): boolean {
  if (m === null || m === undefined || live === undefined) return false;
  const kids = children(f);
  if (kids.length === 0) return deepEqual(m, live);
  if (Array.isArray(m)) return coversList(m, f, kids, live);
  if (!isPlain(m) || !isPlain(live)) return false;
  const keys = Object.keys(m).filter((k) => m[k] !== undefined);
  if (keys.length !== kids.length) return false;
  return keys.every((k) => {
    const sub = f[`f:${k}`];
    return isPlain(sub) && Object.hasOwn(live, k) && covers(m[k], sub, live[k]);
  });
}

/**
 * Whether a server-side apply of `desired` (field manager `helix`) would provably store `live`
 * unchanged, so the plan may skip the server's dry run. Server-side apply sets every field of
 * the manifest to the manifest's value and removes the fields helix set last time that the
 * manifest no longer has. So the apply is a no-op when:
 *
 * 1. `live` has exactly one managedFields entry of manager `helix`, operation `Apply`, for the
 *    manifest's apiVersion and the main resource (what helix's last apply set); or none, when
 *    the manifest sets no field besides its name (a bare Namespace);
 * 2. that field set is exactly the set of fields the manifest sets: nothing would be removed,
 *    and helix already owns every field it sets, so no other manager can conflict; and
 * 3. every value the manifest sets is already live: scalars equal, and a value helix owns whole
 *    (an atomic list or map) equal as a whole; list-map elements paired one to one, in order.
 *
 * Anything it cannot prove (a null, a value the server normalises, an unknown field-set entry,
 * a list another manager added to, a Secret value) answers false, and the dry run decides as
 * before. What this does not see, by design, is what the server would add on its own to an
 * object the manifest already describes (a mutating webhook, a default introduced by an
 * upgrade): those are not changes the playbook asks for (docs/performance.md).
 */
export function appliedAlready(desired: Manifest, live: KubeObject): boolean {
  if (desired.apiVersion !== live.apiVersion || desired.kind !== live.kind) return false;
  const { apiVersion: _v, kind: _k, metadata, ...rest } = desired;
  const { name, namespace, ...md } = metadata;
  if (name !== live.metadata.name || (namespace ?? '') !== (live.metadata.namespace ?? '')) return false;
  const wanted: Record<string, unknown> = Object.keys(md).length ? { ...rest, metadata: md } : rest;
  const managed = live.metadata.managedFields ?? [];
  if (!Array.isArray(managed)) return false;
  const mine = managed.filter((e: unknown) => isPlain(e) && e.manager === FIELD_MANAGER && e.operation === 'Apply');
  // A manifest of nothing but its name owns nothing (the server records no empty field set).
  if (mine.length === 0) return Object.keys(wanted).length === 0;
  if (mine.length !== 1) return false;
  const entry = mine[0] as Record<string, unknown>;
  if (entry.subresource || entry.apiVersion !== desired.apiVersion || entry.fieldsType !== 'FieldsV1' || !isPlain(entry.fieldsV1)) return false;
  if (Object.keys(wanted).length === 0) return children(entry.fieldsV1).length === 0;
  return covers(wanted, entry.fieldsV1, live);
}
