import { defineTask, noChange, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { VERBS } from './access.ts';
import { k8sClient } from './context.ts';
import { listObjects } from './facts.ts';
import type { KubeObject } from './types.ts';

export interface ListTaskOptions extends TaskOptions<KubeObject[]> {
  /** `apps/v1`, `v1`, `example.com/v1alpha1`. */
  apiVersion: string;
  kind: string;
  /** Absent: every namespace (for namespaced kinds). */
  namespace?: string;
  /** `app=web,tier!=cache`. */
  labelSelector?: string;
  /** `status.phase=Running`. */
  fieldSelector?: string;
}

/**
 * Lists objects of a kind for later tasks (`ctx.result(task)`: the objects, possibly none),
 * optionally in one namespace and by label or field selector. Plans no change.
 */
export function list(name: string, options: ListTaskOptions): Task<KubeObject[]> {
  const [own, common] = splitOptions(options);
  return defineTask<KubeObject[]>({
    kind: 'k8s.list',
    name,
    options: common,
    kubeAccess: () => [{ apiVersion: own.apiVersion, kind: own.kind, ...(own.namespace ? { namespace: own.namespace } : {}), verbs: VERBS.read }],
    validate: (report) => {
      if (!own.apiVersion) report('apiVersion is required');
      if (!own.kind) report('kind is required');
    },
    plan: async (ctx) => {
      const items = await listObjects(
        k8sClient(ctx),
        own.apiVersion,
        own.kind,
        {
          ...(own.namespace ? { namespace: own.namespace } : {}),
          ...(own.labelSelector ? { labelSelector: own.labelSelector } : {}),
          ...(own.fieldSelector ? { fieldSelector: own.fieldSelector } : {}),
        },
        ctx.signal,
      );
      const where = [
        own.namespace ? `in ${own.namespace}` : '',
        own.labelSelector ? `with ${own.labelSelector}` : '',
        own.fieldSelector ? `with ${own.fieldSelector}` : '',
      ]
        .filter(Boolean)
        .join(' ');
      return noChange(`${items.length} ${own.kind}${where ? ` ${where}` : ''}`, items);
    },
  });
}
