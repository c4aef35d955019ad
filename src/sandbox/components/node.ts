import type { V1Node } from '@kubernetes/client-node';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { goBuild, goBuildDir, KUBERNETES_NODE_BUILD } from '../build.ts';
import { type Component, type Ctx, ensureProcess, processesAlive, saveCtx } from '../component.ts';
import { ensureChain, removeChain, removeChainsByPrefix, restoreSysctls, setSysctl, unmountUnder, writeIfChanged } from '../host.ts';
import { httpOk } from '../http.ts';
import { Pki } from '../pki.ts';
import { step } from '../progress.ts';
import { isOurs, run, runStatus, stopPid, waitUntil } from '../proc.ts';
import { HOST_NAMES, NET, NODE_NAME, PORTS, VERSIONS } from '../versions.ts';
import { componentKubeconfig, kubeClient } from './kubernetes.ts';
import { linkAddrs, requireRoot } from './net.ts';

/**
 * The sandbox's real node: Debian's containerd and runc run the containers, the kubelet and
 * kube-proxy (built from the same Kubernetes version as the control plane) make this machine
 * a node, and Debian's CNI plugins give each pod an address on a bridge. Everything lives
 * under two folders that `down` removes after unmounting what is mounted there.
 * Why this combination: docs/decisions/007-real-node.md.
 */
export const NODE_ROOT = process.env.HELIX_SANDBOX_NODE_ROOT ?? '/var/lib/helix-sandbox';
export const NODE_RUN = process.env.HELIX_SANDBOX_NODE_RUN ?? '/run/helix-sandbox';

const paths = {
  containerdRoot: join(NODE_ROOT, 'containerd'),
  containerdState: join(NODE_RUN, 'containerd'),
  socket: join(NODE_RUN, 'containerd', 'containerd.sock'),
  kubeletRoot: join(NODE_ROOT, 'kubelet'),
  cniData: join(NODE_ROOT, 'cni'),
};
export const CONTAINERD_SOCKET = paths.socket;

const nodeDir = (ctx: Ctx) => join(ctx.dir, 'node');
const pki = (ctx: Ctx) => new Pki(join(ctx.dir, 'pki'));
const bin = (name: string) => join(goBuildDir(KUBERNETES_NODE_BUILD.name, KUBERNETES_NODE_BUILD.version), 'bin', name);

/** The pause image every pod sandbox starts from, built by the `registry` component. */
export const PAUSE_IMAGE = `${HOST_NAMES.registry}/helix/pause:${VERSIONS.pause}`;

/**
 * While DevPi and the platform still name images nobody builds, the real node carries this
 * taint: only workloads that tolerate it (the sandbox's own tests of real workloads) land
 * there, and everything else keeps landing on kwok's fake nodes as before.
 */
export const REAL_NODE_TAINT = { key: 'sandbox.helix.dev/real-node', value: 'true', effect: 'NoSchedule' } as const;

/** The commands containerd needs on PATH (its shim) and the binaries the node runs. */
const CONTAINERD = '/usr/bin/containerd';
const CTR = '/usr/bin/ctr';

function containerdConfig(ctx: Ctx): string {
  const certs = join(nodeDir(ctx), 'certs.d');
  const cniConf = join(nodeDir(ctx), 'cni');
  return `version = 2
root = ${JSON.stringify(paths.containerdRoot)}
state = ${JSON.stringify(paths.containerdState)}
# This VM refuses negative oom_score_adj; containers must not ask for one either.
oom_score = 0

[grpc]
  address = ${JSON.stringify(paths.socket)}

[ttrpc]
  address = ${JSON.stringify(`${paths.socket}.ttrpc`)}

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ${JSON.stringify(PAUSE_IMAGE)}
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "/usr/sbin/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = ${JSON.stringify(cniConf)}
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = ${JSON.stringify(certs)}
`;
}

