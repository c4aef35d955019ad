import type { KubernetesObject } from '@kubernetes/client-node';
import { Resolver } from 'node:dns/promises';

import { join } from 'node:path';
import { COREDNS_BUILD, goBuild, goBuildDir } from '../build.ts';
import { writeIfChanged } from '../host.ts';
import { type Component, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { applyObjects, userRole } from '../kube-apply.ts';
import { step } from '../progress.ts';
import { DOMAIN, FIXED_ADDRESSES, NET, PORTS, VERSIONS } from '../versions.ts';
import { adminKubeconfig, componentKubeconfig, CONTEXT } from './kubernetes.ts';

/**
 * Cluster DNS: CoreDNS (built from the Go module proxy) on the node's address, port 53,
 * reached by pods through the `kube-dns` Service (10.213.8.10) that kube-proxy routes. It
 * answers `cluster.local` from the API (kubernetes plugin), every `*.sandbox.test` name with
 * Traefik's address, the sandbox's fixed names with theirs, and nothing else: there is no
 * upstream, so a pod cannot even resolve a name off this machine.
 */
const USER = 'helix-coredns';

export function corefile(kubeconfig: string, hostsFile: string): string {
  const bind = `bind ${NET.nodeIp}`;
  const names = FIXED_ADDRESSES.map(([, name]) => name);
  // A file of its own: the hosts plugin would otherwise also read the host's /etc/hosts.
  return `${names.join(' ')} {
  ${bind}
  hosts ${hostsFile}
}

${DOMAIN}:53 {
  ${bind}
  errors
  template IN A ${DOMAIN} {
    answer "{{ .Name }} 30 IN A ${NET.ingressIp}"
  }
  template IN AAAA ${DOMAIN} {
    rcode NOERROR
  }
}

.:53 {
  ${bind}
  errors
  health 127.0.0.1:${PORTS.corednsHealth}
  ready 127.0.0.1:${PORTS.corednsReady}
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${kubeconfig} ${CONTEXT}
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  cache 5
}
`;
}

/** The objects that make CoreDNS the cluster's DNS: its read access, and the kube-dns Service pointing at it. */
function clusterObjects(): KubernetesObject[] {
  return [
    ...userRole('helix-sandbox:coredns', USER, [
      { apiGroups: [''], resources: ['endpoints', 'services', 'pods', 'namespaces'], verbs: ['list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch'] },
    ]),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' } },
      spec: {
        clusterIP: NET.clusterDnsIp,
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
          { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        ],
      },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: 'kube-dns-helix-sandbox',
        namespace: 'kube-system',
        labels: { 'kubernetes.io/service-name': 'kube-dns', 'endpointslice.kubernetes.io/managed-by': 'helix-sandbox' },
      },
      addressType: 'IPv4',
      endpoints: [{ addresses: [NET.nodeIp], conditions: { ready: true } }],
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    },
  ] as KubernetesObject[];
}

/** Asks CoreDNS directly for a name; the addresses it answers (empty on any error). */
export async function resolveWithSandboxDns(name: string, server = NET.nodeIp): Promise<string[]> {
  const r = new Resolver({ timeout: 2000, tries: 1 });
  r.setServers([server]);
  return r.resolve4(name).catch(() => []);
}

export const coredns: Component = {
  name: 'coredns',
  description: `CoreDNS v${VERSIONS.coredns}: cluster.local and *.${DOMAIN} for pods, at ${NET.nodeIp}:53 (Service ${NET.clusterDnsIp})`,
  deps: ['kube-apiserver', 'net'],
  prepare: async (ctx) => {
    await step(ctx.report, 'coredns', `build CoreDNS v${VERSIONS.coredns} (cached)`, () => goBuild(COREDNS_BUILD));
  },
  start: async (ctx) => {
    const kubeconfig = await componentKubeconfig(ctx, 'coredns', USER);
    await applyObjects(adminKubeconfig(ctx), clusterObjects());
    const hostsFile = join(ctx.dir, 'coredns-hosts');
    const hostsChanged = writeIfChanged(hostsFile, `${FIXED_ADDRESSES.map(([ip, name]) => `${ip} ${name}`).join('\n')}\n`);
    const file = join(ctx.dir, 'Corefile');
    const changed = writeIfChanged(file, corefile(kubeconfig, hostsFile)) || hostsChanged;
    await ensureProcess(ctx, {
      component: 'coredns',
      proc: 'coredns',
      cmd: join(goBuildDir(COREDNS_BUILD.name, COREDNS_BUILD.version), 'bin', 'coredns'),
      args: ['-conf', file],
      marker: file,
      changed,
      healthy: () => httpOk(`http://127.0.0.1:${PORTS.corednsReady}/ready`),
      timeoutMs: 60_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'coredns', ['coredns']);
    if (!p.ok) return p;
    const [api, ingress] = await Promise.all([resolveWithSandboxDns('kubernetes.default.svc.cluster.local'), resolveWithSandboxDns(`ingress.${DOMAIN}`)]);
    const ok = api.includes(NET.kubernetesServiceIp) && ingress.includes(NET.ingressIp);
    return { ok, detail: `${p.detail}; kubernetes.default → ${api.join(',') || 'nothing'}, ingress.${DOMAIN} → ${ingress.join(',') || 'nothing'}` };
  },
};
