import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSecret, maskDeep, type Secret } from '../../runtime/secret.ts';

/** A chart value: plain JSON, or a {@link Secret} that is revealed only into the values file. */
export type HelmValue = string | number | boolean | null | Secret | readonly HelmValue[] | HelmValues;
export interface HelmValues {
  readonly [key: string]: HelmValue | undefined;
}

/** Plain JSON with every Secret revealed: what helm reads. Only for the 0600 values file and comparisons. */
export function revealValues(values: HelmValues): Record<string, unknown> {
  const walk = (v: unknown): unknown => {
    if (isSecret(v)) return v.reveal();
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(values) as Record<string, unknown>;
}

/** The values with secrets masked, for diffs and events. */
export function maskedValues(values: HelmValues): Record<string, unknown> {
  return maskDeep(JSON.parse(JSON.stringify(values)) as Record<string, unknown>);
}

/**
 * Writes the values to a fresh 0600 file in a 0700 folder, runs `fn` with its path and
 * removes the folder whatever happens. Values may hold secrets: they never reach argv.
 */
export async function withValuesFile<T>(values: HelmValues, fn: (file: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'helix-helm-'));
  try {
    const file = join(dir, 'values.json');
    // JSON is YAML; helm reads it as a values file.
    writeFileSync(file, JSON.stringify(revealValues(values)), { mode: 0o600, flag: 'wx' });
    return await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Dotted paths where two JSON values differ (`a.b`, `list[2]`), for a one-line summary. */
export function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isPlain(a) && isPlain(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    return a.flatMap((x, i) => changedPaths(x, b[i], `${prefix}[${i}]`));
  }
  return canonical(a) === canonical(b) ? [] : [prefix || '(root)'];
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** JSON with sorted keys: equal values give equal strings. */
export function canonical(v: unknown): string {
  if (v === undefined) return 'undefined';
  return JSON.stringify(sortKeys(v));
}

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isPlain(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
}
