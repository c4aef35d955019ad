import type { Secret } from './secret.ts';

/** How to reach a Kubernetes API server. Follows kubeconfig conventions. */
export interface KubeSettings {
  /** Path to a kubeconfig; `KUBECONFIG` or `~/.kube/config` when absent. */
  kubeconfig?: string;
  /** Context to use; the kubeconfig's current context when absent. */
  context?: string;
  /** Use the in-cluster service account instead of a kubeconfig. @default false */
  inCluster?: boolean;
}

/** An inventory host reached over SSH. */
export interface HostSpec {
  address: string;
  /** @default 22 */
  port: number;
  user: string;
  /** Private key file. The SSH agent (`SSH_AUTH_SOCK`) is tried when absent. */
  key?: string;
  /** Expected host key(s) (`ssh-ed25519 AAAA...`); known_hosts is consulted when absent. */
  hostKeys: string[];
  /** Explicit, logged opt-out of host key checking. @default false */
  insecureSkipHostKeyCheck: boolean;
  /** Password for `become` (sudo). */
  becomePassword?: Secret;
  vars: Record<string, unknown>;
}

/** Where a task runs: this machine, or an inventory host. */
export interface HostTarget {
  readonly name: string;
  readonly local: boolean;
  readonly spec?: HostSpec;
  /** Host variables merged over group variables. */
  readonly vars: Record<string, unknown>;
  /**
   * The playbook's host, when a task is delegated to this one (`ssh.delegateTo`): commands go to
   * `name`, the task still runs for `delegatedFrom` (Ansible's `inventory_hostname`).
   */
  readonly delegatedFrom?: string;
}

export const LOCALHOST: HostTarget = Object.freeze({ name: 'localhost', local: true, vars: {} });

/**
 * One environment of the inventory, typed and validated, passed explicitly to playbooks.
 * `vars` holds the component's variables after validation against its schema.
 */
export interface Env<V = Record<string, unknown>> {
  readonly name: string;
  readonly vars: V;
  readonly kubernetes: KubeSettings | undefined;
  /**
   * The HTTP targets (`host` or `host:port`) whose TLS certificates are not verified, each with
   * where that was set (`inventory/local.yaml: tls.targets`). Every other certificate is verified;
   * only an inventory can list a target here, one by one. @default {}
   */
  readonly tlsUnverified?: Readonly<Record<string, string>>;
  readonly hosts: Readonly<Record<string, HostSpec>>;
  readonly groups: Readonly<Record<string, readonly string[]>>;
  /** Where each variable's value came from (`inventory/prod.yaml: components.devpi.namespace`). */
  readonly provenance: Readonly<Record<string, string>>;
  /** Folder of the inventory file, for resolving relative paths. */
  readonly inventoryDir: string;
  /**
   * The component these vars belong to, when a run prepared the environment for one. Modules
   * label what they create with it (ownership for `--prune`).
   */
  readonly component?: string;
}

/** The targets whose TLS certificates are not verified in `env` (see {@link Env.tlsUnverified}). */
export function unverifiedTargets(env: Pick<Env, 'tlsUnverified'>): string[] {
  return Object.keys(env.tlsUnverified ?? {});
}
