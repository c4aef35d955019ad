import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ConfigError } from '../../runtime/errors.ts';
import { isSecret, Secret } from '../../runtime/secret.ts';
import type { KubeObject, Manifest } from './types.ts';

/** A manifest source: a file path (absolute) or a `file:` URL (`new URL('./x.yaml', import.meta.url)`). */
export type PathLike = string | URL;

export function toPath(p: PathLike): string {
  const path = p instanceof URL ? fileURLToPath(p) : p;
  if (!isAbsolute(path)) {
    throw new ConfigError(`manifest path "${path}" is relative: give an absolute path or new URL('./file.yaml', import.meta.url)`);
  }
  return path;
}

/** Parses YAML (one or many `---` documents) into objects; empty documents are skipped. */
export function parseManifests(text: string, source: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const line = e.linePos ? ` (line ${e.linePos[0].line})` : '';
      throw new ConfigError(`malformed YAML in ${source}${line}: ${e.message.split('\n')[0]}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    // A `kind: List` holds its objects in items.
    if (typeof value === 'object' && (value as { kind?: unknown }).kind === 'List' && Array.isArray((value as { items?: unknown }).items)) {
      out.push(...(value as { items: unknown[] }).items);
    } else {
      out.push(value);
    }
  }
  return out;
}

export function readManifestFile(p: PathLike): unknown[] {
  const file = toPath(p);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read manifest ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseManifests(text, file);
}

const MANIFEST_EXT = new Set(['.yaml', '.yml', '.json']);

/** Every `*.yaml|yml|json` file of a folder (not recursive), in name order. */
export function readManifestDir(p: PathLike): unknown[] {
  const dir = toPath(p);
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    throw new ConfigError(`cannot read manifest folder ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const out: unknown[] = [];
  for (const n of names) {
    const f = join(dir, n);
    if (MANIFEST_EXT.has(extname(n)) && statSync(f).isFile()) out.push(...readManifestFile(f));
  }
  return out;
}

/**
 * Apply order: what others depend on first (Namespaces, CRDs, then policy, identities,
 * configuration, storage, RBAC, services, workloads), custom resources and unknown kinds
 * last. The sort is stable, so objects of one rank keep the order they were given in.
 */
const APPLY_ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
];

function rank(kind: string): number {
  const i = APPLY_ORDER.indexOf(kind);
  return i < 0 ? APPLY_ORDER.length : i;
}

export function orderForApply<T extends { kind: string }>(objects: readonly T[]): T[] {
  return objects
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o.kind) - rank(b.o.kind) || a.i - b.i)
    .map(({ o }) => o);
}

/** Reverse of the apply order: what depends on others goes first. */
export function orderForDelete<T extends { kind: string }>(objects: readonly T[]): T[] {
  return orderForApply(objects).reverse();
}

/** Paths of Secret values placed anywhere but a Secret's `data`/`stringData` values. */
export function misplacedSecrets(value: unknown, path = '', inSecretData = false): string[] {
  if (isSecret(value)) return inSecretData ? [] : [path || '(root)'];
  if (Array.isArray(value)) return value.flatMap((v, i) => misplacedSecrets(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const isSecretKind = path === '' && (value as { kind?: unknown }).kind === 'Secret';
    return Object.entries(value).flatMap(([k, v]) => {
      const p = path ? `${path}.${k}` : k;
      if (isSecretKind && (k === 'data' || k === 'stringData') && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        return Object.entries(v).flatMap(([dk, dv]) => misplacedSecrets(dv, `${p}.${dk}`, true));
      }
      return misplacedSecrets(v, p);
    });
  }
  return [];
}

function plainCopy(value: unknown, path: string): unknown {
  if (isSecret(value)) throw new ConfigError(`a secret value is only allowed in a Secret's data or stringData (found at ${path})`);
  if (Array.isArray(value)) return value.map((v, i) => plainCopy(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = plainCopy(v, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/**
 * The request body for a manifest: a plain copy with the Secret values of a Secret's
 * `stringData` revealed and those of its `data` revealed and base64-encoded. Call it only
 * where the value goes to the API server.
 */
export function revealManifest(m: Manifest): KubeObject {
  const { data, stringData, ...rest } = m;
  const out = plainCopy(rest, '') as KubeObject;
  if (m.kind === 'Secret') {
    if (data)
      out.data = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v instanceof Secret ? Buffer.from(v.reveal(), 'utf8').toString('base64') : v]));
    if (stringData) out.stringData = Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, v instanceof Secret ? v.reveal() : v]));
  } else {
    if (data !== undefined) out.data = plainCopy(data, 'data') as Record<string, string>;
    if (stringData !== undefined) out.stringData = plainCopy(stringData, 'stringData') as Record<string, string>;
  }
  return out;
}
