import type { KubeObject } from './types.ts';

/** Metadata the server manages: never part of what helix compares or shows. */
const NOISY_METADATA = ['resourceVersion', 'managedFields', 'generation', 'uid', 'creationTimestamp', 'selfLink'];

/** Annotations the server or other tools add as bookkeeping. */
export const NOISY_ANNOTATIONS = new Set(['kubectl.kubernetes.io/last-applied-configuration', 'deployment.kubernetes.io/revision']);

/**
 * A copy of an object without server-managed noise: resourceVersion, managedFields,
 * generation, uid, creationTimestamp, status and bookkeeping annotations. What is left is
 * what a manifest can change, so "dry-run result equals live object" means nothing to do.
 */
export function stripNoise(obj: KubeObject): KubeObject {
  const { metadata } = obj;
  const md: Record<string, unknown> = { ...metadata };
  for (const k of NOISY_METADATA) delete md[k];
  if (metadata.annotations) {
    const kept = Object.fromEntries(Object.entries(metadata.annotations).filter(([k]) => !NOISY_ANNOTATIONS.has(k)));
    if (Object.keys(kept).length) md.annotations = kept;
    else delete md.annotations;
  }
  // Rebuilt key by key, so the YAML of a diff keeps the server's order (metadata near the top).
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'status') continue;
    out[k] = k === 'metadata' ? md : v;
  }
  return out as KubeObject;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}

function segment(parent: string, key: string): string {
  const k = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `"${key}"`;
  return parent ? `${parent}.${k}` : k;
}

/**
 * Dotted paths where `before` and `after` differ: `spec.replicas`,
 * `metadata.labels."app.kubernetes.io/name"`, `spec.template.spec.containers[0].image`.
 * Lists of different lengths are reported whole. Only paths, never values.
 */
export function changedPaths(before: unknown, after: unknown, path = ''): string[] {
  if (deepEqual(before, after)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((k) => changedPaths(before[k], after[k], segment(path, k)));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((v, i) => changedPaths(v, after[i], `${path}[${i}]`));
  }
  return [path || '(root)'];
}

/** One line: the first few changed paths and how many more. */
export function summarizePaths(paths: readonly string[], max = 5): string {
  if (paths.length === 0) return 'no field changes';
  const shown = paths.slice(0, max).join(', ');
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}
