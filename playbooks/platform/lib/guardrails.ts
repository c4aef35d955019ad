import { existsSync, readFileSync } from 'node:fs';
import { defineTask, noChange, type Task } from 'helix';
import { ciPolicyChecks, parseTerraformDirs, stateKeys, terraformChecks, worst, type CheckResult } from 'helix/verify';
import type { Platform } from './context.ts';

/** Section A checks of the environment's Terraform files (static; helix never runs terraform). */
export async function terraformResults(p: Platform): Promise<CheckResult[]> {
  const t = p.v.terraform;
  const dirs = [p.path(t.dir), ...t.extra_dirs.map(p.path)];
  const { files, errors } = await parseTerraformDirs(dirs);
  const out = terraformChecks(files, errors, p.env.inventoryDir);
  if (t.ci_policy) {
    const file = p.path(t.ci_policy);
    out.push(
      ...(existsSync(file)
        ? ciPolicyChecks(file, readFileSync(file, 'utf8'), stateKeys(files), p.env.inventoryDir)
        : [
            {
              section: 'A' as const,
              id: 'A.ci-policy',
              title: 'CI policy can release the state lock',
              status: 'FAIL' as const,
              evidence: `${file}: missing`,
              fix: 'set terraform.ci_policy to the CI role policy JSON',
            },
          ]),
    );
  }
  return out;
}

/**
 * Fails the play before anything is deployed when the Terraform guardrails do not hold
 * (backend locking and encryption, the CI lock permission, the 002 hard boundary).
 */
export function terraformGuardrails(p: Platform): Task<CheckResult[]> {
  return defineTask<CheckResult[]>({
    kind: 'platform.terraformGuardrails',
    name: 'terraform-guardrails',
    plan: async () => {
      const results = await terraformResults(p);
      const failed = results.filter((r) => r.status === 'FAIL');
      if (failed.length) throw new Error(`Terraform guardrails fail: ${failed.map((r) => `${r.id}: ${r.evidence}`).join('; ')}`);
      const warns = results.filter((r) => r.status === 'WARN').length;
      return noChange(`Terraform guardrails ${worst(results)} (${results.length} checks${warns ? `, ${warns} warnings` : ''})`, results);
    },
  });
}
