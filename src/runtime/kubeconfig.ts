import { KubeConfig } from '@kubernetes/client-node';
import type { KubeSettings } from './env.ts';
import { ConfigError } from './errors.ts';

/**
 * Loads a kubeconfig the way kubectl does: in-cluster when asked, else the environment's
 * `kubeconfig` path, else `KUBECONFIG` / `~/.kube/config`; then selects the environment's context.
 */
export function loadKubeConfig(settings: KubeSettings | undefined): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (settings?.inCluster) kc.loadFromCluster();
    else if (settings?.kubeconfig) kc.loadFromFile(settings.kubeconfig);
    else kc.loadFromDefault();
  } catch (error) {
    throw new ConfigError(`cannot load kubeconfig: ${(error as Error).message}`, 'kubernetes.kubeconfig', { cause: error });
  }
  if (settings?.context) {
    if (!kc.getContexts().some((c) => c.name === settings.context)) {
      throw new ConfigError(`kubeconfig has no context "${settings.context}"`, 'kubernetes.context');
    }
    kc.setCurrentContext(settings.context);
  }
  return kc;
}
