import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeSettings } from '../../runtime/env.ts';
import { ConfigError } from '../../runtime/errors.ts';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const WHERE = 'kubernetes';

/**
 * Loads the kubeconfig an environment asks for, following kubeconfig conventions:
 * `kubernetes.inCluster` → the pod's service account; `kubernetes.kubeconfig` → that file;
 * else `KUBECONFIG` (a list of files, merged), else `~/.kube/config`, else the in-cluster
 * service account when running in a pod. `kubernetes.context` selects the context; the
 * file's current context is used otherwise. Never falls back to an implicit localhost.
 */
export function loadKubeConfig(settings: KubeSettings | undefined, environ: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  const load = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      throw new ConfigError(`cannot load ${what}: ${(error as Error).message.split('\n')[0]}`, WHERE);
    }
  };
  const defaultFile = join(homedir(), '.kube', 'config');
  if (settings?.inCluster) {
    if (!environ.KUBERNETES_SERVICE_HOST) throw new ConfigError('inCluster is set but KUBERNETES_SERVICE_HOST is not (not running in a pod?)', WHERE);
    load('the in-cluster service account', () => kc.loadFromCluster());
  } else if (settings?.kubeconfig) {
    const file = settings.kubeconfig;
    if (!existsSync(file)) throw new ConfigError(`kubeconfig ${file} does not exist`, WHERE);
    load(`kubeconfig ${file}`, () => kc.loadFromFile(file));
  } else if (environ.KUBECONFIG) {
    const files = environ.KUBECONFIG.split(delimiter).filter(Boolean);
    const missing = files.filter((f) => !existsSync(f));
    if (missing.length === files.length) throw new ConfigError(`KUBECONFIG names no existing file (${environ.KUBECONFIG})`, WHERE);
    load(`KUBECONFIG ${environ.KUBECONFIG}`, () => {
      const [first, ...rest] = files.filter((f) => existsSync(f));
      kc.loadFromFile(first!);
      // kubectl's rule: the first file to set a name (cluster, user, context) wins.
      for (const f of rest) {
        const more = new KubeConfig();
        more.loadFromFile(f);
        for (const c of more.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
        for (const u of more.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
        for (const c of more.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
        if (!kc.getCurrentContext()) kc.setCurrentContext(more.getCurrentContext());
      }
    });
  } else if (existsSync(defaultFile)) {
    load(`kubeconfig ${defaultFile}`, () => kc.loadFromFile(defaultFile));
  } else if (environ.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    load('the in-cluster service account', () => kc.loadFromCluster());
  } else {
    throw new ConfigError('no kubeconfig: set kubernetes.kubeconfig in the inventory, KUBECONFIG, or create ~/.kube/config', WHERE);
  }
  if (settings?.context) {
    if (!kc.getContextObject(settings.context)) {
      const known = kc.getContexts().map((c) => c.name).join(', ') || 'none';
      throw new ConfigError(`kubeconfig has no context "${settings.context}" (contexts: ${known})`, WHERE);
    }
    kc.setCurrentContext(settings.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new ConfigError(`kubeconfig context "${kc.getCurrentContext() || '(none)'}" names no cluster`, WHERE);
  }
  return kc;
}
