import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import type { PlatformVars } from './component.ts';
import { OWNER, platform } from './lib/context.ts';
import { cnpgCluster, cnpgPooler, poolerPdb } from './lib/manifests.ts';

/**
 * Installation step 7, CloudNativePG: the `platform-db-cluster` Cluster (two instances,
 * superuser access for Devtron), the transaction-mode PgBouncer Pooler and its separate
 * PodDisruptionBudget (the Pooler has no PDB field).
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return [
    k8s.apply('cluster', { force: OWNER, manifest: cnpgCluster(p.v) }),
    k8s.apply('pooler', { force: OWNER, manifest: cnpgPooler(p.v) }),
    k8s.apply('pooler-pdb', { force: OWNER, manifest: poolerPdb(p.v) }),
  ];
});
