import { definePlaybook } from 'helix';
import * as helm from 'helix/modules/helm';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';
import { devtronValues } from './lib/devtron-values.ts';

/**
 * Installation step 6, Devtron: `devtron-operator` as release `devtron` in `devtroncd`, with
 * the bundled Argo CD off, the external PostgreSQL on the CNPG `-rw` Service, Trivy on and a
 * ClusterIP Service behind Traefik. Skipped where no copy of the chart is reachable
 * (`devtron.enabled: false`, the sandbox).
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  const d = p.v.devtron;
  return [
    helm.release(d.release, {
      when: () => d.enabled,
      chart: d.source.chart,
      ...(d.source.repo ? { repo: d.source.repo } : {}),
      ...(d.source.version ? { version: d.source.version } : {}),
      namespace: d.namespace,
      values: (ctx) => devtronValues(p.v, p.devtronPgAddr, p.dbPassword(ctx)),
      timeout: '20m0s',
      // Devtron's non-hook templates render lookup/random data (getOrGeneratePass): compare
      // chart version and values only.
      compareManifests: false,
    }),
  ];
});
