import { fileURLToPath } from 'node:url';
import type { Manifest } from 'helix/modules/k8s';
import { findPromtool, testRules } from 'helix/modules/prometheus';
import { type CheckResult, fail, pass, warn } from 'helix/verify';
import { REQUIRED_ALERTS } from './objects.ts';

/** The component's own unit tests of the Argo CD alerts. */
export const ARGO_RULE_TESTS = fileURLToPath(new URL('../rules/argocd-alerts.test.yaml', import.meta.url));

/** The name the test files' `rule_files` give the rendered rules. */
export const ARGO_RULES_FILE = 'argocd-alerts.rules.yaml';

const ID = 'argocd-alerts-tests';
const TITLE = 'Argo CD alert rules pass their unit tests';

/**
 * J (static): the `spec` of the PrometheusRule helix renders, under `promtool test rules` with
 * the component's unit tests (each alert fires for what should raise it, and stays silent for
 * what should not) and the inventory's extra ones. No promtool is a WARN: the tests did not run.
 */
export async function ruleTestChecks(
  rule: Manifest,
  tests: readonly string[],
  o: { /** `null`: none installed. @default findPromtool() */ promtool?: string | null } = {},
): Promise<CheckResult[]> {
  const promtool = o.promtool === undefined ? findPromtool() : (o.promtool ?? undefined);
  if (!promtool) {
    return [
      warn(
        'J',
        ID,
        TITLE,
        'promtool not found: the rules were not tested',
        'build it (`node src/modules/prometheus/install.ts`), set HELIX_PROMTOOL, or put promtool on PATH',
      ),
    ];
  }
  const r = await testRules({ rules: rule.spec, ruleFile: ARGO_RULES_FILE, tests, promtool });
  const files = tests.length === 1 ? '1 test file' : `${tests.length} test files`;
  if (r.ok) return [pass('J', ID, TITLE, `promtool test rules: ${files} pass on the rendered PrometheusRule (${REQUIRED_ALERTS.join(', ')})`)];
  return [
    fail(
      'J',
      ID,
      TITLE,
      `promtool test rules (exit ${r.code})${r.failed.length ? `, failing: ${r.failed.join('; ')}` : ''}\n${excerpt(r.output)}`,
      'fix the rule in lib/manifests.ts (argoRules) or the test that no longer matches it',
    ),
  ];
}

/** The lines of promtool's output that say what failed, each once (its report repeats and can be long). */
function excerpt(output: string): string {
  const lines = output.split('\n').filter((l) => l.trim() && !/^(Unit Testing|Processing test file): /.test(l) && !/^\s*SUCCESS\s*$/.test(l));
  return [...new Set(lines)].slice(0, 16).join('\n');
}
