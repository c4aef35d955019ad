import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import component, { type PlatformVars } from '../../../playbooks/platform/component.ts';
import { argoRules } from '../../../playbooks/platform/lib/manifests.ts';
import { ARGO_RULE_TESTS, ARGO_RULES_FILE } from '../../../playbooks/platform/readiness/rule-tests.ts';
import { installPromtool, testRules } from '../../../src/modules/prometheus/index.ts';
import type { Manifest } from '../../../src/modules/k8s/index.ts';
import { readinessEnv } from '../../../src/verify/env.ts';
import { verifyComponent } from '../../../src/verify/run.ts';
import { helix } from '../cli/run.ts';

/**
 * The platform's Argo CD alerts under Prometheus's own rule unit tests: promtool (built from
 * the Go module proxy, cached) runs the component's test file over the `spec` of the
 * PrometheusRule exactly as helix renders it for an environment. No cluster, no sandbox.
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));
const ALERTS = ['ArgoAppSyncFailed', 'ArgoAppConfigurationDrift', 'ArgoAppHealthDegraded'];

let promtool = '';
const scratch = mkdtempSync(join(tmpdir(), 'helix-rules-test-'));

/** The PrometheusRule `50_operators` applies in `env` (its builder, with the inventory's vars). */
function rendered(env: string): Manifest {
  return argoRules(readinessEnv<PlatformVars>(root, component, env, true).vars);
}

/** promtool run as a user would: `promtool <args>` in `cwd`, with its exit code and output. */
function promtoolCli(args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(promtool, args, { cwd, encoding: 'utf8' }, (e, stdout, stderr) => resolve({ code: e ? Number(e.code ?? 1) : 0, out: `${stdout}${stderr}` })),
  );
}

/** The rendered rule with `edit` applied to the rule named `alert`. */
function withRule(alert: string, edit: (r: Record<string, any>) => void): Manifest {
  const rule = structuredClone(rendered('local'));
  const r = (rule.spec.groups as { rules: Record<string, any>[] }[]).flatMap((g) => g.rules).find((x) => x.alert === alert)!;
  edit(r);
  return rule;
}

beforeAll(async () => {
  promtool = await installPromtool();
}, 3_600_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the Argo CD alert rules, as helix renders them, under promtool', () => {
  it('the rendered PrometheusRule spec is a valid rules file (promtool check rules) with the three alerts', async () => {
    const rule = rendered('local');
    expect(rule.kind).toBe('PrometheusRule');
    const file = join(scratch, ARGO_RULES_FILE);
    writeFileSync(file, stringify(rule.spec));
    const alerts = (parse(readFileSync(file, 'utf8')).groups as { rules: { alert: string }[] }[]).flatMap((g) => g.rules.map((r) => r.alert));
    expect(alerts).toEqual(ALERTS);
    const r = await promtoolCli(['check', 'rules', ARGO_RULES_FILE], scratch);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/SUCCESS: 3 rules found/);
  });

  it('promtool test rules passes: each alert fires, and stays silent, as its tests say (local and prod renders)', async () => {
    for (const env of ['local', 'prod']) {
      const dir = mkdtempSync(join(scratch, `${env}-`));
      writeFileSync(join(dir, ARGO_RULES_FILE), stringify(rendered(env).spec));
      writeFileSync(join(dir, 'argocd-alerts.test.yaml'), readFileSync(ARGO_RULE_TESTS, 'utf8'));
      const r = await promtoolCli(['test', 'rules', 'argocd-alerts.test.yaml'], dir);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/SUCCESS/);
    }
  });

  it('the test file covers every alert, firing and not firing', () => {
    const doc = parse(readFileSync(ARGO_RULE_TESTS, 'utf8')) as {
      rule_files: string[];
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    expect(doc.rule_files).toEqual([ARGO_RULES_FILE]);
    const cases = doc.tests.flatMap((t) => t.alert_rule_test);
    for (const a of ALERTS) {
      expect(
        cases.some((c) => c.alertname === a && c.exp_alerts.length > 0),
        `${a} fires`,
      ).toBe(true);
      expect(
        cases.some((c) => c.alertname === a && c.exp_alerts.length === 0),
        `${a} stays silent`,
      ).toBe(true);
    }
  });

  const broken: [string, Manifest, RegExp][] = [
    [
      'an expression that does not parse',
      withRule('ArgoAppSyncFailed', (r) => (r.expr = 'increase(argocd_app_sync_total{phase=~"Failed|Error"}[10m] > 0')),
      /parse error|unclosed|expected/i,
    ],
    [
      'a sync alert that also counts successful syncs',
      withRule('ArgoAppSyncFailed', (r) => (r.expr = 'increase(argocd_app_sync_total[10m]) > 0')),
      /ArgoAppSyncFailed/,
    ],
    ['a drift alert that waits an hour', withRule('ArgoAppConfigurationDrift', (r) => (r.for = '1h')), /ArgoAppConfigurationDrift/],
    [
      'a health alert that ignores Missing',
      withRule('ArgoAppHealthDegraded', (r) => (r.expr = 'argocd_app_info{health_status="Degraded"} == 1')),
      /ArgoAppHealthDegraded/,
    ],
    ['a renamed alert', withRule('ArgoAppHealthDegraded', (r) => (r.alert = 'ArgoAppUnhealthy')), /ArgoAppHealthDegraded/],
  ];
  for (const [name, rule, evidence] of broken) {
    it(`fails for ${name}`, async () => {
      const r = await testRules({ rules: rule.spec, ruleFile: ARGO_RULES_FILE, tests: [ARGO_RULE_TESTS], promtool });
      expect(r.ok, r.output).toBe(false);
      expect(r.code).toBe(1);
      expect(r.output).toMatch(/FAILED/);
      expect(r.output).toMatch(evidence);
    });
  }
});

