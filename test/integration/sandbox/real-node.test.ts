import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../../src/modules/browser/index.ts';
import * as k8s from '../../../src/modules/k8s/index.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';
import { resolveWithSandboxDns } from '../../../src/sandbox/components/dns.ts';
import { GATEWAY } from '../../../src/sandbox/components/ingress.ts';
import { REAL_NODE_TAINT } from '../../../src/sandbox/components/node.ts';
import { BUSYBOX, imageRef } from '../../../src/sandbox/images.ts';
import { DOMAIN, NET, NODE_NAME } from '../../../src/sandbox/versions.ts';
import { runTasks } from '../../unit/k8s/run.ts';
import { cleanup, kubeEnv, namespace, sandboxClient, unique } from '../k8s/helpers.ts';
import { loadState } from '../../../src/sandbox/state.ts';
import { eventually, exec, has, sandbox } from './helpers.ts';

/**
 * The real node: pods run in containers on this machine, reach each other through Services
 * and cluster DNS, and are served by Traefik over TLS that verifies against the sandbox CA.
 * Nothing here may pass on a kwok node: every pod is pinned to the real node.
 */
const BUSYBOX_IMAGE = imageRef(BUSYBOX);
const onRealNode = {
  nodeSelector: { 'kubernetes.io/hostname': NODE_NAME },
  tolerations: [{ key: REAL_NODE_TAINT.key, operator: 'Equal', value: REAL_NODE_TAINT.value, effect: REAL_NODE_TAINT.effect }],
};
const caFile = () => join(process.env.HELIX_SANDBOX_DIR ?? sandbox().dir, 'pki', 'ca.crt');

function webDeployment(ns: string, name: string, image = BUSYBOX_IMAGE, script?: string): KubeObject {
  const serve = `mkdir -p /www && echo "hello from $(hostname)" > /www/index.html && exec httpd -f -p 8080 -h /www`;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          ...onRealNode,
          terminationGracePeriodSeconds: 1,
          containers: [
            {
              name: 'web',
              image,
              command: ['sh', '-c', script ?? serve],
              ports: [{ containerPort: 8080 }],
              readinessProbe: { httpGet: { path: '/', port: 8080 }, periodSeconds: 1 },
            },
          ],
        },
      },
    },
  };
}

const service = (ns: string, name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: ns },
  spec: { selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});

function job(ns: string, name: string, script: string): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: {
      backoffLimit: 0,
      template: { spec: { ...onRealNode, restartPolicy: 'Never', containers: [{ name: 'client', image: BUSYBOX_IMAGE, command: ['sh', '-c', script] }] } },
    },
  };
}

/** GET over HTTPS from the host, verifying the server against the sandbox CA only. */
function httpsGet(url: string): Promise<{ status: number; body: string; subject: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca: readFileSync(caFile()), timeout: 10_000 }, (res) => {
      let body = '';
      const cert = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, subject: String(cert.subject?.CN ?? '') }));
    });
    req.on('error', reject);
    req.end();
  });
}

const namespaces: string[] = [];

