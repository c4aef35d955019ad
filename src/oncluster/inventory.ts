import { basename } from 'node:path';
import { type InventoryLayer, isSecretRef } from '../runtime/inventory.ts';

/**
 * The inventory an in-cluster run reads: one file, rendered on the workstation from the
 * environment's layers (its includes, such as the sandbox's, exist only there), holding the
 * shared vars and the component's own, `kubernetes: { inCluster: true }`, and every secret
 * reference turned into an environment variable that the pod takes from a Kubernetes Secret.
 * No secret value is read here: only the references are rewritten.
 */
export interface ClusterInventory {
  /** The YAML document, as the pod's `inventory/<env>.yaml`. */
  doc: Record<string, unknown>;
  /** Environment variable → key in the run's Kubernetes Secret (the same name), sorted. */
  secretKeys: string[];
}

/** `{ secret: { file: ~/…/keycloak-admin-password } }` → `HELIX_SECRET_KEYCLOAK_ADMIN_PASSWORD`. */
export function fileSecretKey(file: string): string {
  return `HELIX_SECRET_${basename(file)
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')}`;
}

function rewrite(value: unknown, keys: Set<string>): unknown {
  if (isSecretRef(value)) {
    const key = value.secret.env ?? fileSecretKey(value.secret.file!);
    keys.add(key);
    return { secret: { env: key } };
  }
  if (Array.isArray(value)) return value.map((v) => rewrite(v, keys));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v, keys)]));
  return value;
}

/**
 * Renders the run's inventory for `component`. Shared vars that are secret references are kept
 * only when the component's schema names them (`schemaKeys`; absent: all are kept): the pod
 * would otherwise need every secret of the environment. SSH hosts are left out (in-cluster runs
 * of SSH plays are not built yet).
 */
export function renderClusterInventory(layers: readonly InventoryLayer[], component: string, schemaKeys?: ReadonlySet<string>): ClusterInventory {
  const keys = new Set<string>();
  const vars: Record<string, unknown> = {};
  const own: Record<string, unknown> = {};
  const tls: Record<string, { verify: boolean }> = {};
  for (const { raw } of layers) {
    for (const [k, v] of Object.entries(raw.vars)) {
      if (isSecretRef(v) && schemaKeys && !schemaKeys.has(k)) {
        delete vars[k];
        continue;
      }
      vars[k] = v;
    }
    Object.assign(own, raw.components[component] ?? {});
    Object.assign(tls, raw.tls.targets);
  }
  const doc: Record<string, unknown> = {
    kubernetes: { inCluster: true },
    ...(Object.keys(tls).length ? { tls: { targets: tls } } : {}),
    vars: rewrite(vars, keys),
    components: { [component]: rewrite(own, keys) },
  };
  return { doc, secretKeys: [...keys].sort() };
}