/** The component's first test group, made to expect the sync alert a minute too early (it is pending then). */
function strictTests(): string {
  const doc = parse(readFileSync(ARGO_RULE_TESTS, 'utf8')) as {
    tests: { name: string; alert_rule_test: { eval_time: string; alertname: string; exp_alerts: unknown[] }[] }[];
  };
  const strict = doc.tests[0]!;
  strict.name = 'a failed sync fires at once';
  strict.alert_rule_test = [{ ...strict.alert_rule_test.find((c) => c.exp_alerts.length > 0)!, eval_time: '2m' }];
  return stringify({ ...doc, tests: [strict] });
}

describe('helix verify platform --static: "Argo CD alert rules pass their unit tests"', () => {
  const check = async (set?: Record<string, unknown>) =>
    (await verifyComponent({ root, component: 'platform', env: 'prod', static: true, ...(set ? { set } : {}) })).results.find(
      (r) => r.id === 'J.argocd-alerts-tests',
    );

  it('PASSes on the rules helix renders', async () => {
    const r = await check();
    expect(r?.status, r?.evidence).toBe('PASS');
    expect(r?.evidence).toMatch(/promtool test rules: 1 test file pass on the rendered PrometheusRule/);
  });

  it('FAILs, naming the failing test, when a rule test does not hold (an extra file from prometheus.rule_tests)', async () => {
    const file = join(scratch, 'strict.test.yaml');
    writeFileSync(file, strictTests());
    const r = await check({ prometheus: { rule_tests: [file] } });
    expect(r?.status).toBe('FAIL');
    expect(r?.evidence).toMatch(/promtool test rules \(exit 1\), failing: a failed sync fires at once/);
    expect(r?.evidence).toMatch(/alertname: ArgoAppSyncFailed, time: 2m/);
  });

  describe('as a user runs it: node bin/helix.js verify platform --static', () => {
    // A user's project: helix's playbooks, and a prod inventory that adds the strict test file.
    const project = mkdtempSync(join(tmpdir(), 'helix-cli-rules-'));
    beforeAll(() => {
      symlinkSync(join(root, 'playbooks'), join(project, 'playbooks'));
      mkdirSync(join(project, 'inventory'));
      writeFileSync(join(project, 'inventory/strict.test.yaml'), strictTests());
      const prod = readFileSync(join(root, 'inventory/prod.yaml'), 'utf8');
      const inventory = prod.replace(/^( +)rule_labels: (.*)$/m, '$1rule_labels: $2\n$1rule_tests: [strict.test.yaml]');
      expect(inventory).toContain('rule_tests: [strict.test.yaml]');
      writeFileSync(join(project, 'inventory/prod.yaml'), inventory);
    });
    afterAll(() => rmSync(project, { recursive: true, force: true }));

    it("the repository's own inventory: PASS, exit 0", async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static']);
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toMatch(/PASS\s+Argo CD alert rules pass their unit tests\n\s+promtool test rules: 1 test file pass/);
    });

    it("a failing rule test: FAIL, exit 1, with promtool's evidence", async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project });
      expect(r.code, r.out).toBe(1);
      expect(r.stdout).toMatch(/FAIL\s+Argo CD alert rules pass their unit tests\n\s+promtool test rules \(exit 1\), failing: a failed sync fires at once/);
      expect(r.stdout).toMatch(/^FAIL\s+\d+ pass, \d+ warn, 1 fail$/m);
    });
  });
});
