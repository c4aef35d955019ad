import { describe, expect, it } from 'vitest';
import { argoRules } from '../../../playbooks/platform/lib/manifests.ts';
import { ARGO_RULE_TESTS, ruleTestChecks } from '../../../playbooks/platform/readiness/rule-tests.ts';
import { failedGroups } from '../../../src/modules/prometheus/index.ts';

/** promtool 3.16's report of a failing group and of rules that do not load (trimmed, as printed). */
const FAILING_GROUP = `Processing test file: 0-argocd-alerts.test.yaml


  FAILED:
    name: Degraded and Missing Applications fire ArgoAppHealthDegraded after 5 minutes; Healthy and Progressing do not,
    alertname: ArgoAppHealthDegraded, time: 9m, 
        exp:[
            0:
              Labels:{alertname="ArgoAppHealthDegraded", health_status="Missing", name="ledger"}
            ], 
        got:[]
`;
const NOT_LOADING = `Processing test file: 0-argocd-alerts.test.yaml

  FAILED:
argocd-alerts.rules.yaml: 5:15: group "argocd", rule 1, "ArgoAppSyncFailed": could not parse expression: 1:63: parse error: unclosed left parenthesis
argocd-alerts.rules.yaml: 5:15: group "argocd", rule 1, "ArgoAppSyncFailed": could not parse expression: 1:63: parse error: unclosed left parenthesis
`;

describe('failedGroups reads promtool test rules output', () => {
  const rows: [string, string, string[]][] = [
    [
      'a failing group, named once without the trailing comma',
      FAILING_GROUP + FAILING_GROUP,
      ['Degraded and Missing Applications fire ArgoAppHealthDegraded after 5 minutes; Healthy and Progressing do not'],
    ],
    ['rules that do not load: no group to name', NOT_LOADING, []],
    ['success', 'Unit Testing: x.yaml\n  SUCCESS\n', []],
  ];
  for (const [name, output, want] of rows) it(name, () => expect(failedGroups(output)).toEqual(want));
});

describe('J.argocd-alerts-tests without promtool', () => {
  it('is a WARN that says the tests did not run, never a PASS', async () => {
    const v = { prometheus: { namespace: 'argocd', rule_labels: {}, rule_tests: [] } } as unknown as Parameters<typeof argoRules>[0];
    const [r] = await ruleTestChecks(argoRules(v), [ARGO_RULE_TESTS], { promtool: null });
    expect(r).toMatchObject({ id: 'J.argocd-alerts-tests', status: 'WARN' });
    expect(r!.evidence).toMatch(/promtool not found: the rules were not tested/);
  });
});
