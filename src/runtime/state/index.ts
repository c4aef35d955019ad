import { join } from 'node:path';
import type { Env } from '../env.ts';
import { kubeHttp, memoOf } from '../kube/index.ts';
import { KubeRest } from '../kube/rest.ts';
import { stateDir } from '../paths.ts';
import { FileJournal, type Journal, KubeJournal } from './journal.ts';
import { LeaseLock } from './lease.ts';
import { FileLock, type RunLock } from './lock.ts';

export * from './journal.ts';
export * from './lock.ts';
export { SYSTEM_NAMESPACE } from './lease.ts';

/**
 * The lock and journal of a (component, environment): in the cluster when the environment has
 * one (a Lease and Secrets in `helix-system`), else under the local state directory. `memo` is
 * the run's memo, so the lock, the journal and the tasks share one connection to the cluster.
 */
export function stateFor(env: Env, component: string, memo: Map<string, unknown> = new Map()): { lock: RunLock; journal: Journal; where: string } {
  const scope = `${component}-${env.name}`;
  if (env.kubernetes) {
    const api = new KubeRest(kubeHttp({ env, memo: memoOf(memo) }).transport);
    return { lock: new LeaseLock(api, scope), journal: new KubeJournal(api, component, env.name), where: 'cluster' };
  }
  return {
    lock: new FileLock(join(stateDir(), 'locks'), scope),
    journal: new FileJournal(join(stateDir(), 'runs'), component, env.name),
    where: 'local',
  };
}
