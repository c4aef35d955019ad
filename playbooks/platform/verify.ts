import { defineReadiness } from '../../src/verify/index.ts';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';
import { terraformResults } from './lib/guardrails.ts';
import { liveChecks } from './readiness/live.ts';
import { SECTIONS } from './readiness/sections.ts';
import { staticChecks } from './readiness/static.ts';

/**
 * The platform's readiness checks (`helix verify platform`, and its test playbook 88): the
 * Terraform guardrails and what helix would apply (static), then the live cluster.
 */
export default defineReadiness<PlatformVars>({
  sections: SECTIONS,
  check: async (ctx) => {
    const p = platform(ctx.env);
    const results = [...(await terraformResults(p)), ...staticChecks(p.v, p.envName)];
    if (!ctx.static) results.push(...(await liveChecks(p.v, p.envName, ctx.kube(), ctx.helm())));
    return results;
  },
});
