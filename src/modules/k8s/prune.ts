import type { Change } from '../../runtime/change.ts';
import type { PruneScope, Pruner } from '../../runtime/prune.ts';
import { SYSTEM_NAMESPACE } from '../../runtime/state/index.ts';
import { defineTask, noChange, type Task } from '../../runtime/task.ts';
import { FIELD_MANAGER } from './client.ts';
import { k8sClient } from './context.ts';
import { orderForDelete } from './manifest.ts';
import { declaredObjects, ownershipSelector } from './ownership.ts';
import { describeRef, refOf, targetOf } from './target.ts';
import type { KubeObject, KubeRef } from './types.ts';

/**
 * Kinds `--prune` reports but never deletes: deleting them deletes what they hold (every
 * object of a namespace, every custom resource of a CRD), including objects helix did not
 * create. A rollback playbook removes them on purpose.
 */
const KEPT_KINDS = new Set(['Namespace', 'CustomResourceDefinition']);

/** `k8s:apps/v1/Deployment/devpi/redis` → `apps/v1` + `Deployment`; undefined for other targets. */
export function kindOfTarget(target: string): { apiVersion: string; kind: string } | undefined {
  if (!target.startsWith('k8s:')) return undefined;
  const parts = target.slice(4).split('/');
  if (parts.length < 4) return undefined;
  const kind = parts[parts.length - 3]!;
  const apiVersion = parts.slice(0, parts.length - 3).join('/');
  return apiVersion && kind ? { apiVersion, kind } : undefined;
}

/** True when helix's field manager applied (server-side) part of the object. */
export function appliedByHelix(o: KubeObject): boolean {
  const fields = (o.metadata.managedFields ?? []) as { manager?: string; operation?: string }[];
  return fields.some((f) => f.manager === FIELD_MANAGER && f.operation === 'Apply');
}

/**
 * The prune task of a run: lists, for every kind this run or the journalled runs applied, the
 * objects labelled as helix's for this component and environment, and deletes those no apply
 * task of this run declared. Objects without helix's labels are never looked at; labelled
 * objects helix never applied, Namespaces and CRDs are reported and left alone.
 */
export function prune(scope: PruneScope): Task<KubeRef[]> {
  return defineTask<KubeRef[]>({
    kind: 'k8s.prune',
    name: 'k8s',
    plan: async (ctx) => {
      const declared = declaredObjects(ctx);
      const kinds = new Map<string, { apiVersion: string; kind: string }>();
      for (const t of [...declared, ...scope.journalTargets]) {
        const k = kindOfTarget(t);
        if (k) kinds.set(`${k.apiVersion}/${k.kind}`, k);
      }
      if (kinds.size === 0) return noChange('no Kubernetes object was ever applied for this component', []);
      const client = k8sClient(ctx);
      const labelSelector = ownershipSelector(scope.component, scope.env);
      const stale: KubeObject[] = [];
      for (const { apiVersion, kind } of kinds.values()) {
        for (const o of await client.list(apiVersion, kind, { labelSelector }, ctx.signal)) {
          const ref = refOf(o);
          if (ref.namespace === SYSTEM_NAMESPACE || declared.has(targetOf(ref)) || o.metadata.deletionTimestamp) continue;
          if (!appliedByHelix(o)) {
            ctx.log(`${describeRef(ref)} carries helix's labels but helix never applied it: left alone`, 'warn');
          } else if (KEPT_KINDS.has(kind)) {
            ctx.log(
              `${describeRef(ref)} is no longer declared; --prune does not delete a ${kind} (it may hold objects helix did not create): remove it with a rollback`,
              'warn',
            );
          } else {
            stale.push(o);
          }
        }
      }
      if (stale.length === 0) return noChange(`every object helix applied for ${scope.component} in ${scope.env} is still declared`, []);
      const ordered = orderForDelete(stale).map(refOf);
      const changes: Change[] = ordered.map((ref) => ({ target: targetOf(ref), action: 'delete', summary: 'no longer declared by the playbooks' }));
      return {
        changes,
        apply: async () => {
          for (const ref of ordered) await client.delete(ref, { propagation: 'Background', signal: ctx.signal });
          return ordered;
        },
      };
    },
  });
}

/** Registered by the module's index: `helix play --prune` asks it for its task. */
export const k8sPruner: Pruner = { name: 'k8s', task: prune };
