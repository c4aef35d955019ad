import { CoreV1Api, KubeConfig, type V1Node } from '@kubernetes/client-node';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ETCD_BUILD, goBuild, goBuildDir, KUBERNETES_BUILD, KWOK_BUILD, KWOK_STAGE_FILES } from '../build.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { writeKubeconfig } from '../kubeconfig.ts';
import { Pki } from '../pki.ts';
import { step } from '../progress.ts';
import { waitUntil } from '../proc.ts';
import { KWOK_NODES, NET, PORTS, VERSIONS } from '../versions.ts';
import { isRoot } from './net.ts';

/**
 * A real Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler, all built from the Go module proxy) with kwok simulating the nodes and the
 * pod lifecycle. No container ever runs: pods reach Running/Ready but serve nothing.
 */
export const CONTEXT = 'helix-sandbox';

const k8sDir = (ctx: Ctx) => join(ctx.dir, 'k8s');
const pki = (ctx: Ctx) => new Pki(join(ctx.dir, 'pki'));
const bin = (build: { name: string; version: string }, name: string) => join(goBuildDir(build.name, build.version), 'bin', name);
export const adminKubeconfig = (ctx: Ctx) => join(ctx.dir, 'kubeconfig');
const apiserverUrl = `https://127.0.0.1:${PORTS.apiserver}`;

/** The advertise address must not be loopback; with root we own an address on the sandbox bridge. */
const advertise = isRoot() ? NET.gateway : undefined;

async function adminCert(ctx: Ctx) {
  return pki(ctx).issue({ name: 'admin', cn: 'helix-admin', org: 'system:masters', usage: 'client' });
}

/** `/readyz` with the admin client certificate (issued by `start`; a health check never issues). */
async function apiserverReady(ctx: Ctx): Promise<boolean> {
  const p = pki(ctx);
  const cert = join(p.dir, 'admin.crt');
  const key = join(p.dir, 'admin.key');
  if (!existsSync(cert) || !existsSync(key)) return false;
  return httpOk(`${apiserverUrl}/readyz`, { ca: p.caCert, cert, key, contains: 'ok' });
}

/** A kubeconfig for a sandbox component (control plane, node, DNS, ingress), with its own client certificate. */
export async function componentKubeconfig(ctx: Ctx, name: string, cn: string, org?: string): Promise<string> {
  const p = pki(ctx);
  const c = await p.issue({ name, cn, org, usage: 'client' });
  const file = join(k8sDir(ctx), `${name}.kubeconfig`);
  writeKubeconfig(file, { server: apiserverUrl, context: CONTEXT, user: cn, ca: p.caCert, cert: c.cert, key: c.key, embed: false });
  return file;
}

/** Serving certificate for the loopback health endpoints of kcm, scheduler and kwok. */
async function loopbackServing(ctx: Ctx) {
  return pki(ctx).issue({ name: 'loopback-serving', cn: 'helix-sandbox-loopback', ips: ['127.0.0.1'], dns: ['localhost'], usage: 'server' });
}

