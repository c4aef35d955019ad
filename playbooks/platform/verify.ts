import { defineReadiness } from 'helix/verify';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';
import { terraformResults } from './lib/guardrails.ts';
import { argoRules } from './lib/manifests.ts';
import { liveChecks } from './readiness/live.ts';
import { ARGO_RULE_TESTS, ruleTestChecks } from './readiness/rule-tests.ts';
import { SECTIONS } from './readiness/sections.ts';
import { planChecks } from './readiness/terraform-plan.ts';
import { staticChecks } from './readiness/static.ts';

/**
 * The platform's readiness checks (`helix verify platform`, and its test playbook 88): the
 * Terraform guardrails, the drift of the module `terraform.plan` names (tofu plan), what helix
 * would apply and the alert rules' unit tests (static), then the live cluster.
 */
export default defineReadiness<PlatformVars>({
  sections: SECTIONS,
  check: async (ctx) => {
    const p = platform(ctx.env);
    const ruleTests = [ARGO_RULE_TESTS, ...p.v.prometheus.rule_tests.map(p.path)];
    const results = [
      ...(await terraformResults(p)),
      ...(await planChecks(p)),
      ...staticChecks(p.v, p.envName),
      ...(await ruleTestChecks(argoRules(p.v), ruleTests)),
    ];
    if (!ctx.static) results.push(...(await liveChecks(p.v, p.envName, ctx.kube(), ctx.helm())));
    return results;
  },
});
