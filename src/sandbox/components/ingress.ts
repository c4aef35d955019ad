import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import { ensureUpstreamCrds } from '../../crds/apply.ts';
import { goBuild, goBuildDir, TRAEFIK_BUILD } from '../build.ts';
import { writeIfChanged } from '../host.ts';
import { type Component, type Ctx, ensureProcess, processesAlive } from '../component.ts';
import { httpOk } from '../http.ts';
import { applyObjects, userRole } from '../kube-apply.ts';
import { Pki } from '../pki.ts';
import { step } from '../progress.ts';
import { tcpOpen } from '../proc.ts';
import { DOMAIN, NET, PORTS, VERSIONS } from '../versions.ts';
import { adminKubeconfig, componentKubeconfig } from './kubernetes.ts';
import { ensureAddress, requireRoot } from './net.ts';

/**
 * The sandbox's ingress: Traefik (built from the Go module proxy) on its own address of the
 * sandbox bridge, ports 80 and 443, with the Kubernetes Ingress, CRD (IngressRoute,
 * Middleware, …) and Gateway API (HTTPRoute) providers. Every `*.sandbox.test` name resolves
 * to it; TLS is a wildcard certificate from the sandbox CA. It runs on the host like the
 * control plane, watching the API with its own client certificate and read-mostly RBAC.
 */
const USER = 'helix-traefik';
export const INGRESS_NAMESPACE = 'helix-ingress';
export const INGRESS_CLASS = 'traefik';
export const GATEWAY_CLASS = 'traefik';
/** The Gateway every HTTPRoute of the sandbox attaches to (`parentRefs`). */
export const GATEWAY = { name: 'sandbox', namespace: INGRESS_NAMESPACE } as const;
export const WILDCARD_NAMES = [DOMAIN, `*.${DOMAIN}`, `*.devpi.${DOMAIN}`, `*.platform.${DOMAIN}`] as const;
const TLS_SECRET = 'sandbox-wildcard-tls';

const pki = (ctx: Ctx) => new Pki(join(ctx.dir, 'pki'));

function clusterObjects(cert: string, key: string): KubernetesObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: INGRESS_NAMESPACE } },
    ...userRole('helix-sandbox:traefik', USER, [
      { apiGroups: [''], resources: ['services', 'endpoints', 'secrets', 'nodes', 'namespaces', 'configmaps', 'pods'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io', 'extensions'], resources: ['ingresses', 'ingressclasses'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['networking.k8s.io', 'extensions'], resources: ['ingresses/status'], verbs: ['update', 'patch'] },
      { apiGroups: ['traefik.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['*'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: ['gateway.networking.k8s.io'], resources: ['*/status'], verbs: ['update', 'patch'] },
    ]),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: INGRESS_CLASS, annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'traefik.io/ingress-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: GATEWAY_CLASS },
      spec: { controllerName: 'traefik.io/gateway-controller' },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: TLS_SECRET, namespace: INGRESS_NAMESPACE },
      type: 'kubernetes.io/tls',
      stringData: { 'tls.crt': readFileSync(cert, 'utf8'), 'tls.key': readFileSync(key, 'utf8') },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: GATEWAY.name, namespace: GATEWAY.namespace },
      spec: {
        gatewayClassName: GATEWAY_CLASS,
        listeners: [
          {
            name: 'websecure',
            protocol: 'HTTPS',
            port: 443,
            tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: TLS_SECRET }] },
            allowedRoutes: { namespaces: { from: 'All' } },
          },
          { name: 'web', protocol: 'HTTP', port: 80, allowedRoutes: { namespaces: { from: 'All' } } },
        ],
      },
    },
  ] as KubernetesObject[];
}

async function pingOk(): Promise<boolean> {
  return (await httpOk(`http://127.0.0.1:${PORTS.traefikPing}/ping`, { contains: 'OK' })) && (await tcpOpen(NET.ingressIp, 443));
}

export const traefik: Component = {
  name: 'traefik',
  description: `Traefik v${VERSIONS.traefik}: Ingress, IngressRoute and HTTPRoute on https://*.${DOMAIN} (${NET.ingressIp}:443)`,
  deps: ['kube-apiserver', 'net'],
  prepare: async (ctx) => {
    await step(ctx.report, 'traefik', `build Traefik v${VERSIONS.traefik} (cached; ~10 min cold)`, () => goBuild(TRAEFIK_BUILD));
  },
  start: async (ctx) => {
    requireRoot('traefik');
    const p = pki(ctx);
    await ensureAddress(ctx, NET.ingressIp);
    const wildcard = await p.issue({ name: 'ingress-wildcard', cn: `*.${DOMAIN}`, dns: [...WILDCARD_NAMES], usage: 'server' });
    const kubeconfig = await componentKubeconfig(ctx, 'traefik', USER);
    await step(ctx.report, 'traefik', 'install the Traefik and Gateway API CRDs, classes and the sandbox Gateway', async () => {
      await ensureUpstreamCrds(adminKubeconfig(ctx), ['traefik', 'gateway-api']);
      await applyObjects(adminKubeconfig(ctx), clusterObjects(wildcard.cert, wildcard.key));
    });
    const dynamic = join(ctx.dir, 'traefik-dynamic.yaml');
    const dynChanged = writeIfChanged(
      dynamic,
      stringify({ tls: { stores: { default: { defaultCertificate: { certFile: wildcard.cert, keyFile: wildcard.key } } } } }),
    );
    const config = join(ctx.dir, 'traefik.yaml');
    const changed = writeIfChanged(
      config,
      stringify({
        global: { checkNewVersion: false, sendAnonymousUsage: false },
        entryPoints: {
          web: { address: `${NET.ingressIp}:80` },
          websecure: { address: `${NET.ingressIp}:443`, http: { tls: {} } },
          traefik: { address: `127.0.0.1:${PORTS.traefikPing}` },
        },
        ping: { entryPoint: 'traefik' },
        providers: {
          kubernetesIngress: { ingressEndpoint: { ip: NET.ingressIp } },
          kubernetesCRD: { allowCrossNamespace: true },
          kubernetesGateway: { statusAddress: { ip: NET.ingressIp } },
          file: { filename: dynamic, watch: false },
        },
        log: { level: 'INFO', noColor: true },
      }),
    );
    await ensureProcess(ctx, {
      component: 'traefik',
      proc: 'traefik',
      cmd: join(goBuildDir(TRAEFIK_BUILD.name, TRAEFIK_BUILD.version), 'bin', 'traefik'),
      args: [`--configFile=${config}`],
      env: { ...process.env, KUBECONFIG: kubeconfig },
      marker: `--configFile=${config}`,
      changed: changed || dynChanged,
      healthy: pingOk,
      timeoutMs: 90_000,
    });
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'traefik', ['traefik']);
    if (!p.ok) return p;
    const ok = await pingOk();
    return { ok, detail: `${p.detail}; ${ok ? `/ping ok, ${NET.ingressIp}:443 open` : 'not serving'}` };
  },
  contribute: (ctx) => ({
    // tls_ca_file: the CA of the wildcard certificate, for clients that must verify it (browsers, pip).
    vars: {
      sandbox_domain: DOMAIN,
      ingress_class: INGRESS_CLASS,
      gateway_name: GATEWAY.name,
      gateway_namespace: GATEWAY.namespace,
      tls_ca_file: pki(ctx).caCert,
    },
  }),
};
