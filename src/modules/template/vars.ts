import { isSecret } from '../../runtime/secret.ts';

/** True when a Secret is anywhere in `value` (objects and arrays are searched). */
export function holdsSecret(value: unknown, seen = new Set<unknown>()): boolean {
  if (isSecret(value)) return true;
  if (typeof value !== 'object' || value === null || seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => holdsSecret(v, seen));
}

/**
 * The context a template renders with: plain objects and arrays copied, `undefined`
 * properties dropped (so strict mode calls them undefined) and Secrets revealed, because a
 * template is exactly where a secret must become text (a Secret manifest, a config file).
 * `hasSecrets` tells the caller the output must be treated as secret.
 */
export function templateContext(vars: Record<string, unknown>): { context: Record<string, unknown>; hasSecrets: boolean } {
  let hasSecrets = false;
  const copy = (value: unknown): unknown => {
    if (isSecret(value)) {
      hasSecrets = true;
      return value.reveal();
    }
    if (Array.isArray(value)) return value.map(copy);
    if (typeof value === 'object' && value !== null && isPlain(value)) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = copy(v);
      return out;
    }
    return value;
  };
  const context = copy(vars) as Record<string, unknown>;
  return { context, hasSecrets };
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
