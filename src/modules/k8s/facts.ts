import { markSecret } from '../../runtime/secret.ts';
import type { KubeClient, ListOptions } from './client.ts';
import type { KubeObject, KubeRef } from './types.ts';

/**
 * Declares every value of a Secret's data as secret, so that whatever a later task does
 * with the object, those values are masked in events and errors.
 */
export function guardSecretValues<T extends KubeObject | undefined>(obj: T): T {
  if (obj?.kind === 'Secret' && obj.data && typeof obj.data === 'object') {
    for (const v of Object.values(obj.data as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      markSecret(v);
      markSecret(Buffer.from(v, 'base64').toString('utf8'));
    }
  }
  return obj;
}

/** Reads one object; undefined when it (or its kind) does not exist. */
export async function readObject(client: KubeClient, ref: KubeRef, signal?: AbortSignal): Promise<KubeObject | undefined> {
  return guardSecretValues(await client.get(ref, signal));
}

/** Lists objects of a kind, optionally in one namespace and by label or field selector. */
export async function listObjects(
  client: KubeClient,
  apiVersion: string,
  kind: string,
  opts: ListOptions = {},
  signal?: AbortSignal,
): Promise<KubeObject[]> {
  const items = await client.list(apiVersion, kind, opts, signal);
  return items.map((o) => guardSecretValues(o));
}
