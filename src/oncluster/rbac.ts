import type { KubeAccess, KubeVerb } from '../runtime/task.ts';
import type { Problem } from '../runtime/errors.ts';
import { SYSTEM_NAMESPACE } from '../runtime/state/index.ts';

/**
 * The least-privilege RBAC of an in-cluster run, derived from what the component's tasks say
 * they touch ({@link KubeAccess}): one Role per namespace the playbooks name (no resource
 * names: a namespace is the unit of trust, and the live-object cache lists), and one
 * ClusterRole for cluster-scoped kinds, limited to the names the playbooks give. Plus what
 * helix itself needs (its run lock and journal in `helix-system`) and what Argo's executor
 * needs (its task results in the runner's namespace). Nothing here talks to the cluster: the
 * kinds are resolved to resources by `resolve` (discovery, at the IO seam).
 */

/** One RBAC rule, as the API takes it. */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: KubeVerb[];
  resourceNames?: string[];
}

/** A kind as the API server serves it. */
export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

/** Looks a kind up (discovery); undefined when the server does not serve it. */
export type Resolve = (apiVersion: string, kind: string) => Promise<ResourceInfo | undefined>;

/** A task's access, with the task's path for messages. */
export interface TaskAccess {
  path: string;
  access: readonly KubeAccess[] | string;
}

export interface RunnerRbac {
  /** Namespace → the rules of the Role there. */
  namespaced: Record<string, Rule[]>;
  /** The ClusterRole's rules. */
  cluster: Rule[];
  /** Namespaces the playbooks put objects in (they must exist before the run's Roles can). */
  namespaces: string[];
}

const VERB_ORDER: readonly KubeVerb[] = ['get', 'list', 'watch', 'create', 'patch', 'update', 'delete'];
/** Verbs that name no object: never limited by resource name. */
const COLLECTION: ReadonlySet<KubeVerb> = new Set(['list', 'watch']);

function groupOf(apiVersion: string): string {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** What helix's own state needs: the run lock (a Lease) and the run records (Secrets) in helix-system. */
export function stateRules(): Rule[] {
  return [
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update', 'delete'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
  ];
}

/** What Argo's executor (emissary) needs in the runner's namespace. */
export function executorRules(): Rule[] {
  return [{ apiGroups: ['argoproj.io'], resources: ['workflowtaskresults'], verbs: ['create', 'patch'] }];
}

interface Acc {
  verbs: Set<KubeVerb>;
  names: Set<string> | undefined;
}

function add(map: Map<string, Acc>, key: string, verbs: readonly KubeVerb[], name: string | undefined): void {
  const a = map.get(key) ?? { verbs: new Set<KubeVerb>(), names: new Set<string>() };
  for (const v of verbs) a.verbs.add(v);
  if (name === undefined) a.names = undefined;
  else a.names?.add(name);
  map.set(key, a);
}

function sortVerbs(verbs: Iterable<KubeVerb>): KubeVerb[] {
  const set = new Set(verbs);
  return VERB_ORDER.filter((v) => set.has(v));
}

function rulesOf(map: Map<string, Acc>, byName: boolean): Rule[] {
  const rules: Rule[] = [];
  for (const [key, a] of [...map].sort(([x], [y]) => x.localeCompare(y))) {
    const [group, resource] = key.split('|') as [string, string];
    const base = { apiGroups: [group], resources: [resource] };
    if (!byName || a.names === undefined) {
      rules.push({ ...base, verbs: sortVerbs(a.verbs) });
      continue;
    }
    const named = sortVerbs([...a.verbs].filter((v) => !COLLECTION.has(v)));
    if (named.length) rules.push({ ...base, verbs: named, resourceNames: [...a.names].sort() });
  }
  return rules;
}

/**
 * Derives the runner's RBAC from every task's access. Reports every task whose objects are not
 * known before the run, and every kind the server does not serve, at once.
 */
export async function deriveRbac(tasks: readonly TaskAccess[], resolve: Resolve): Promise<{ rbac: RunnerRbac; problems: Problem[] }> {
  const problems: Problem[] = [];
  const perNamespace = new Map<string, Map<string, Acc>>();
  const cluster = new Map<string, Acc>();
  const namespaces = new Set<string>();
  for (const t of tasks) {
    if (typeof t.access === 'string') {
      problems.push({ path: t.path, message: `cannot derive the in-cluster run's RBAC: ${t.access}` });
      continue;
    }
    for (const a of t.access) {
      const info = await resolve(a.apiVersion, a.kind);
      if (!info) {
        problems.push({ path: t.path, message: `the API server does not serve kind ${a.kind} in ${a.apiVersion}: its RBAC cannot be derived` });
        continue;
      }
      const key = `${groupOf(a.apiVersion)}|${info.plural}`;
      if (info.namespaced && a.namespace) {
        namespaces.add(a.namespace);
        const m = perNamespace.get(a.namespace) ?? new Map<string, Acc>();
        add(m, key, a.verbs, a.name);
        perNamespace.set(a.namespace, m);
      } else if (info.namespaced && a.name !== undefined) {
        problems.push({ path: t.path, message: `${a.kind} ${a.name} is namespaced: give its namespace` });
      } else {
        // Cluster-scoped, or a namespaced kind read in every namespace.
        add(cluster, key, a.verbs, info.namespaced ? undefined : a.name);
      }
    }
  }
  const namespaced: Record<string, Rule[]> = {};
  for (const ns of [...perNamespace.keys()].sort()) namespaced[ns] = rulesOf(perNamespace.get(ns)!, false);
  return { rbac: { namespaced, cluster: rulesOf(cluster, true), namespaces: [...namespaces].sort() }, problems };
}

/** The rules helix itself adds: its state in helix-system, and reading that namespace. */
export function withStateRules(rbac: RunnerRbac): RunnerRbac {
  const namespaced = { ...rbac.namespaced, [SYSTEM_NAMESPACE]: [...(rbac.namespaced[SYSTEM_NAMESPACE] ?? []), ...stateRules()] };
  const cluster = [...rbac.cluster, { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] as KubeVerb[], resourceNames: [SYSTEM_NAMESPACE] }];
  return { ...rbac, namespaced, cluster };
}

/** `configmaps: get, list, …` lines for `--check`, one per rule. */
export function describeRules(rules: readonly Rule[]): string[] {
  return rules.map((r) => {
    const res = r.resources.map((x) => (r.apiGroups[0] ? `${x}.${r.apiGroups[0]}` : x)).join(', ');
    return `${res}${r.resourceNames ? ` [${r.resourceNames.join(', ')}]` : ''}: ${r.verbs.join(', ')}`;
  });
}