/** Pods on one bridge; host-local hands out addresses of the pod range; no masquerade. */
function cniConfig(): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'helix-sandbox',
      plugins: [
        {
          type: 'bridge',
          bridge: NET.cniBridge,
          isGateway: true,
          ipMasq: false,
          hairpinMode: true,
          ipam: { type: 'host-local', ranges: [[{ subnet: NET.podCidr, gateway: NET.podGateway }]], routes: [{ dst: '0.0.0.0/0' }], dataDir: paths.cniData },
        },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** The registry's CA for containerd (the sandbox CA), so pulls verify TLS. */
function registryHosts(ctx: Ctx): void {
  const dir = join(nodeDir(ctx), 'certs.d', HOST_NAMES.registry);
  mkdirSync(dir, { recursive: true });
  writeIfChanged(
    join(dir, 'hosts.toml'),
    `server = "https://${HOST_NAMES.registry}"\n\n[host."https://${HOST_NAMES.registry}"]\n  capabilities = ["pull", "resolve"]\n  ca = ${JSON.stringify(pki(ctx).caCert)}\n`,
  );
}

/**
 * Only the sandbox's own ranges are reachable from pods: anything a pod sends elsewhere is
 * rejected where it would leave this machine.
 */
const FORWARD_CHAIN = {
  table: 'filter' as const,
  chain: 'HELIX-SANDBOX-FWD',
  from: 'FORWARD',
  rules: [
    ['-s', NET.podCidr, '-d', NET.sandboxRange, '-j', 'RETURN'],
    ['-s', NET.podCidr, '-j', 'REJECT', '--reject-with', 'icmp-net-prohibited'],
    ['-d', NET.podCidr, '-s', NET.sandboxRange, '-j', 'RETURN'],
    ['-d', NET.podCidr, '-j', 'REJECT', '--reject-with', 'icmp-net-prohibited'],
  ],
};

async function ctr(args: string[]): Promise<string> {
  return (await run(CTR, ['--address', paths.socket, '--namespace', 'k8s.io', ...args])).stdout;
}

async function containerdUp(): Promise<boolean> {
  if (!existsSync(paths.socket)) return false;
  return (await runStatus(CTR, ['--address', paths.socket, 'version'], { timeoutMs: 5000 })) === 0;
}

/**
 * Kills every container of the node and deletes it, then removes the pods' network
 * namespaces (taken from the containers' specs): what the kubelet would have torn down.
 */
async function removeContainers(): Promise<number> {
  if (!(await containerdUp())) return 0;
  const ids = (await ctr(['containers', 'list', '-q']).catch(() => '')).split('\n').filter(Boolean);
  const netns = new Set<string>();
  for (const id of ids) {
    try {
      const info = JSON.parse(await ctr(['containers', 'info', id])) as { Spec?: { linux?: { namespaces?: { type: string; path?: string }[] } } };
      for (const ns of info.Spec?.linux?.namespaces ?? [])
        if (ns.type === 'network' && ns.path?.startsWith('/var/run/netns/')) netns.add(ns.path.slice('/var/run/netns/'.length));
    } catch {
      /* gone meanwhile */
    }
    await runStatus(CTR, ['--address', paths.socket, '--namespace', 'k8s.io', 'tasks', 'kill', '--all', '--signal', 'SIGKILL', id]);
  }
  for (const id of ids) {
    await runStatus(CTR, ['--address', paths.socket, '--namespace', 'k8s.io', 'tasks', 'delete', '--force', id]);
    await runStatus(CTR, ['--address', paths.socket, '--namespace', 'k8s.io', 'containers', 'delete', id]);
  }
  for (const ns of netns) await runStatus('ip', ['netns', 'delete', ns]);
  return ids.length;
}

/** containerd's shims outlive containerd; any still serving our socket are stopped. */
async function stopShims(): Promise<number> {
  let n = 0;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (isOurs(pid, paths.socket) && isOurs(pid, 'containerd-shim')) {
      await stopPid(pid, 3000);
      n++;
    }
  }
  return n;
}

