import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CACHE_HOME/helix`: builds and downloads, keyed by version. */
export function cacheDir(): string {
  return process.env.HELIX_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'helix');
}

/** `$XDG_STATE_HOME/helix/sandbox`: the running sandbox's state (pids, logs, kubeconfig, inventory). */
export function sandboxDir(): string {
  return process.env.HELIX_SANDBOX_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'helix', 'sandbox');
}

/** `$XDG_STATE_HOME/helix`: run locks and journals of cluster-less components. */
export function stateDir(): string {
  return process.env.HELIX_STATE_DIR ?? join(process.env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'helix');
}
