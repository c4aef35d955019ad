import { findComponent, loadComponent, loadReadiness } from '../runtime/loader.ts';
import { readinessEnv } from './env.ts';
import type { KubeReader } from './kube.ts';
import { type HelmReader, type Readiness, readinessContext, runReadiness } from './readiness.ts';
import type { CheckResult, Sections } from './report.ts';

export interface VerifyOptions {
  root: string;
  /** Component name or path under playbooks/. */
  component: string;
  env: string;
  /** Static checks only (no cluster): files and what helix would apply. */
  static?: boolean;
  /** Variable overrides, as `--set` gives them to a run (objects merge key by key). */
  set?: Record<string, unknown>;
  /** Seams for tests. */
  kube?: KubeReader;
  helm?: HelmReader;
}

/** Every readiness check of a component in one environment, ordered by its sections. */
export async function verifyComponent(o: VerifyOptions): Promise<{ results: CheckResult[]; sections: Sections }> {
  const folder = findComponent(o.root, o.component);
  const readiness = (await loadReadiness(folder)) as Readiness;
  const component = await loadComponent(folder);
  const env = readinessEnv(o.root, component, o.env, o.static === true, o.set);
  const ctx = readinessContext(env, { static: o.static === true, ...(o.kube ? { kube: o.kube } : {}), ...(o.helm ? { helm: o.helm } : {}) });
  return { results: await runReadiness(readiness, ctx), sections: readiness.sections };
}