export const containerd: Component = {
  name: 'containerd',
  description: "containerd (Debian) with runc and the CNI bridge plugins: the real node's runtime",
  deps: ['net'],
  prepare: async () => {},
  start: async (ctx) => {
    requireRoot('containerd');
    const facts = (ctx.state.facts.containerd ??= {});
    // Routing between the pod bridge and the sandbox bridge, and Services for bridged traffic.
    const saved = (facts.sysctls ??= {}) as Record<string, string>;
    for (const [k, v] of [
      ['net.ipv4.ip_forward', '1'],
      ['net.bridge.bridge-nf-call-iptables', '1'],
    ] as const) {
      const before = setSysctl(k, v);
      if (before !== undefined && saved[k] === undefined) saved[k] = before;
    }
    await ensureChain(FORWARD_CHAIN);
    facts.chains = [FORWARD_CHAIN.chain];
    saveCtx(ctx);
    for (const d of [paths.containerdRoot, paths.containerdState, paths.kubeletRoot, paths.cniData, join(nodeDir(ctx), 'cni')])
      mkdirSync(d, { recursive: true, mode: 0o700 });
    const config = join(nodeDir(ctx), 'containerd.toml');
    const changed = writeIfChanged(config, containerdConfig(ctx));
    writeIfChanged(join(nodeDir(ctx), 'cni', '10-helix-sandbox.conflist'), cniConfig());
    registryHosts(ctx);
    await ensureProcess(ctx, {
      component: 'containerd',
      proc: 'containerd',
      cmd: CONTAINERD,
      args: ['--config', config],
      env: { ...process.env, PATH: `/usr/bin:/usr/sbin:/bin:/sbin:${process.env.PATH ?? ''}` },
      marker: config,
      changed,
      healthy: containerdUp,
      timeoutMs: 60_000,
    });
  },
  // Once the kubelet is stopped and before containerd stops: its containers, so no shim,
  // mount or network namespace is left behind.
  beforeStop: async (ctx) => {
    const n = await removeContainers();
    if (n) ctx.report(`sandbox: containerd: removed ${n} containers`);
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'containerd', ['containerd']);
    if (!p.ok) return p;
    const ok = await containerdUp();
    return { ok, detail: `${p.detail}; ${ok ? 'answers' : 'does not answer'} on ${paths.socket}` };
  },
  cleanup: async (ctx) => {
    const facts = ctx.state.facts.containerd ?? {};
    await stopShims();
    await unmountUnder([paths.containerdRoot, paths.containerdState, paths.kubeletRoot]);
    await removeChain(FORWARD_CHAIN);
    restoreSysctls((facts.sysctls ?? {}) as Record<string, string>);
    if (await linkAddrs(NET.cniBridge)) await runStatus('ip', ['link', 'delete', NET.cniBridge]);
    rmSync(NODE_ROOT, { recursive: true, force: true });
    rmSync(NODE_RUN, { recursive: true, force: true });
    delete ctx.state.facts.containerd;
    saveCtx(ctx);
  },
};

async function nodeReady(ctx: Ctx): Promise<V1Node | undefined> {
  try {
    const n = await kubeClient(ctx).readNode({ name: NODE_NAME });
    return n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? n : undefined;
  } catch {
    return undefined;
  }
}

let nodeBuild: Promise<string> | undefined;
const buildNode = (ctx: Ctx) =>
  (nodeBuild ??= step(ctx.report, 'kubelet', `build kubelet and kube-proxy v${VERSIONS.kubernetes} (cached)`, () => goBuild(KUBERNETES_NODE_BUILD)));

export const kubelet: Component = {
  name: 'kubelet',
  description: `kubelet v${VERSIONS.kubernetes}: node ${NODE_NAME} at ${NET.nodeIp}, containers on containerd`,
  deps: ['containerd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'registry'],
  prepare: async (ctx) => {
    await buildNode(ctx);
  },
  start: async (ctx) => {
    const p = pki(ctx);
    const kc = await componentKubeconfig(ctx, 'kubelet', `system:node:${NODE_NAME}`, 'system:nodes');
    const serving = await p.issue({
      name: 'kubelet-serving',
      cn: `system:node:${NODE_NAME}`,
      ips: [NET.nodeIp, '127.0.0.1'],
      dns: [NODE_NAME, 'localhost'],
      usage: 'server',
    });
    const config = join(nodeDir(ctx), 'kubelet.yaml');
    const changed = writeIfChanged(
      config,
      stringify({
        apiVersion: 'kubelet.config.k8s.io/v1beta1',
        kind: 'KubeletConfiguration',
        address: NET.nodeIp,
        port: PORTS.kubelet,
        readOnlyPort: 0,
        healthzBindAddress: '127.0.0.1',
        healthzPort: PORTS.kubeletHealthz,
        authentication: { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: p.caCert } },
        authorization: { mode: 'Webhook' },
        tlsCertFile: serving.cert,
        tlsPrivateKeyFile: serving.key,
        // cgroup v1 (hybrid) without systemd: see docs/decisions/007-real-node.md.
        failCgroupV1: false,
        cgroupDriver: 'cgroupfs',
        cgroupsPerQOS: false,
        enforceNodeAllocatable: [],
        failSwapOn: false,
        clusterDNS: [NET.clusterDnsIp],
        clusterDomain: 'cluster.local',
        containerRuntimeEndpoint: `unix://${paths.socket}`,
        imageServiceEndpoint: `unix://${paths.socket}`,
        // Disk and memory are shared with everything else on a developer machine: evict late.
        evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '1%', 'imagefs.available': '1%', 'nodefs.inodesFree': '1%' },
        imageGCHighThresholdPercent: 100,
        serializeImagePulls: false,
        maxPods: 110,
        registerNode: true,
        rotateCertificates: false,
        serverTLSBootstrap: false,
        shutdownGracePeriod: '0s',
        registerWithTaints: [REAL_NODE_TAINT],
      }),
    );
    await ensureProcess(ctx, {
      component: 'kubelet',
      proc: 'kubelet',
      cmd: bin('kubelet'),
      args: [
        `--config=${config}`,
        `--kubeconfig=${kc}`,
        `--root-dir=${paths.kubeletRoot}`,
        `--hostname-override=${NODE_NAME}`,
        `--node-ip=${NET.nodeIp}`,
        '--v=1',
      ],
      env: { ...process.env, PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}` },
      marker: `--root-dir=${paths.kubeletRoot}`,
      changed,
      healthy: () => httpOk(`http://127.0.0.1:${PORTS.kubeletHealthz}/healthz`, { contains: 'ok' }),
      timeoutMs: 120_000,
    });
    await step(ctx.report, 'kubelet', `wait until node ${NODE_NAME} is Ready`, async () => {
      const r = await waitUntil(async () => !!(await nodeReady(ctx)), { timeoutMs: 120_000, intervalMs: 1000 });
      if (r !== 'ok') throw new Error(`node ${NODE_NAME} not Ready after 120 s`);
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'kubelet', ['kubelet']);
    if (!p.ok) return p;
    if (!(await httpOk(`http://127.0.0.1:${PORTS.kubeletHealthz}/healthz`, { contains: 'ok' }))) return { ok: false, detail: `${p.detail}; /healthz failed` };
    const n = await nodeReady(ctx);
    return n
      ? { ok: true, detail: `${p.detail}; node ${NODE_NAME} Ready (${n.status?.nodeInfo?.containerRuntimeVersion})` }
      : { ok: false, detail: `${p.detail}; node ${NODE_NAME} not Ready` };
  },
  cleanup: async () => {
    await unmountUnder([paths.kubeletRoot]);
    // The kubelet's own chains (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT), after
    // kube-proxy removed its own.
    for (const bin of ['iptables', 'ip6tables'] as const) await removeChainsByPrefix('KUBE-', bin);
  },
};

