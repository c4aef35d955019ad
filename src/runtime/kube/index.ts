/**
 * How helix reaches a Kubernetes API server: a lean kubeconfig reader and one keep-alive HTTP
 * transport per run, shared by the run lock, the journal and the k8s task module.
 */
import type { Env } from '../env.ts';
import { loadKubeConfig } from './config.ts';
import { type KubeHttp, kubeTransport } from './transport.ts';

export { type ExecPlugin, type KubeConnection, loadKubeConfig } from './config.ts';
export { buildUrl, type KubeHttp, type KubeRequest, type KubeResponse, kubeTransport, type Transport } from './transport.ts';
export { KubeRest, KubeStatusError } from './rest.ts';

/** Memo key of the run's HTTP transport to the environment's cluster. */
export const KUBE_HTTP_KEY = 'kube:http';

type Memo = <T>(key: string, make: () => T) => T;

/** The run's transport to `env.kubernetes` (built on first use; the run closes it at the end). */
export function kubeHttp(ctx: { env: Pick<Env, 'kubernetes'>; memo: Memo }): KubeHttp {
  return ctx.memo(KUBE_HTTP_KEY, () => kubeTransport(loadKubeConfig(ctx.env.kubernetes)));
}

/** A memo over a map, for code that holds the run's map rather than a task context. */
export function memoOf(map: Map<string, unknown>): Memo {
  return <T>(key: string, make: () => T): T => {
    if (!map.has(key)) map.set(key, make());
    return map.get(key) as T;
  };
}
