import { kubeHttp } from '../../runtime/kube/index.ts';
import type { TaskContext } from '../../runtime/task.ts';
import { KubeClient } from './client.ts';

/** Memo key of the run's client; tests put a client over a fake transport here. */
export const CLIENT_KEY = 'k8s:client';
/** Memo key of the CRDs apply tasks of this run declared: `group/Kind` → CRD name and scope. */
export const CRDS_KEY = 'k8s:crds';

/**
 * The run's API client (one per run, built from the environment's kubernetes settings), over
 * the run's one HTTP transport, which the run lock and journal share.
 */
export function k8sClient(ctx: Pick<TaskContext, 'memo' | 'env'>): KubeClient {
  return ctx.memo(CLIENT_KEY, () => {
    const { transport, server } = kubeHttp(ctx);
    return new KubeClient(transport, { server });
  });
}

export interface DeclaredCrd {
  /** `<plural>.<group>`, the CRD's name. */
  name: string;
  namespaced: boolean;
}

/** CRDs that apply tasks of this run manage, so a later task can plan their custom resources. */
export function declaredCrds(ctx: Pick<TaskContext, 'memo'>): Map<string, DeclaredCrd> {
  return ctx.memo(CRDS_KEY, () => new Map<string, DeclaredCrd>());
}
