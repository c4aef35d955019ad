import type { z } from 'zod';
import type { PlatformVars } from '../../../playbooks/platform/component.ts';
import { terraformResults } from '../../../playbooks/platform/lib/guardrails.ts';
import { platform } from '../../../playbooks/platform/lib/context.ts';
import { readRelease } from '../../modules/helm/facts.ts';
import { helmCli } from '../../modules/helm/cli.ts';
import type { Env } from '../../runtime/env.ts';
import { ConfigError, ValidationError } from '../../runtime/errors.ts';
import { componentVars, envOf, type Inventory, loadInventory } from '../../runtime/inventory.ts';
import { findComponent, loadComponent } from '../../runtime/loader.ts';
import { kubeReader, type KubeReader } from '../kube.ts';
import type { CheckResult } from '../report.ts';
import { type HelmState, liveChecks } from './live.ts';
import { staticChecks } from './static.ts';

export interface VerifyOptions {
  root: string;
  env: string;
  /** Static checks only (no cluster): Terraform files and what helix would apply. */
  static?: boolean;
  /** Variable overrides, as `--set` gives them to a run (objects merge key by key). */
  set?: Record<string, unknown>;
  /** Seams for tests. */
  kube?: KubeReader;
  helm?: HelmState;
}

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
      for (const [k, v] of saved) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  const plain = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
  for (const [k, v] of Object.entries(over)) out[k] = plain(out[k]) && plain(v) ? merge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

export async function loadPlatformEnv(root: string, envName: string, staticOnly: boolean, set: Record<string, unknown> = {}): Promise<Env<PlatformVars>> {
  const inventory = inventoryFor(root, envName, staticOnly);
  const component = await loadComponent(findComponent(root, 'platform'));
  const { vars: inventoryVars, provenance } = componentVars(inventory, component.name);
  const vars = merge(inventoryVars, set);
  const parsed = (component.vars as z.ZodType).safeParse(vars);
  if (!parsed.success) {
    throw new ValidationError(parsed.error.issues.map((i) => ({ path: `platform/vars.${i.path.map(String).join('.')}`, message: i.message })));
  }
  return envOf(inventory, parsed.data as PlatformVars, provenance);
}

/** Every readiness check of the platform for one environment, sections A–J. */
export async function verifyPlatform(o: VerifyOptions): Promise<CheckResult[]> {
  const env = await loadPlatformEnv(o.root, o.env, o.static === true, o.set);
  const p = platform(env);
  const results = [...(await terraformResults(p)), ...staticChecks(p.v, p.envName)];
  if (!o.static) {
    if (!env.kubernetes && !o.kube) throw new ConfigError(`environment ${o.env} names no Kubernetes cluster: use --static`, `inventory/${o.env}.yaml`);
    const kube = o.kube ?? kubeReader(env.kubernetes);
    const helm: HelmState =
      o.helm ??
      ({
        status: async (release, namespace) => (await readRelease(helmCli(env.kubernetes), release, namespace))?.status,
      } satisfies HelmState);
    results.push(...(await liveChecks(p.v, p.envName, kube, helm)));
  }
  const order = 'ABCDEFGHIJ';
  return results.sort((a, b) => order.indexOf(a.section) - order.indexOf(b.section));
}
