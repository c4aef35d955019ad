import type { z } from 'zod';
import type { Env } from '../runtime/env.ts';
import { ValidationError } from '../runtime/errors.ts';
import { componentVars, envOf, type Inventory, loadInventory } from '../runtime/inventory.ts';
import type { Component } from '../runtime/playbook.ts';

/**
 * Loads the environment like a run does. In static mode secrets are never read, so secret
 * references to unset environment variables are given placeholders instead of failing (CI
 * validates an environment without its secrets).
 */
function inventoryFor(root: string, env: string, staticOnly: boolean): Inventory {
  try {
    return loadInventory(root, env);
  } catch (error) {
    if (!staticOnly || !(error instanceof ValidationError)) throw error;
    const unset = error.problems.map((p) => /secret from environment variable (\S+) is not set/.exec(p.message)?.[1]);
    if (unset.some((u) => u === undefined)) throw error;
    const saved = new Map<string, string | undefined>();
    for (const name of unset as string[]) {
      saved.set(name, process.env[name]);
      process.env[name] = `(unset in static verification: ${name})`;
    }
    try {
      return loadInventory(root, env);
    } finally {
      for (const [k, v] of saved)
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  }
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  const plain = (x: unknown): x is Record<string, unknown> =>
    x !== null && typeof x === 'object' && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
  for (const [k, v] of Object.entries(over)) out[k] = plain(out[k]) && plain(v) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * A component's environment for its readiness checks: the inventory validated against the
 * component's schema, with `set` overrides (objects merge key by key, as `--set` does for a run).
 */
export function readinessEnv<V>(root: string, component: Component, envName: string, staticOnly: boolean, set: Record<string, unknown> = {}): Env<V> {
  const inventory = inventoryFor(root, envName, staticOnly);
  const { vars: inventoryVars, provenance } = componentVars(inventory, component.name);
  const vars = merge(inventoryVars, set);
  const parsed = (component.vars as z.ZodType).safeParse(vars);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: `${component.name}/vars.${i.path.map(String).join('.')}`, message: i.message })));
  }
  return envOf(inventory, parsed.data as V, provenance);
}
