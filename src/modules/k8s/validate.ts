import { misplacedSecrets } from './manifest.ts';
import type { Manifest } from './types.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kinds that always live in a namespace. Others (custom resources) are asked of discovery. */
export const NAMESPACED_KINDS = new Set([
  'ConfigMap',
  'Secret',
  'Service',
  'ServiceAccount',
  'Endpoints',
  'EndpointSlice',
  'Pod',
  'PodTemplate',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'PersistentVolumeClaim',
  'Role',
  'RoleBinding',
  'Ingress',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'LimitRange',
  'ResourceQuota',
  'Lease',
  'Event',
]);

/** Kinds that never live in a namespace. */
export const CLUSTER_KINDS = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'IngressClass',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'RuntimeClass',
]);

/** Kinds whose names must be a DNS-1123 label (no dots). */
const LABEL_NAMED = new Set(['Namespace', 'Service']);
/** RBAC names are path segments (`system:aggregate-to-view` is valid). */
const PATH_SEGMENT_NAMED = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);

function nameProblem(kind: string, name: string): string | undefined {
  if (PATH_SEGMENT_NAMED.has(kind)) {
    return name === '.' || name === '..' || /[/%]/.test(name) ? `name "${name}" may not be "." or ".." or contain "/" or "%"` : undefined;
  }
  if (LABEL_NAMED.has(kind)) {
    return name.length <= 63 && DNS1123_LABEL.test(name)
      ? undefined
      : `name "${name}" must be a DNS-1123 label (lowercase letters, digits and "-", at most 63 characters)`;
  }
  return name.length <= 253 && DNS1123_SUBDOMAIN.test(name)
    ? undefined
    : `name "${name}" must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".", at most 253 characters)`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** How a manifest is named in a problem: `Deployment devpi/redis`, else `document 2`. */
export function manifestLabel(m: unknown, index: number): string {
  if (isRecord(m) && typeof m.kind === 'string' && isRecord(m.metadata) && typeof m.metadata.name === 'string') {
    const ns = typeof m.metadata.namespace === 'string' ? `${m.metadata.namespace}/` : '';
    return `${m.kind} ${ns}${m.metadata.name}`;
  }
  return `document ${index + 1}`;
}

/**
 * Static checks of one manifest, with no IO: the fields helix relies on, names, the
 * namespace of kinds that obviously need one, labels that YAML turned into numbers, and
 * secret values outside a Secret's data.
 */
export function checkManifest(m: unknown, index: number, opts: { defaultNamespace?: string } = {}): string[] {
  const where = manifestLabel(m, index);
  if (!isRecord(m)) return [`${where}: a manifest must be a mapping (got ${Array.isArray(m) ? 'a list' : typeof m})`];
  const problems: string[] = [];
  const say = (msg: string): void => {
    problems.push(`${where}: ${msg}`);
  };
  if (typeof m.apiVersion !== 'string' || !m.apiVersion) say('apiVersion is required');
  if (typeof m.kind !== 'string' || !m.kind) say('kind is required');
  if (!isRecord(m.metadata)) {
    say('metadata.name is required');
    return problems;
  }
  const md = m.metadata;
  const kind = typeof m.kind === 'string' ? m.kind : '';
  if (typeof md.name !== 'string' || !md.name) {
    say(md.generateName ? 'metadata.generateName is not supported (server-side apply needs a fixed name): give metadata.name' : 'metadata.name is required');
  } else {
    const p = nameProblem(kind, md.name);
    if (p) say(p);
  }
  if (md.namespace !== undefined) {
    if (typeof md.namespace !== 'string' || !DNS1123_LABEL.test(md.namespace) || md.namespace.length > 63) {
      say(`metadata.namespace "${String(md.namespace)}" must be a DNS-1123 label`);
    } else if (CLUSTER_KINDS.has(kind)) {
      say(`${kind} is cluster-scoped: remove metadata.namespace`);
    }
  } else if (NAMESPACED_KINDS.has(kind) && !opts.defaultNamespace) {
    say(`${kind} is namespaced: give metadata.namespace (or the task's namespace option)`);
  }
  for (const field of ['labels', 'annotations'] as const) {
    const v = md[field];
    if (v === undefined) continue;
    if (!isRecord(v)) {
      say(`metadata.${field} must be a mapping of strings`);
      continue;
    }
    for (const [k, val] of Object.entries(v)) {
      if (typeof val !== 'string') say(`metadata.${field}.${k} must be a string (quote it in YAML: "${String(val)}")`);
    }
  }
  for (const p of misplacedSecrets(m)) say(`a secret value is only allowed in a Secret's data or stringData (found at ${p})`);
  return problems;
}

/** Narrows a checked manifest. */
export function asManifest(m: unknown): Manifest {
  return m as Manifest;
}
