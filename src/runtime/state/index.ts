import { join } from 'node:path';
import type { Env } from '../env.ts';
import { loadKubeConfig } from '../kubeconfig.ts';
import { stateDir } from '../paths.ts';
import { FileJournal, type Journal, KubeJournal } from './journal.ts';
import { LeaseLock } from './lease.ts';
import { FileLock, type RunLock } from './lock.ts';

export * from './journal.ts';
export * from './lock.ts';
export { SYSTEM_NAMESPACE } from './lease.ts';

/**
 * The lock and journal of a (component, environment): in the cluster when the environment has
 * one (a Lease and Secrets in `helix-system`), else under the local state directory.
 */
export function stateFor(env: Env, component: string): { lock: RunLock; journal: Journal; where: string } {
  const scope = `${component}-${env.name}`;
  if (env.kubernetes) {
    const kc = loadKubeConfig(env.kubernetes);
    return { lock: new LeaseLock(kc, scope), journal: new KubeJournal(kc, component, env.name), where: 'cluster' };
  }
  return {
    lock: new FileLock(join(stateDir(), 'locks'), scope),
    journal: new FileJournal(join(stateDir(), 'runs'), component, env.name),
    where: 'local',
  };
}
