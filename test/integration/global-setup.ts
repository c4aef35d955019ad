import type { TestProject } from 'vitest/node';
import type { SandboxOutputs } from '../../src/sandbox/outputs.ts';

/**
 * Brings the sandbox up once for the integration lane (idempotent: a running sandbox is
 * reused, so repeated runs start in seconds) and exports its endpoints to the tests, both as
 * environment variables (`KUBECONFIG`, `KEYCLOAK_URL`, … as `helix sandbox env` prints them)
 * and as `inject('sandbox')`.
 *
 * - `HELIX_SANDBOX_ONLY=k8s,redis` starts a subset (tests of other components skip).
 * - `HELIX_SANDBOX_DOWN_AFTER=1` brings it down after the run.
 * - Argo CD (opt-in in `sandbox up`) is started for the devpi Argo CD test unless
 *   `HELIX_SANDBOX_ARGOCD=0`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { down, env, up } = await import('../../src/sandbox/sandbox.ts');
  const only = process.env.HELIX_SANDBOX_ONLY?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  process.env.HELIX_SANDBOX_ARGOCD ??= '1';
  await up({ only });
  const outputs = env();
  for (const [k, v] of Object.entries(outputs.env)) process.env[k] = v;
  project.provide('sandbox', outputs);
  return async () => {
    if (process.env.HELIX_SANDBOX_DOWN_AFTER === '1') await down();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: SandboxOutputs;
  }
}