describe.skipIf(!has('kubelet'))('sandbox: the real node', () => {
  const client = sandboxClient();
  const env = kubeEnv();
  afterAll(() => cleanup(client, namespaces));

  it(`registers ${NODE_NAME} Ready on containerd, with the taint that keeps unproven workloads off`, async () => {
    const node = await client.get({ apiVersion: 'v1', kind: 'Node', name: NODE_NAME });
    expect(node?.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(node?.status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status).toBe('True');
    expect(node?.status?.addresses).toContainEqual({ type: 'InternalIP', address: NET.nodeIp });
    expect(node?.spec?.taints).toContainEqual(REAL_NODE_TAINT);
  });

  it('a second `helix sandbox up` changes nothing: every process reused, no object rewritten', async () => {
    const pids = (dir: string) =>
      Object.fromEntries(Object.entries(loadState(dir).processes).flatMap(([c, procs]) => Object.entries(procs).map(([p, r]) => [`${c}/${p}`, r.pid])));
    const dir = sandbox().dir;
    const before = pids(dir);
    const gateway = await client.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace: GATEWAY.namespace, name: GATEWAY.name });
    const r = await exec('node', ['bin/helix.js', 'sandbox', 'up'], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/: started \(pid/);
    for (const c of ['containerd', 'kubelet', 'kube-proxy', 'coredns', 'traefik', 'registry'])
      expect(r.stderr).toMatch(new RegExp(`sandbox: ${c}(/[\\w-]+)?: already running`));
    expect(pids(dir)).toEqual(before);
    const after = await client.get({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', namespace: GATEWAY.namespace, name: GATEWAY.name });
    expect(after?.metadata.resourceVersion).toBe(gateway?.metadata.resourceVersion);
  });

  it('runs a locally built image: reached through its Service by DNS name from another pod, and through Traefik over verified TLS', async () => {
    const ns = unique('hx-real');
    namespaces.push(ns);
    const ingress: KubeObject = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'hello', namespace: ns },
      spec: {
        rules: [
          { host: `hello.${DOMAIN}`, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hello', port: { name: 'http' } } } }] } },
        ],
      },
    };
    const run = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('hello', { manifests: [webDeployment(ns, 'hello'), service(ns, 'hello'), ingress] }),
        k8s.wait('hello-rollout', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'hello', for: 'rollout', timeoutMs: 120_000 }),
        k8s.apply('client', { manifest: job(ns, 'client', `wget -qO- http://hello.${ns}.svc.cluster.local/`) }),
        k8s.wait('client-done', { apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'client', for: 'complete', timeoutMs: 120_000 }),
      ],
      { env },
    );
    expect(run.errors).toEqual([]);
    const pods = await client.list('v1', 'Pod', { namespace: ns });
    for (const p of pods) expect(p.spec?.nodeName).toBe(NODE_NAME);
    const web = pods.find((p) => p.metadata.labels?.app === 'hello')!;
    expect(web.status?.podIP).toMatch(/^10\.213\.9\./);
    expect(web.status?.containerStatuses?.[0]?.containerID).toMatch(/^containerd:\/\//);
    const clientPod = pods.find((p) => p.metadata.labels?.['job-name'] === 'client')!;
    expect(await client.logs(ns, clientPod.metadata.name)).toContain(`hello from ${web.metadata.name}`);

    const res = await eventually('Traefik serving hello', async () => {
      const r = await httpsGet(`https://hello.${DOMAIN}/`);
      return r.status === 200 ? r : undefined;
    });
    expect(res.body).toContain(`hello from ${web.metadata.name}`);
    expect(res.subject).toBe(`*.${DOMAIN}`);
  });

  it('serves an HTTPRoute on the sandbox Gateway, and resolves any *.sandbox.test name to Traefik', async () => {
    const ns = unique('hx-route');
    namespaces.push(ns);
    const host = `whoami.${DOMAIN}`;
    const route: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'whoami', namespace: ns },
      spec: { parentRefs: [{ name: GATEWAY.name, namespace: GATEWAY.namespace }], hostnames: [host], rules: [{ backendRefs: [{ name: 'whoami', port: 80 }] }] },
    };
    const run = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('whoami', { manifests: [webDeployment(ns, 'whoami'), service(ns, 'whoami'), route] }),
        k8s.wait('whoami-rollout', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'whoami', for: 'rollout', timeoutMs: 120_000 }),
      ],
      { env },
    );
    expect(run.errors).toEqual([]);
    const res = await eventually('Traefik serving the HTTPRoute', async () => {
      const r = await httpsGet(`https://${host}/`);
      return r.status === 200 ? r : undefined;
    });
    expect(res.body).toContain('hello from whoami-');
    expect(await resolveWithSandboxDns(`anything-${ns}.${DOMAIN}`)).toEqual([NET.ingressIp]);
    expect(await resolveWithSandboxDns(`registry.${DOMAIN}`)).toEqual([NET.registryIp]);
  });

  it('lets pods reach the API through the kubernetes Service, and gives them no way to resolve a name off this machine', async () => {
    const ns = unique('hx-dns');
    namespaces.push(ns);
    const run = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('probe', {
          // busybox's wget has no working TLS here: a TCP connection shows the API is routed to pods.
          manifest: job(
            ns,
            'probe',
            `nslookup kubernetes.default.svc.cluster.local | grep -q ${NET.kubernetesServiceIp} && echo cluster-ok; echo | nc -w 5 kubernetes.default.svc 443 && echo api-reachable; if nslookup example.com; then echo outside-resolved; else echo outside-refused; fi`,
          ),
        }),
        k8s.wait('probe-done', { apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'probe', for: 'complete', timeoutMs: 120_000 }),
      ],
      { env },
    );
    expect(run.errors).toEqual([]);
    const [pod] = await client.list('v1', 'Pod', { namespace: ns });
    const log = await client.logs(ns, pod!.metadata.name, { tailLines: 50 });
    expect(log).toContain('cluster-ok');
    expect(log).toContain('api-reachable');
    expect(log).toContain('outside-refused');
  });

  it('reaches the host services on bridge addresses: Keycloak, PostgreSQL, the git host and the registry', async () => {
    const ns = unique('hx-host');
    namespaces.push(ns);
    const script = [
      `wget -qO- http://host.${DOMAIN}:18080/realms/master | grep -q '"realm":"master"' && echo keycloak-ok`,
      `echo | nc -w 5 host.${DOMAIN} 15432 && echo postgres-ok`,
      `nc -w 5 git.${DOMAIN} 22 </dev/null | grep -q '^SSH-2.0' && echo git-ok`,
      `echo | nc -w 5 registry.${DOMAIN} 443 && echo registry-ok`,
    ].join('; ');
    const run = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('probe', { manifest: job(ns, 'probe', script) }),
        k8s.wait('probe-done', { apiVersion: 'batch/v1', kind: 'Job', namespace: ns, name: 'probe', for: 'complete', timeoutMs: 120_000 }),
      ],
      { env },
    );
    expect(run.errors).toEqual([]);
    const [pod] = await client.list('v1', 'Pod', { namespace: ns });
    const log = await client.logs(ns, pod!.metadata.name, { tailLines: 50 });
    for (const ok of ['keycloak-ok', 'postgres-ok', 'git-ok', 'registry-ok']) expect(log).toContain(ok);
  });

  it('headless Chromium loads a page through Traefik over verified TLS, and refuses it without the sandbox CA', async () => {
    const trusted = await launchBrowser({ caFiles: [caFile()] });
    try {
      const page = await trusted.newPage();
      const res = await page.goto(`https://hello.${DOMAIN}/`);
      expect(res?.status()).toBe(200);
      expect(await page.textContent('body')).toContain('hello from hello-');
      const security = await res!.securityDetails();
      expect(security?.subjectName).toBe(`*.${DOMAIN}`);
    } finally {
      await trusted.close();
    }
    const untrusting = await launchBrowser();
    try {
      const page = await untrusting.newPage();
      await expect(page.goto(`https://hello.${DOMAIN}/`)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });

  it('binds a claim on the default StorageClass, and its data outlives the pod', async () => {
    const ns = unique('hx-pvc');
    namespaces.push(ns);
    const claim: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'data', namespace: ns },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '16Mi' } } },
    };
    const script = `f=/data/first-writer; [ -f $f ] || hostname > $f; echo "first writer: $(cat $f)"; mkdir -p /www; cp $f /www/index.html; exec httpd -f -p 8080 -h /www`;
    const app = webDeployment(ns, 'keeper', BUSYBOX_IMAGE, script);
    const podSpec = app.spec.template.spec;
    podSpec.volumes = [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }];
    podSpec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }];
    const rollout = k8s.wait('keeper-rollout', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: ns,
      name: 'keeper',
      for: 'rollout',
      timeoutMs: 150_000,
    });
    const first = await runTasks([k8s.apply('namespace', { manifest: namespace(ns) }), k8s.apply('keeper', { manifests: [claim, app] }), rollout], { env });
    expect(first.errors).toEqual([]);
    const pvc = await client.get({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: ns, name: 'data' });
    expect(pvc?.status?.phase).toBe('Bound');
    const [pod1] = await client.list('v1', 'Pod', { namespace: ns, labelSelector: 'app=keeper' });
    expect(await client.logs(ns, pod1!.metadata.name)).toContain(`first writer: ${pod1!.metadata.name}`);

    await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: ns, name: pod1!.metadata.name });
    const pod2 = await eventually(
      'a new keeper pod running',
      async () => {
        const pods = await client.list('v1', 'Pod', { namespace: ns, labelSelector: 'app=keeper' });
        return pods.find((p) => p.metadata.name !== pod1!.metadata.name && p.status?.containerStatuses?.[0]?.ready);
      },
      120_000,
    );
    expect(await client.logs(ns, pod2.metadata.name)).toContain(`first writer: ${pod1!.metadata.name}`);
  });

  it('removes a Deployment with its ReplicaSet and running pods before the task ends (propagation by kind)', async () => {
    const ns = unique('hx-rm');
    namespaces.push(ns);
    const up = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('web', { manifest: webDeployment(ns, 'web') }),
        k8s.wait('web-rollout', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web', for: 'rollout', timeoutMs: 120_000 }),
      ],
      { env },
    );
    expect(up.errors).toEqual([]);
    expect(await client.list('v1', 'Pod', { namespace: ns })).toHaveLength(1);
    const down = await runTasks([k8s.remove('web', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web' })], { env });
    expect(down.errors).toEqual([]);
    expect(down.keys).toEqual([`delete k8s:apps/v1/Deployment/${ns}/web`]);
    // Foreground for workloads: when the task reports the Deployment gone, its dependents are gone too.
    expect(await client.list('apps/v1', 'ReplicaSet', { namespace: ns })).toEqual([]);
    expect(await client.list('v1', 'Pod', { namespace: ns })).toEqual([]);
  });

  it('fails the rollout wait on an image that does not exist, naming the cause', async () => {
    const ns = unique('hx-badimg');
    namespaces.push(ns);
    const missing = `${imageRef({ name: 'helix/does-not-exist', tag: ns })}`;
    const run = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('web', { manifest: webDeployment(ns, 'web', missing) }),
        k8s.wait('web-rollout', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web', for: 'rollout', timeoutMs: 150_000 }),
      ],
      { env },
    );
    const msg = run.errors.join('\n');
    expect(msg).toMatch(/ImagePullBackOff/);
    expect(msg).toContain(missing);
    expect(msg).not.toMatch(/timed out/);
  });

  it('fails the rollout wait on a crashing container, with its exit code and last log lines', async () => {
    const ns = unique('hx-crash');
    namespaces.push(ns);
    const run = await runTasks(
      [
        k8s.apply('namespace', { manifest: namespace(ns) }),
        k8s.apply('web', { manifest: webDeployment(ns, 'web', BUSYBOX_IMAGE, `echo "cannot start: missing ${ns}"; exit 3`) }),
        k8s.wait('web-rollout', { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: 'web', for: 'rollout', timeoutMs: 150_000 }),
      ],
      { env },
    );
    const msg = run.errors.join('\n');
    expect(msg).toMatch(/CrashLoopBackOff/);
    expect(msg).toContain('last exit code 3');
    expect(msg).toContain(`cannot start: missing ${ns}`);
  });
});
