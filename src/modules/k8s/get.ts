import { defineTask, noChange, noChangeUnknownResult, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { VERBS } from './access.ts';
import { k8sClient } from './context.ts';
import { readObject } from './facts.ts';
import { checkScope, type RefOptions, refFrom, refProblems } from './ref.ts';
import { describeRef, targetOf } from './target.ts';
import type { KubeObject } from './types.ts';

export type GetOptions = RefOptions & TaskOptions<KubeObject | undefined>;

/**
 * Reads one object for later tasks (`ctx.result(task)`): the object, or undefined when it
 * does not exist. Plans no change. In a check run, an object an earlier task plans to create
 * is unknown until applied, and later tasks that need it are reported as predicted changes.
 */
export function get(name: string, options: GetOptions): Task<KubeObject | undefined> {
  const [own, common] = splitOptions(options);
  return defineTask<KubeObject | undefined>({
    kind: 'k8s.get',
    name,
    options: common,
    kubeAccess: () => [{ ...refFrom(own), verbs: VERBS.read }],
    validate: (report) => refProblems(own).forEach(report),
    plan: async (ctx) => {
      const client = k8sClient(ctx);
      const ref = await checkScope(client, refFrom(own));
      const obj = await readObject(client, ref, ctx.signal);
      if (obj) return noChange(`${describeRef(ref)} exists`, obj);
      if (ctx.plannedCreate(targetOf(ref))) return noChangeUnknownResult(`${describeRef(ref)} is created earlier in this run`);
      return noChange(`${describeRef(ref)} does not exist`, undefined);
    },
  });
}
