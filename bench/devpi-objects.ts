/**
 * The DevPi component's Kubernetes objects, as the DevPi playbooks apply them, for the k8s
 * converge scenario. They are read from the sandbox after `helix play devpi --env local`: each
 * object helix applied for the component is cut down to exactly the fields helix set (its
 * server-side apply field set in `managedFields`), so neither server defaults nor other
 * writers' fields come along, and moved into the bench's namespace.
 */
import { execFileSync } from 'node:child_process';
import { OWNERSHIP_LABELS, ownershipSelector } from '../src/modules/k8s/ownership.ts';
import { type FieldSet, isPlain, keyMatches } from '../src/modules/k8s/unchanged.ts';
import { namespaceObject } from './k8s-objects.ts';
import { kubectlBin } from './peers.ts';
import { sandboxKube } from './sandbox.ts';
import { HELIX_BIN, must, REPO } from './tools.ts';

type Obj = Record<string, unknown>;

/** The label that marks a bench copy of an object, so the bench can count what exists. */
export const SET_LABEL = 'bench.helix.dev/set';

/** Objects a controller or a one-off run makes: not part of a component's declared state. */
const SKIPPED_KINDS = new Set(['Pod', 'Job', 'Workflow', 'Event', 'ReplicaSet', 'EndpointSlice', 'Endpoints', 'ControllerRevision', 'Lease']);

