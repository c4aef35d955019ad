import type { Env } from '../runtime/env.ts';
import { ConfigError } from '../runtime/errors.ts';
import { helmCli } from '../modules/helm/cli.ts';
import { readRelease, readReleaseValues, type ReleaseFacts } from '../modules/helm/facts.ts';
import { kubeReader, type KubeReader } from './kube.ts';
import type { CheckResult, Sections } from './report.ts';

/** The read-only view of Helm releases the checks use; unit tests pass a fake. */
export interface HelmReader {
  /** The release (any status), or undefined when helm has none. */
  release(name: string, namespace: string): Promise<ReleaseFacts | undefined>;
  /** The user-supplied values of the deployed release (`helm get values`). */
  values(name: string, namespace: string): Promise<Record<string, unknown>>;
}

/** What a component's readiness checks receive. */
export interface ReadinessContext<V> {
  env: Env<V>;
  /** No cluster: check files and what helix would apply only (CI pre-merge). */
  static: boolean;
  /** The cluster, read-only. Throws a ConfigError when the environment names no cluster. */
  kube(): KubeReader;
  /** Helm releases of the cluster. Throws a ConfigError when the environment names no cluster. */
  helm(): HelmReader;
}

/** A component's readiness checks: `verify.ts` in the component folder, found by `helix verify <component>`. */
export interface Readiness<V = any> {
  readonly type: 'readiness';
  /** Report sections in order, key → title. */
  readonly sections: Sections;
  check(ctx: ReadinessContext<V>): Promise<CheckResult[]>;
}

/**
 * Defines a component's readiness checks. `helix verify <component>` loads the default export
 * of the component's `verify.ts`, and its test playbook (`88_*`) can run the same checks.
 *
 * ```ts
 * export default defineReadiness<MyVars>({
 *   sections: { A: 'Storage' },
 *   check: async (ctx) => [ctx.static ? warn('A', 'pvc', 'PVC bound', 'static: not read', 'run live') : …],
 * });
 * ```
 */
export function defineReadiness<V>(spec: { sections: Sections; check: (ctx: ReadinessContext<V>) => Promise<CheckResult[]> }): Readiness<V> {
  return { type: 'readiness', sections: spec.sections, check: spec.check };
}

/** The context of a real verification: the environment's cluster and Helm, read lazily. */
export function readinessContext<V>(env: Env<V>, o: { static: boolean; kube?: KubeReader; helm?: HelmReader }): ReadinessContext<V> {
  const noCluster = (): ConfigError => new ConfigError(`environment ${env.name} names no Kubernetes cluster: use --static`, `inventory/${env.name}.yaml`);
  let kube = o.kube;
  let helm = o.helm;
  return {
    env,
    static: o.static,
    kube: () => {
      if (kube) return kube;
      if (!env.kubernetes) throw noCluster();
      return (kube = kubeReader(env.kubernetes));
    },
    helm: () => {
      if (helm) return helm;
      if (!env.kubernetes) throw noCluster();
      const cli = helmCli(env.kubernetes);
      return (helm = { release: (name, ns) => readRelease(cli, name, ns), values: (name, ns) => readReleaseValues(cli, name, ns) });
    },
  };
}

/** Runs the checks and orders the results by the component's sections. */
export async function runReadiness<V>(readiness: Readiness<V>, ctx: ReadinessContext<V>): Promise<CheckResult[]> {
  const results = await readiness.check(ctx);
  const order = Object.keys(readiness.sections);
  const rank = (s: string): number => (order.includes(s) ? order.indexOf(s) : order.length);
  return results
    .map((r, i) => ({ r, i }))
    .sort((a, b) => rank(a.r.section) - rank(b.r.section) || a.i - b.i)
    .map(({ r }) => r);
}