export const kubeProxy: Component = {
  name: 'kube-proxy',
  description: `kube-proxy v${VERSIONS.kubernetes} (iptables): Service addresses routed on this machine`,
  deps: ['kubelet'],
  prepare: async (ctx) => {
    await buildNode(ctx);
  },
  start: async (ctx) => {
    const kc = await componentKubeconfig(ctx, 'kube-proxy', 'system:kube-proxy');
    const config = join(nodeDir(ctx), 'kube-proxy.yaml');
    const changed = writeIfChanged(
      config,
      stringify({
        apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
        kind: 'KubeProxyConfiguration',
        clientConnection: { kubeconfig: kc },
        mode: 'iptables',
        clusterCIDR: NET.podCidr,
        hostnameOverride: NODE_NAME,
        bindAddress: NET.nodeIp,
        healthzBindAddress: `127.0.0.1:${PORTS.kubeProxyHealthz}`,
        metricsBindAddress: `127.0.0.1:${PORTS.kubeProxyMetrics}`,
        // Leave the host's conntrack limits alone.
        conntrack: { maxPerCore: 0, min: 0 },
        nodePortAddresses: [`${NET.nodeIp}/32`],
      }),
    );
    await ensureProcess(ctx, {
      component: 'kube-proxy',
      proc: 'kube-proxy',
      cmd: bin('kube-proxy'),
      args: [`--config=${config}`, '--v=1'],
      env: { ...process.env, PATH: `/usr/sbin:/usr/bin:/sbin:/bin:${process.env.PATH ?? ''}` },
      marker: `--config=${config}`,
      changed,
      healthy: () => httpOk(`http://127.0.0.1:${PORTS.kubeProxyHealthz}/healthz`),
      timeoutMs: 60_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'kube-proxy', ['kube-proxy']);
    if (!p.ok) return p;
    const ok = await httpOk(`http://127.0.0.1:${PORTS.kubeProxyHealthz}/healthz`);
    return { ok, detail: `${p.detail}; /healthz ${ok ? 'ok' : 'failed'}` };
  },
  cleanup: async () => {
    // kube-proxy's own clean-up removes every KUBE-* chain and rule it wrote.
    if (existsSync(bin('kube-proxy'))) await runStatus(bin('kube-proxy'), ['--cleanup', '--v=0']);
  },
};

export const NODE_COMPONENTS = [containerd, kubelet, kubeProxy];
