import { definePlaybook, group } from 'helix';
import * as helm from 'helix/modules/helm';
import * as k8s from 'helix/modules/k8s';
import type { PlatformVars } from './component.ts';
import { OWNER, platform } from './lib/context.ts';
import { applicationSet, argoRules, rootApplication } from './lib/manifests.ts';

/**
 * Installation step 5, platform operators: the environment's operator charts (Traefik,
 * Kyverno, CNPG, Argo CD, kube-prometheus-stack — whichever the inventory lists with a chart
 * source), then the Argo CD alert rules, the root Application `apps-root-<env>` and one
 * ApplicationSet per environment.
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  const envs = p.v.argocd.environments ?? [p.envName];
  return [
    group(
      'charts',
      p.v.operators.map((o) =>
        helm.release(o.release, {
          chart: o.chart,
          ...(o.repo ? { repo: o.repo } : {}),
          ...(o.version ? { version: o.version } : {}),
          namespace: o.namespace,
          createNamespace: true,
          values: o.values as helm.HelmValues,
        }),
      ),
    ),
    k8s.apply('prometheus-rules', { force: OWNER, manifest: argoRules(p.v) }),
    k8s.apply('apps-root', { force: OWNER, manifest: rootApplication(p.v, p.envName) }),
    k8s.apply('applicationsets', { force: OWNER, manifests: envs.map((e) => applicationSet(p.v, e)) }),
  ];
});
