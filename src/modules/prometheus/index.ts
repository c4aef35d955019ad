/**
 * The `prometheus` module: Prometheus's own tools for what helix renders. `testRules` runs
 * `promtool test rules` on rule groups given as data (a PrometheusRule's `spec`) and unit test files.
 *
 * ```ts
 * import { testRules } from 'helix/modules/prometheus';
 * const r = await testRules({ rules: rule.spec, ruleFile: 'alerts.rules.yaml', tests: ['alerts.test.yaml'] });
 * ```
 */
export { failedGroups, findPromtool, installPromtool, testRules, type RuleTestOptions, type RuleTestResult } from './promtool.ts';
