/**
 * Versions, ports and addresses of the sandbox, in one place. Every cached build and
 * download is keyed by the version here, so bumping one rebuilds only that component.
 */
export const VERSIONS = {
  kubernetes: '1.36.3',
  etcd: '3.6.16',
  kwok: '0.8.0',
  oauth2Proxy: '7.15.3',
  keycloak: '26.7.4',
  devpiServer: '6.20.3',
  devpiWeb: '5.1.1',
  devpiClient: '7.3.0',
  coredns: '1.15.0',
  /** 3.6: 3.7 needs a module (`traefik/dynamic/ext`) that the Go module proxy does not serve. */
  traefik: '3.6.12',
  localPath: '0.0.30',
  /** The newest 3.7 the Go module proxy serves (v4 is served only as v4.0.5, with reported flaws). */
  argoWorkflows: '3.7.18',
  /** Chainguard's fork: the proxy refuses Google's archived module and the osscontainertools fork. */
  kaniko: '1.25.6',
  /** Needs Go 1.27 (the build fetches go1.27.3 from the Go module proxy). */
  argoCd: '3.6.2',
  /** Prometheus 3.16.0's module tag (the proxy serves 3.x as v0.3xx.y): promtool for rule unit tests. */
  prometheus: '0.316.0',
  /** The newest OpenTofu the Go module proxy lists. */
  opentofu: '1.12.6',
  /** SeaweedFS (S3 server for the Terraform backend tests): the proxy lists no tag, only this commit. */
  seaweedfs: '0.0.0-20261109003541-7506e5f91cd6',
  /** Tag of the pause image the sandbox builds from Debian's static catatonit. */
  pause: '3.10',
} as const;

/** Loopback ports, chosen away from the usual defaults so a developer's own services do not clash. */
export const PORTS = {
  etcdClient: 23790,
  etcdPeer: 23800,
  apiserver: 16443,
  controllerManager: 20257,
  scheduler: 20259,
  kwok: 20247,
  keycloak: 18080,
  keycloakManagement: 19000,
  redis: 16379,
  postgres: 15432,
  devpi: 13141,
  /** The GitHub API stand-in (components/github.ts). */
  github: 18089,
  /** On the node address (the apiserver reaches the kubelet there for logs and exec). */
  kubelet: 20250,
  kubeletHealthz: 20248,
  kubeProxyHealthz: 20256,
  kubeProxyMetrics: 20249,
  corednsHealth: 20281,
  corednsReady: 20282,
  traefikPing: 20283,
  containerdMetrics: 20338,
  /** Argo CD (opt-in, components/argo-cd.ts): its Redis, the repo server's gRPC and the metrics/health ports. */
  argocdRedis: 16380,
  argocdRepoServer: 18081,
  argocdRepoServerMetrics: 18084,
  argocdControllerMetrics: 18082,
} as const;

/**
 * The sandbox's private network: a bridge on this machine plus one network namespace per
 * SSH host. Nothing outside this /24 is ever addressed.
 */
export const NET = {
  bridge: 'hxbr0',
  cidr: '10.213.7.0/24',
  gateway: '10.213.7.1',
  prefix: 24,
  /** Cluster IPs: kube-proxy routes them on this machine only. */
  serviceCidr: '10.213.8.0/24',
  kubernetesServiceIp: '10.213.8.1',
  /** The `kube-dns` Service (its endpoint is CoreDNS on the gateway address). */
  clusterDnsIp: '10.213.8.10',
  /** Pods of the real node: the CNI bridge below, one address each from host-local IPAM. */
  podCidr: '10.213.9.0/24',
  podGateway: '10.213.9.1',
  cniBridge: 'hxcni0',
  /** The real node's address: the gateway, where the apiserver reaches the kubelet. */
  nodeIp: '10.213.7.1',
  /** Traefik's address (80, 443): every ingress host name of the sandbox domain resolves here. */
  ingressIp: '10.213.7.2',
  /** The image registry's address (443). */
  registryIp: '10.213.7.3',
  /** kwok's fake pods get addresses from here (never routed; apart from the real pods'). */
  kwokPodCidr: '10.213.10.0/24',
  /** The only destinations pods may reach: the sandbox's ranges. */
  sandboxRange: '10.213.0.0/16',
} as const;

export const GIT_HOST = { name: 'git', address: '10.213.7.20', user: 'git' } as const;

/** The sandbox's DNS domain: `*.sandbox.test` answers with Traefik, in pods (CoreDNS) and on the host. */
export const DOMAIN = 'sandbox.test';

/** Host names of the sandbox with fixed addresses (also written to the host's /etc/hosts). */
export const HOST_NAMES = {
  registry: `registry.${DOMAIN}`,
  /** The address the host services answer on for pods (Keycloak, PostgreSQL, Redis). */
  host: `host.${DOMAIN}`,
  git: `git.${DOMAIN}`,
  ingress: `ingress.${DOMAIN}`,
} as const;

/** The sandbox's names with fixed addresses: in the host's /etc/hosts and answered by CoreDNS. */
export const FIXED_ADDRESSES: readonly (readonly [string, string])[] = [
  [NET.registryIp, HOST_NAMES.registry],
  [NET.gateway, HOST_NAMES.host],
  [GIT_HOST.address, HOST_NAMES.git],
];

/**
 * Ingress host names written to the host's /etc/hosts (the host has no wildcard resolver;
 * pods resolve every `*.sandbox.test` name through CoreDNS).
 */
export const INGRESS_HOST_NAMES = [
  `traefik.${DOMAIN}`,
  `hello.${DOMAIN}`,
  `whoami.${DOMAIN}`,
  `packages.devpi.${DOMAIN}`,
  `packages-api.devpi.${DOMAIN}`,
  `argocd.${DOMAIN}`,
  `argo-workflows.${DOMAIN}`,
  `devtron.platform.${DOMAIN}`,
  `auth.platform.${DOMAIN}`,
] as const;

/** The real node's name (a kubelet on this machine). */
export const NODE_NAME = 'helix-node';

/**
 * SSH hosts: 3 unless `up` asks for more (`--ssh-hosts`, `HELIX_SANDBOX_SSH_HOSTS`), e.g. 20
 * for the SSH fan-out benchmark. At most {@link SSH_HOSTS_MAX}, so all fit in the /24.
 */
export const SSH_HOSTS_DEFAULT = 3;
export const SSH_HOSTS_MAX = 100;

export interface SshHostDef {
  name: string;
  address: string;
  user: string;
}

/**
 * SSH host `n` (from 1): `host<n>`, login user `helix<n>`, address 10.213.7.(10 + n) skipping
 * the git host's .20, so host1-host9 are .11-.19 and host10 is .21.
 */
export function sshHost(n: number): SshHostDef {
  const last = 10 + n + (n >= 10 ? 1 : 0);
  return { name: `host${n}`, address: `10.213.7.${last}`, user: `helix${n}` };
}

/** host1 … host<count>. */
export function sshHostList(count: number): SshHostDef[] {
  return Array.from({ length: count }, (_, i) => sshHost(i + 1));
}

/** Fake kwok nodes registered in the cluster (no taint, so ordinary workloads schedule). */
export const KWOK_NODES = ['kwok-node-0', 'kwok-node-1'] as const;
