import { stringify } from 'yaml';
import type { KubeObject, KubeRef } from '../modules/k8s/types.ts';
import type { Selection } from '../runtime/loader.ts';
import { executorRules, type Rule, type RunnerRbac } from './rbac.ts';

/**
 * The objects of an in-cluster run, as plain manifests: the runner's ServiceAccount, its Roles
 * and ClusterRole with their bindings, and the Workflow that runs `helix <selection>` in a pod.
 * Every one carries the labels below, so a rollback finds and removes them all.
 */
export const LABELS = {
  managed: 'app.kubernetes.io/managed-by',
  component: 'helix.dev/component',
  env: 'helix.dev/env',
  role: 'helix.dev/on-cluster',
} as const;

const RBAC = 'rbac.authorization.k8s.io/v1';
export const WORKFLOW_API = 'argoproj.io/v1alpha1';

/** Where helix and the project sit in the runner image. */
export const IMAGE_PATHS = { helix: '/helix', project: '/project', node: '/usr/local/bin/node' } as const;

export interface RunnerIdentity {
  component: string;
  env: string;
  /** The runner's namespace (where Argo Workflows runs workflows). */
  namespace: string;
}

/** `helix-run-<component>-<env>`, DNS-1123 (underscores become dashes), at most 63 characters. */
export function runnerName(id: Pick<RunnerIdentity, 'component' | 'env'>): string {
  return `helix-run-${id.component}-${id.env}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 63)
    .replace(/-+$/, '');
}

export function labelsOf(id: RunnerIdentity, role: string): Record<string, string> {
  return { [LABELS.managed]: 'helix', [LABELS.component]: id.component, [LABELS.env]: id.env, [LABELS.role]: role };
}

/** The selector of everything an in-cluster run of this component and env created. */
export function selectorOf(id: Pick<RunnerIdentity, 'component' | 'env'>): string {
  return `${LABELS.managed}=helix,${LABELS.component}=${id.component},${LABELS.env}=${id.env},${LABELS.role}`;
}

/** The ServiceAccount, Roles, ClusterRole and bindings, in the order they are applied. */
export function rbacObjects(id: RunnerIdentity, rbac: RunnerRbac): KubeObject[] {
  const name = runnerName(id);
  const labels = labelsOf(id, 'rbac');
  const subject = [{ kind: 'ServiceAccount', name, namespace: id.namespace }];
  const out: KubeObject[] = [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: id.namespace, labels } }];
  const roles: Record<string, Rule[]> = { ...rbac.namespaced };
  roles[id.namespace] = [...(roles[id.namespace] ?? []), ...executorRules()];
  for (const [ns, rules] of Object.entries(roles)) {
    out.push({ apiVersion: RBAC, kind: 'Role', metadata: { name, namespace: ns, labels }, rules } as KubeObject);
    out.push({
      apiVersion: RBAC,
      kind: 'RoleBinding',
      metadata: { name, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: subject,
    } as KubeObject);
  }
  if (rbac.cluster.length) {
    out.push({ apiVersion: RBAC, kind: 'ClusterRole', metadata: { name, labels }, rules: rbac.cluster } as KubeObject);
    out.push({
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: subject,
    } as KubeObject);
  }
  return out;
}

/** References to what {@link rbacObjects} made, in the order they are removed (bindings first). */
export function rbacRefs(objects: readonly KubeObject[]): KubeRef[] {
  const rank = (k: string): number => ['ClusterRoleBinding', 'RoleBinding', 'ClusterRole', 'Role', 'ServiceAccount'].indexOf(k);
  return [...objects]
    .sort((a, b) => rank(a.kind) - rank(b.kind))
    .map((o) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }));
}

export interface WorkflowSpec {
  id: RunnerIdentity;
  /** Unique name of this run's Workflow. */
  name: string;
  selection: Selection;
  image: string;
  /** The project's folder in the image. */
  projectDir: string;
  /** The rendered inventory (see inventory.ts). */
  inventory: Record<string, unknown>;
  /** helix's arguments after `<selection> <component> --env <env>`. */
  args: readonly string[];
  /** The Kubernetes Secret the secret keys come from, and the keys. */
  secret: string;
  secretKeys: readonly string[];
}

/**
 * One Workflow with one step: `node /helix/bin/helix.js <selection> <component> --env <env> …`
 * under the runner's ServiceAccount, the rendered inventory put in place as a raw input
 * artifact, each secret key an environment variable from the run's Secret. No retries: a
 * play is rerun by the user, as locally.
 */
export function workflowObject(w: WorkflowSpec): KubeObject {
  const env = [
    { name: 'HELIX_ROOT', value: w.projectDir },
    { name: 'NO_COLOR', value: '1' },
    // A second SIGTERM from Argo does not make helix quit before it released its lock (src/cli/play.ts).
    { name: 'HELIX_IN_CLUSTER', value: '1' },
    { name: 'HOME', value: '/tmp' },
    ...w.secretKeys.map((key) => ({ name: key, valueFrom: { secretKeyRef: { name: w.secret, key, optional: true } } })),
  ];
  return {
    apiVersion: WORKFLOW_API,
    kind: 'Workflow',
    metadata: { name: w.name, namespace: w.id.namespace, labels: { ...labelsOf(w.id, 'run'), 'helix.dev/selection': w.selection } },
    spec: {
      entrypoint: 'helix',
      serviceAccountName: runnerName(w.id),
      templates: [
        {
          name: 'helix',
          inputs: { artifacts: [{ name: 'inventory', path: `${w.projectDir}/inventory/${w.id.env}.yaml`, raw: { data: stringify(w.inventory) } }] },
          container: {
            image: w.image,
            command: [IMAGE_PATHS.node, `${IMAGE_PATHS.helix}/bin/helix.js`, w.selection, w.id.component, '--env', w.id.env, ...w.args],
            workingDir: w.projectDir,
            env,
          },
        },
      ],
    },
  } as KubeObject;
}
