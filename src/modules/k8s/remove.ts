import type { Change } from '../../runtime/change.ts';
import { sourceAccess, VERBS } from './access.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { defineTask, noChange, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import type { Propagation } from './client.ts';
import { k8sClient } from './context.ts';
import { orderForDelete } from './manifest.ts';
import { DEFAULT_WAIT_MS, pollUntil } from './poll.ts';
import { checkScope, type RefOptions, refFrom, refProblems } from './ref.ts';
import { isStaticSource, loadSource, type ManifestSource, sourceProblem } from './source.ts';
import { describeRef, refOf, targetOf } from './target.ts';
import type { KubeRef, Manifest } from './types.ts';
import { checkManifest } from './validate.ts';

interface RemoveCommon extends TaskOptions<KubeRef[]> {
  /**
   * How dependents (a Deployment's ReplicaSets and Pods) are deleted: `Foreground` deletes
   * them before the object, `Background` after, `Orphan` leaves them.
   * @default per kind: {@link defaultPropagation}
   */
  propagation?: Propagation;
  /** Wait until the objects are gone (finalizers done). @default true */
  wait?: boolean;
  /** How long the wait may take. @default 300000 */
  timeoutMs?: number;
}

/** Name the object (`apiVersion`, `kind`, `name`, `namespace`), or give the manifests to delete. */
export type RemoveOptions = RemoveCommon & (RefOptions | (ManifestSource & { namespace?: string }));

const PROPAGATIONS = new Set(['Foreground', 'Background', 'Orphan']);

/** The built-in kinds whose dependents are the Pods they run (and the ReplicaSets or Jobs in between). */
const WORKLOADS = new Set(['apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet', 'apps/DaemonSet', 'batch/Job', 'batch/CronJob', '/ReplicationController']);

/**
 * How an object is deleted when the task does not say. A workload is deleted `Foreground`, so
 * the wait for it to be gone also waits for its Pods (a rollback then play does not race old
 * Pods for a volume). Every other kind is deleted `Background`: a Secret, a ConfigMap or a
 * Service has no dependents, a Namespace and most custom resources are torn down by their own
 * controllers and finalizers, and `Foreground` on them only adds a garbage-collector finalizer
 * that can hang the delete while kube-controller-manager is busy or down.
 */
export function defaultPropagation(ref: Pick<KubeRef, 'apiVersion' | 'kind'>): Propagation {
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.lastIndexOf('/')) : '';
  return WORKLOADS.has(`${group}/${ref.kind}`) ? 'Foreground' : 'Background';
}

/**
 * Deletes objects and (by default) waits until they are gone. Plans nothing when they are
 * already absent. Given manifests, deletes them in reverse dependency order. The result is
 * the objects that were deleted.
 */
export function remove(name: string, options: RemoveOptions): Task<KubeRef[]> {
  const [own, common] = splitOptions(options as RemoveCommon & RefOptions & ManifestSource);
  const fromManifests = own.manifest !== undefined || own.manifests !== undefined || own.file !== undefined || own.dir !== undefined;
  const wait = own.wait !== false;
  const timeoutMs = own.timeoutMs ?? DEFAULT_WAIT_MS;

  const refsFor = (ctx?: TaskContext): KubeRef[] => {
    if (!fromManifests) return [refFrom(own)];
    const docs = isStaticSource(own) ? loadSource(own) : loadSource(own, ctx);
    const problems = docs.flatMap((d, i) => checkManifest(d, i, own.namespace ? { defaultNamespace: own.namespace } : {}));
    if (problems.length) throw new ConfigError(problems.join('; '));
    return orderForDelete(docs as Manifest[]).map((m) =>
      refOf(m.metadata.namespace || !own.namespace ? m : { ...m, metadata: { ...m.metadata, namespace: own.namespace } }),
    );
  };

  return defineTask<KubeRef[]>({
    kind: 'k8s.delete',
    name,
    options: common,
    kubeAccess: () => (fromManifests ? sourceAccess(own, own.namespace, VERBS.delete) : [{ ...refFrom(own), verbs: VERBS.delete }]),
    validate: (report) => {
      if (own.propagation !== undefined && !PROPAGATIONS.has(own.propagation))
        report(`propagation must be Foreground, Background or Orphan (got "${own.propagation}")`);
      if (!(timeoutMs > 0)) report('timeoutMs must be positive');
      if (!fromManifests) return refProblems(own).forEach(report);
      const p = sourceProblem(own);
      if (p) return report(p);
      if (!isStaticSource(own)) return;
      try {
        refsFor();
      } catch (error) {
        report((error as Error).message);
      }
    },
    plan: async (ctx) => {
      const client = k8sClient(ctx);
      const present: KubeRef[] = [];
      const changes: Change[] = [];
      for (const r of refsFor(ctx)) {
        const ref = await checkScope(client, r);
        // Only its presence counts: the object (a Secret's values) never leaves this task, so nothing
        // in it is marked secret (marking a plain word would hide it from the rest of the output).
        const live = await client.get(ref, ctx.signal);
        if (!live) continue;
        present.push(ref);
        const change: Change = { target: targetOf(ref), action: 'delete' };
        if (live.metadata.deletionTimestamp) change.summary = 'already being deleted';
        changes.push(change);
      }
      if (changes.length === 0) {
        const what = refsFor(ctx);
        return noChange(what.length === 1 ? `${describeRef(what[0]!)} is already absent` : `${what.length} objects are already absent`, []);
      }
      return {
        changes,
        apply: async () => {
          for (const ref of present) await client.delete(ref, { propagation: own.propagation ?? defaultPropagation(ref), signal: ctx.signal });
          if (!wait) return present;
          const clock = client.retryPolicy;
          const deadline = clock.now() + timeoutMs;
          for (const ref of present) {
            await pollUntil({
              read: () => client.get(ref, ctx.signal),
              check: (o) =>
                o
                  ? {
                      state: 'waiting',
                      message: `still present${o.metadata.finalizers ? ` (finalizers: ${(o.metadata.finalizers as string[]).join(', ')})` : ''}`,
                    }
                  : { state: 'ready', message: 'gone' },
              target: targetOf(ref),
              what: `${describeRef(ref)} to be deleted`,
              timeoutMs: Math.max(0, deadline - clock.now()),
              clock,
              signal: ctx.signal,
            });
          }
          return present;
        },
      };
    },
  });
}
