import { markSecret } from '../../runtime/secret.ts';
import type { KubeClient, ListOptions } from './client.ts';
import type { KubeObject, KubeRef } from './types.ts';

/**
 * Declares the values of a Secret's data as secret, so that whatever a later task does with
 * the object, those values are masked in events and errors. `plain` names the keys a manifest
 * sets to plain text (not from a secret source): those are left alone, so ordinary words in a
 * Secret do not vanish from every output. (A diff still shows such a key only while it holds
 * the manifest's text: see `renderDiff`.)
 */
export function guardSecretValues<T extends KubeObject | undefined>(obj: T, plain: Readonly<Record<string, string>> = {}): T {
  if (obj?.kind === 'Secret' && obj.data && typeof obj.data === 'object') {
    for (const [k, v] of Object.entries(obj.data as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      if (Object.hasOwn(plain, k)) continue;
      markSecret(v);
      markSecret(Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  return obj;
}

/**
 * The keys of a Secret manifest set to plain text, with their text: `stringData` strings, and
 * `data` strings decoded. A key whose value is a {@link Secret} (from a secret source) is not
 * among them. Empty for any other kind.
 */
export function plainSecretValues(m: { kind?: string; data?: unknown; stringData?: unknown }): Record<string, string> {
  const out: Record<string, string> = {};
  if (m.kind !== 'Secret') return out;
  for (const [k, v] of Object.entries((m.data ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  for (const [k, v] of Object.entries((m.stringData ?? {}) as Record<string, unknown>)) {
    if (typeof v === 'string') out[k] = v;
    else delete out[k];
  }
  return out;
}

/** Reads one object; undefined when it (or its kind) does not exist. */
export async function readObject(client: KubeClient, ref: KubeRef, signal?: AbortSignal): Promise<KubeObject | undefined> {
  return guardSecretValues(await client.get(ref, signal));
}

/** Lists objects of a kind, optionally in one namespace and by label or field selector. */
export async function listObjects(client: KubeClient, apiVersion: string, kind: string, opts: ListOptions = {}, signal?: AbortSignal): Promise<KubeObject[]> {
  const items = await client.list(apiVersion, kind, opts, signal);
  return items.map((o) => guardSecretValues(o));
}
