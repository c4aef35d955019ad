/**
 * Upstream CustomResourceDefinitions for the sandbox and for clusters where no operator chart
 * installs them: CloudNativePG, Kyverno, Traefik, prometheus-operator, Argo CD and Argo
 * Workflows, each from its project's Go module at a pinned version.
 *
 * `node src/crds/index.ts [--kubeconfig F] [--context C] [set…]` installs them.
 */
export { ensureUpstreamCrds, type CrdReport, type EnsureCrdsOptions } from './apply.ts';
export { crdCacheDir, fetchCrds, parseCrds, type CrdObject } from './fetch.ts';
export { CRD_SETS, CRD_SOURCES, type CrdSet, type CrdSource } from './sources.ts';

import { ensureUpstreamCrds } from './apply.ts';
import { CRD_SETS, type CrdSet } from './sources.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let kubeconfig = process.env.KUBECONFIG ?? '';
  let context: string | undefined;
  const sets: CrdSet[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--kubeconfig') kubeconfig = args[++i] ?? '';
    else if (a === '--context') context = args[++i];
    else sets.push(a as CrdSet);
  }
  ensureUpstreamCrds(kubeconfig, sets.length ? sets : CRD_SETS, { ...(context ? { context } : {}), log: (l) => process.stderr.write(`crds: ${l}\n`) }).then(
    (r) => process.stdout.write(`created ${r.created.length}, updated ${r.updated.length}, unchanged ${r.unchanged.length}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