export const etcd: Component = {
  name: 'etcd',
  description: `etcd v${VERSIONS.etcd} (built from the Go module proxy)`,
  deps: [],
  prepare: async (ctx) => {
    await step(ctx.report, 'etcd', `build etcd v${VERSIONS.etcd} (cached)`, () => goBuild(ETCD_BUILD));
  },
  start: async (ctx) => {
    const data = join(k8sDir(ctx), 'etcd-data');
    mkdirSync(data, { recursive: true, mode: 0o700 });
    const client = `http://127.0.0.1:${PORTS.etcdClient}`;
    const peer = `http://127.0.0.1:${PORTS.etcdPeer}`;
    await ensureProcess(ctx, {
      component: 'etcd',
      proc: 'etcd',
      cmd: bin(ETCD_BUILD, 'etcd'),
      args: [
        '--name=helix-sandbox',
        `--data-dir=${data}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=helix-sandbox=${peer}`,
        '--listen-metrics-urls=',
        '--auto-compaction-retention=1',
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      marker: `--data-dir=${data}`,
      ports: [PORTS.etcdClient, PORTS.etcdPeer],
      healthy: () => httpOk(`${client}/health`, { contains: '"health":"true"' }),
      timeoutMs: 60_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'etcd', ['etcd']);
    if (!p.ok) return p;
    const ok = await httpOk(`http://127.0.0.1:${PORTS.etcdClient}/health`, { contains: '"health":"true"' });
    return { ok, detail: ok ? `${p.detail}; /health ok on :${PORTS.etcdClient}` : `${p.detail}; /health failed` };
  },
  cleanup: async (ctx) => rmSync(join(k8sDir(ctx), 'etcd-data'), { recursive: true, force: true }),
};

let kubernetesBuild: Promise<string> | undefined;
/** One build for the three binaries, shared by their components. */
const buildKubernetes = (ctx: Ctx) =>
  (kubernetesBuild ??= step(
    ctx.report,
    'kubernetes',
    `build kube-apiserver, kube-controller-manager, kube-scheduler v${VERSIONS.kubernetes} (cached; ~5–10 min cold)`,
    () => goBuild(KUBERNETES_BUILD),
  ));

export const kubeApiserver: Component = {
  name: 'kube-apiserver',
  description: `kube-apiserver v${VERSIONS.kubernetes} on https://127.0.0.1:${PORTS.apiserver}`,
  deps: isRoot() ? ['etcd', 'net'] : ['etcd'],
  prepare: async (ctx) => {
    await buildKubernetes(ctx);
  },
  start: async (ctx) => {
    const p = pki(ctx);
    await p.ensureCa();
    const sa = p.ensureServiceAccountKey();
    const serving = await p.issue({
      name: 'apiserver',
      cn: 'kube-apiserver',
      ips: ['127.0.0.1', NET.kubernetesServiceIp, ...(advertise ? [advertise] : [])],
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      usage: 'server',
    });
    const admin = await adminCert(ctx);
    // The apiserver's client identity towards the kubelet (logs, exec, port-forward).
    const kubeletClient = await p.issue({ name: 'apiserver-kubelet-client', cn: 'kube-apiserver-kubelet-client', org: 'system:masters', usage: 'client' });
    mkdirSync(k8sDir(ctx), { recursive: true, mode: 0o700 });
    writeKubeconfig(adminKubeconfig(ctx), {
      server: apiserverUrl,
      context: CONTEXT,
      user: 'helix-admin',
      ca: p.caCert,
      cert: admin.cert,
      key: admin.key,
      embed: true,
    });
    const args = [
      `--etcd-servers=http://127.0.0.1:${PORTS.etcdClient}`,
      // Pods reach the API through the `kubernetes` Service, whose endpoint is the advertise
      // address: with root (a real node) listen there too; every request is authenticated.
      `--bind-address=${advertise ? '0.0.0.0' : '127.0.0.1'}`,
      `--secure-port=${PORTS.apiserver}`,
      `--tls-cert-file=${serving.cert}`,
      `--tls-private-key-file=${serving.key}`,
      `--client-ca-file=${p.caCert}`,
      `--service-account-key-file=${sa.pub}`,
      `--service-account-signing-key-file=${sa.key}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${NET.serviceCidr}`,
      '--authorization-mode=Node,RBAC',
      '--allow-privileged=true',
      '--profiling=false',
      `--cert-dir=${join(k8sDir(ctx), 'apiserver-certs')}`,
      `--kubelet-client-certificate=${kubeletClient.cert}`,
      `--kubelet-client-key=${kubeletClient.key}`,
      `--kubelet-certificate-authority=${p.caCert}`,
      '--kubelet-preferred-address-types=InternalIP',
    ];
    // Not loopback: the `kubernetes` Endpoints reject 127.0.0.0/8. Without root (no bridge), skip the reconciler.
    args.push(...(advertise ? [`--advertise-address=${advertise}`] : ['--endpoint-reconciler-type=none']));
    await ensureProcess(ctx, {
      component: 'kube-apiserver',
      proc: 'kube-apiserver',
      cmd: bin(KUBERNETES_BUILD, 'kube-apiserver'),
      args,
      marker: `--secure-port=${PORTS.apiserver}`,
      ports: [PORTS.apiserver],
      healthy: () => apiserverReady(ctx),
      timeoutMs: 180_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'kube-apiserver', ['kube-apiserver']);
    if (!p.ok) return p;
    const ok = await apiserverReady(ctx);
    return { ok, detail: `${p.detail}; /readyz ${ok ? 'ok' : 'failed'} on :${PORTS.apiserver}` };
  },
  cleanup: async (ctx) => rmSync(adminKubeconfig(ctx), { force: true }),
  contribute: (ctx) => ({
    kubernetes: { kubeconfig: adminKubeconfig(ctx), context: CONTEXT },
    vars: { kubernetes_version: VERSIONS.kubernetes, kubernetes_server: apiserverUrl },
    env: { KUBECONFIG: adminKubeconfig(ctx), HELIX_SANDBOX_KUBE_CONTEXT: CONTEXT },
  }),
};

function healthzComponent(name: string, port: number): Component['health'] {
  return async (ctx) => {
    const p = processesAlive(ctx, name, [name]);
    if (!p.ok) return p;
    const ok = await httpOk(`https://127.0.0.1:${port}/healthz`, { ca: pki(ctx).caCert, contains: 'ok' });
    return { ok, detail: `${p.detail}; /healthz ${ok ? 'ok' : 'failed'} on :${port}` };
  };
}

export const kubeControllerManager: Component = {
  name: 'kube-controller-manager',
  description: `kube-controller-manager v${VERSIONS.kubernetes}`,
  deps: ['kube-apiserver'],
  prepare: async (ctx) => {
    await buildKubernetes(ctx);
  },
  start: async (ctx) => {
    const p = pki(ctx);
    const kc = await componentKubeconfig(ctx, 'controller-manager', 'system:kube-controller-manager');
    const serving = await loopbackServing(ctx);
    const sa = p.ensureServiceAccountKey();
    await ensureProcess(ctx, {
      component: 'kube-controller-manager',
      proc: 'kube-controller-manager',
      cmd: bin(KUBERNETES_BUILD, 'kube-controller-manager'),
      args: [
        `--kubeconfig=${kc}`,
        `--authentication-kubeconfig=${kc}`,
        `--authorization-kubeconfig=${kc}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${PORTS.controllerManager}`,
        `--tls-cert-file=${serving.cert}`,
        `--tls-private-key-file=${serving.key}`,
        `--root-ca-file=${p.caCert}`,
        `--service-account-private-key-file=${sa.key}`,
        '--use-service-account-credentials=true',
        `--cluster-signing-cert-file=${p.caCert}`,
        `--cluster-signing-key-file=${p.caKey}`,
        `--service-cluster-ip-range=${NET.serviceCidr}`,
        '--leader-elect=false',
        '--profiling=false',
      ],
      marker: `--secure-port=${PORTS.controllerManager}`,
      ports: [PORTS.controllerManager],
      healthy: () => httpOk(`https://127.0.0.1:${PORTS.controllerManager}/healthz`, { ca: p.caCert, contains: 'ok' }),
      timeoutMs: 120_000,
    });
  },
  health: healthzComponent('kube-controller-manager', PORTS.controllerManager),
};

export const kubeScheduler: Component = {
  name: 'kube-scheduler',
  description: `kube-scheduler v${VERSIONS.kubernetes}`,
  deps: ['kube-apiserver'],
  prepare: async (ctx) => {
    await buildKubernetes(ctx);
  },
  start: async (ctx) => {
    const p = pki(ctx);
    const kc = await componentKubeconfig(ctx, 'scheduler', 'system:kube-scheduler');
    const serving = await loopbackServing(ctx);
    await ensureProcess(ctx, {
      component: 'kube-scheduler',
      proc: 'kube-scheduler',
      cmd: bin(KUBERNETES_BUILD, 'kube-scheduler'),
      args: [
        `--kubeconfig=${kc}`,
        `--authentication-kubeconfig=${kc}`,
        `--authorization-kubeconfig=${kc}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${PORTS.scheduler}`,
        `--tls-cert-file=${serving.cert}`,
        `--tls-private-key-file=${serving.key}`,
        '--leader-elect=false',
        '--profiling=false',
      ],
      marker: `--secure-port=${PORTS.scheduler}`,
      ports: [PORTS.scheduler],
      healthy: () => httpOk(`https://127.0.0.1:${PORTS.scheduler}/healthz`, { ca: p.caCert, contains: 'ok' }),
      timeoutMs: 120_000,
    });
  },
  health: healthzComponent('kube-scheduler', PORTS.scheduler),
};

export function kubeClient(ctx: Ctx): CoreV1Api {
  const kc = new KubeConfig();
  kc.loadFromFile(adminKubeconfig(ctx));
  return kc.makeApiClient(CoreV1Api);
}

/**
 * A fake node kwok manages: annotated for kwok, no taint (ordinary workloads schedule on it).
 * Pods cost nothing on kwok, so each node takes 1000: the bench's 1000-object scale test and
 * the components' tests fit at once.
 */
function fakeNode(name: string): V1Node {
  const resources = { cpu: '1000', memory: '4096Gi', pods: '1000' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'kwok.x-k8s.io/node': 'fake' },
      labels: {
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/hostname': name,
        'kubernetes.io/role': 'agent',
        'node-role.kubernetes.io/agent': '',
        type: 'kwok',
      },
    },
    status: { allocatable: resources, capacity: resources },
  };
}

function nodeReady(n: V1Node): boolean {
  return !!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

async function nodesReady(ctx: Ctx): Promise<{ ready: string[]; missing: string[] }> {
  const list = await kubeClient(ctx).listNode();
  const ready = list.items.filter((n) => KWOK_NODES.includes(n.metadata?.name as (typeof KWOK_NODES)[number]) && nodeReady(n)).map((n) => n.metadata!.name!);
  return { ready, missing: KWOK_NODES.filter((n) => !ready.includes(n)) };
}

export const kwok: Component = {
  name: 'kwok',
  description: `kwok v${VERSIONS.kwok} with ${KWOK_NODES.length} fake nodes (node and pod stages)`,
  deps: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'],
  prepare: async (ctx) => {
    await step(ctx.report, 'kwok', `build kwok v${VERSIONS.kwok} (cached)`, () => goBuild(KWOK_BUILD));
  },
  start: async (ctx) => {
    const stages = join(goBuildDir(KWOK_BUILD.name, KWOK_BUILD.version), 'bin', 'stages');
    const config = join(k8sDir(ctx), 'kwok.yaml');
    // Stages only: a KwokConfiguration document in the file would be taken without its
    // defaults (kwok then fails with "node leases parallelism must be greater than 0").
    const kwokConfig = KWOK_STAGE_FILES.map((f) => readFileSync(join(stages, f.split('/').pop()!), 'utf8'));
    writeFileSync(config, `${kwokConfig.map((d) => d.trimEnd()).join('\n---\n')}\n`);
    const kc = await componentKubeconfig(ctx, 'kwok', 'helix-kwok', 'system:masters');
    await ensureProcess(ctx, {
      component: 'kwok',
      proc: 'kwok',
      cmd: bin(KWOK_BUILD, 'kwok'),
      args: [
        `--kubeconfig=${kc}`,
        `--config=${config}`,
        '--manage-all-nodes=false',
        '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
        `--cidr=${NET.kwokPodCidr}`,
        `--node-ip=${advertise ?? '10.213.7.1'}`,
        '--node-lease-duration-seconds=40',
        `--server-address=127.0.0.1:${PORTS.kwok}`,
      ],
      marker: `--server-address=127.0.0.1:${PORTS.kwok}`,
      ports: [PORTS.kwok],
      healthy: () => httpOk(`http://127.0.0.1:${PORTS.kwok}/healthz`),
      timeoutMs: 60_000,
    });
    await step(ctx.report, 'kwok', `register ${KWOK_NODES.length} fake nodes and wait until Ready`, async () => {
      const api = kubeClient(ctx);
      for (const name of KWOK_NODES) {
        try {
          await api.readNode({ name });
        } catch (error) {
          if ((error as { code?: number }).code !== 404) throw error;
          await api.createNode({ body: fakeNode(name) });
        }
      }
      const r = await waitUntil(async () => (await nodesReady(ctx)).missing.length === 0, { timeoutMs: 60_000, intervalMs: 1000 });
      if (r !== 'ok') throw new Error(`fake nodes not Ready after 60 s: ${(await nodesReady(ctx)).missing.join(', ')}`);
      // The default ServiceAccount is created by the controller manager; pods are rejected without it.
      await waitUntil(
        async () => {
          await api.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
          return true;
        },
        { timeoutMs: 60_000 },
      );
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'kwok', ['kwok']);
    if (!p.ok) return p;
    if (!(await httpOk(`http://127.0.0.1:${PORTS.kwok}/healthz`))) return { ok: false, detail: `${p.detail}; /healthz failed` };
    try {
      const n = await nodesReady(ctx);
      if (n.missing.length) return { ok: false, detail: `${p.detail}; nodes not Ready: ${n.missing.join(', ')}` };
      return { ok: true, detail: `${p.detail}; nodes Ready: ${n.ready.join(', ')}` };
    } catch (error) {
      return { ok: false, detail: `${p.detail}; cannot list nodes: ${(error as Error).message}` };
    }
  },
};

export const KUBERNETES_COMPONENTS = [etcd, kubeApiserver, kubeControllerManager, kubeScheduler, kwok];