function kubectl(args: string[]): string {
  const kube = sandboxKube();
  return execFileSync(kubectlBin(), ['--kubeconfig', kube.kubeconfig, '--context', kube.context, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** Every kind the cluster can list and patch, as `kubectl get` names them (`deployments.apps`). */
export function listableKinds(): string[] {
  // `endpoints` is deprecated (and controller-made): leave it out, with its warning.
  return kubectl(['api-resources', '--verbs=list,patch', '-o', 'name'])
    .split('\n')
    .filter((k) => k && k !== 'endpoints');
}

/** `live` cut down to the fields of `f`, a `fieldsV1` set (`f:` fields, `k:` list-map keys, `v:` set values). */
export function project(live: unknown, f: FieldSet): unknown {
  const kids = Object.keys(f).filter((k) => k !== '.');
  if (kids.length === 0) return live;
  if (Array.isArray(live)) {
    if (kids.every((k) => k.startsWith('v:'))) return kids.map((k) => JSON.parse(k.slice(2)) as unknown);
    return live.flatMap((item) => {
      const entry = kids.find((k) => k.startsWith('k:') && keyMatches(k, item));
      return entry ? [project(item, f[entry] as FieldSet)] : [];
    });
  }
  if (!isPlain(live)) return live;
  const out: Obj = {};
  for (const k of kids) {
    if (!k.startsWith('f:')) continue;
    const name = k.slice(2);
    if (live[name] !== undefined) out[name] = project(live[name], f[k] as FieldSet);
  }
  return out;
}

/** What helix applied to `live`, from its `Apply` entry in managedFields; undefined if helix never applied it. */
export function appliedBy(live: Obj, manager = 'helix'): Obj | undefined {
  const meta = live.metadata as Obj & { managedFields?: { manager: string; operation: string; fieldsV1?: FieldSet }[] };
  const entry = meta.managedFields?.find((m) => m.manager === manager && m.operation === 'Apply');
  if (!entry?.fieldsV1) return undefined;
  const applied = project(live, entry.fieldsV1) as Obj;
  if (live.kind === 'Secret') {
    // `stringData` is write-only: the server folds it into `data`, so the field set names keys the live object holds under `data`.
    const keys = ['f:data', 'f:stringData'].flatMap((f) =>
      Object.keys((entry.fieldsV1![f] as FieldSet | undefined) ?? {})
        .filter((k) => k.startsWith('f:'))
        .map((k) => k.slice(2)),
    );
    delete applied.stringData;
    applied.data = Object.fromEntries(keys.map((k) => [k, (live.data as Obj | undefined)?.[k]]));
  }
  const metadata = { ...((applied.metadata as Obj | undefined) ?? {}), name: meta.name, ...(meta.namespace ? { namespace: meta.namespace } : {}) };
  return { apiVersion: live.apiVersion, kind: live.kind, ...applied, metadata };
}

/** A bench copy: in `namespace`, without helix's ownership labels (each tool adds its own), marked with the set, and with no real secret. */
function benchCopy(applied: Obj, namespace: string, set: string): Obj {
  const meta = applied.metadata as Obj & { labels?: Record<string, string> };
  const labels: Record<string, string> = { ...meta.labels, [SET_LABEL]: set };
  for (const l of Object.values(OWNERSHIP_LABELS)) delete labels[l];
  const copy: Obj = { ...applied, metadata: { ...meta, namespace, labels } };
  if (applied.kind === 'Secret') {
    // The bench needs Secrets of the same shape, never the sandbox's secret values.
    const keys = Object.keys((applied.data as Obj | undefined) ?? {});
    delete copy.data;
    copy.stringData = Object.fromEntries(keys.map((k) => [k, `bench value of ${k}`]));
  }
  return copy;
}

export interface DevpiSource {
  /** The objects as the playbooks applied them (namespaced ones only), in a stable order. */
  applied: Obj[];
  /** Kinds to count with `kubectl get` (`deployments.apps,...`). */
  kinds: string;
  /** True when the bench deployed DevPi for this, so it rolls it back at the end. */
  deployedHere: boolean;
}

const ORDER = [
  'ResourceQuota',
  'LimitRange',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
  'Service',
  'NetworkPolicy',
  'Deployment',
  'StatefulSet',
  'Ingress',
];
const rank = (kind: string) => (ORDER.includes(kind) ? ORDER.indexOf(kind) : ORDER.length);

function readApplied(kinds: string[]): { applied: Obj[]; resources: Set<string> } {
  const list = JSON.parse(kubectl(['get', kinds.join(','), '-A', '-l', ownershipSelector('devpi', 'local'), '--show-managed-fields', '-o', 'json'])) as {
    items: Obj[];
  };
  const applied: Obj[] = [];
  const resources = new Set<string>();
  for (const live of list.items) {
    const meta = live.metadata as Obj;
    if (SKIPPED_KINDS.has(String(live.kind)) || meta.ownerReferences || !meta.namespace) continue;
    const a = appliedBy(live);
    if (!a) continue;
    applied.push(a);
    const [group] = String(live.apiVersion).includes('/') ? String(live.apiVersion).split('/') : [''];
    resources.add(`${String(live.kind).toLowerCase()}${group ? `.${group}` : ''}`);
  }
  applied.sort(
    (x, y) => rank(String(x.kind)) - rank(String(y.kind)) || `${x.kind}/${(x.metadata as Obj).name}`.localeCompare(`${y.kind}/${(y.metadata as Obj).name}`),
  );
  return { applied, resources };
}

/** DevPi's objects from the sandbox, deploying DevPi there first when it is not (`helix play devpi --env local`). */
export function devpiSource(log: (s: string) => void): DevpiSource {
  const kinds = listableKinds();
  let { applied, resources } = readApplied(kinds);
  let deployedHere = false;
  if (applied.length === 0) {
    log('devpi objects: DevPi is not on the sandbox; deploying it (helix play devpi --env local)');
    helixOnDevpi('play');
    deployedHere = true;
    ({ applied, resources } = readApplied(kinds));
  }
  must(applied.length >= 10, `DevPi has ${applied.length} objects helix applied on the sandbox (expected at least 10)`);
  return { applied, kinds: [...resources].sort().join(','), deployedHere };
}

/** The DevPi objects for one tool's namespace, marked with `set`, after the Namespace itself. */
export function devpiObjects(source: DevpiSource, namespace: string, set: string): Obj[] {
  return [namespaceObject(namespace), ...source.applied.map((a) => benchCopy(a, namespace, set))];
}

/** `helix rollback devpi --env local --purge-data`, when the bench deployed DevPi itself: the sandbox as it found it. */
export function restoreDevpi(source: DevpiSource): void {
  if (source.deployedHere) helixOnDevpi('rollback', '--purge-data');
}

/** `helix <command> devpi --env local` in this repository, its errors shown. */
function helixOnDevpi(command: 'play' | 'rollback', ...more: string[]): void {
  execFileSync(process.execPath, [HELIX_BIN, command, 'devpi', '--env', 'local', '--wait-lock', '15m', ...more], {
    cwd: REPO,
    env: { ...process.env, HELIX_ROOT: REPO },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
