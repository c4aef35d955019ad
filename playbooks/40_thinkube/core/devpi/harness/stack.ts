import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { markSecret, type TaskContext } from '../../../../../src/index.ts';
import * as k8s from '../../../../../src/modules/k8s/index.ts';
import type { Route } from './browser.ts';
import { freePort, type LocalProcess, runToEnd, startProcess, tcpOpen, waitFor } from './processes.ts';

/**
 * The test harness's stand-in for the cluster's pods. Pods do not run on the sandbox's fake
 * nodes, so Redis, devpi-server and oauth2-proxy run here as local processes, configured from
 * exactly what the playbooks applied: the commands, arguments and environment of the applied
 * Deployments and Job, the ConfigMaps (oauth2_proxy.cfg, the index script, the per-host
 * headers), the Secrets (values by secretKeyRef, files by volume), and the Ingress rules.
 * The only rewrites are addresses: an in-cluster service URL becomes the local process's,
 * and listen addresses become free loopback ports.
 */
export interface Stack {
  dir: string;
  redis: { port: number; password: string };
  devpi: { url: string };
  oauth2Proxy: { url: string };
  /** Host → where the Ingress sends it, with the headers it adds. */
  routes: Record<string, Route>;
  /** oauth2_proxy.cfg as applied (no secret in it). */
  oauth2Config: Record<string, unknown>;
  processes: LocalProcess[];
  stop(): Promise<void>;
}

export interface StackOptions {
  namespace: string;
  names: {
    app: string;
    redis: string;
    oauth2Proxy: string;
    oauth2ProxyConfig: string;
    initScript: string;
    initJobLabel: string;
    dashboardIngress: string;
    apiIngress: string;
  };
  bins: { redisServer: string; oauth2Proxy: string; devpiBinDir: string };
}

type Obj = k8s.KubeObject;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function decode(b64: string): string {
  const v = Buffer.from(b64, 'base64').toString('utf8');
  markSecret(v);
  return v;
}

/** Parses the subset of TOML oauth2_proxy.cfg uses (`key = value`, values in JSON syntax). */
export function parseCfg(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/.exec(line);
    if (!m || line.trim().startsWith('#')) continue;
    out[m[1]!] = JSON.parse(m[2]!);
  }
  return out;
}

export function renderCfg(cfg: Record<string, unknown>): string {
  return `${Object.entries(cfg)
    .map(([k, v]) => `${k} = ${JSON.stringify(v)}`)
    .join('\n')}\n`;
}

export async function startStack(ctx: TaskContext, o: StackOptions): Promise<Stack> {
  const client = k8s.k8sClient(ctx);
  const ns = o.namespace;
  const read = async (apiVersion: string, kind: string, name: string): Promise<Obj> => {
    const obj = await k8s.readObject(client, { apiVersion, kind, namespace: ns, name }, ctx.signal);
    if (!obj) throw new Error(`${kind} ${ns}/${name} is not in the cluster: run helix play devpi first`);
    return obj;
  };
  const secretCache = new Map<string, Record<string, string>>();
  const secretData = async (name: string): Promise<Record<string, string>> => {
    if (!secretCache.has(name)) {
      const s = await read('v1', 'Secret', name);
      secretCache.set(name, Object.fromEntries(Object.entries((s.data ?? {}) as Record<string, string>).map(([k, v]) => [k, decode(v)])));
    }
    return secretCache.get(name)!;
  };
  const envOf = async (c: Container): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const e of c.env ?? []) {
      if (e.value !== undefined) out[e.name] = e.value;
      else if (e.valueFrom?.secretKeyRef) {
        const v = (await secretData(e.valueFrom.secretKeyRef.name))[e.valueFrom.secretKeyRef.key];
        if (v === undefined) throw new Error(`env ${e.name}: Secret ${e.valueFrom.secretKeyRef.name} has no key ${e.valueFrom.secretKeyRef.key}`);
        out[e.name] = v;
      }
    }
    return out;
  };
  const podSpec = (d: Obj): { containers: Container[]; initContainers?: Container[]; volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[] } =>
    d.spec.template.spec;

  const dir = mkdtempSync(join(tmpdir(), 'helix-devpi-test-'));
  chmodSync(dir, 0o700);
  const processes: LocalProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    // --- Redis: the Deployment's command with the redis.conf its Secret volume holds.
    const redisDep = await read('apps/v1', 'Deployment', o.names.redis);
    const rc = podSpec(redisDep).containers[0]!;
    const confMount = rc.volumeMounts?.find((m) => (rc.command ?? []).some((a) => a.startsWith(m.mountPath)));
    const confVolume = podSpec(redisDep).volumes?.find((v) => v.name === confMount?.name);
    if (!confMount || !confVolume?.secret) throw new Error(`Deployment ${o.names.redis}: no redis.conf from a Secret volume`);
    const confPathInPod = (rc.command ?? []).find((a) => a.startsWith(confMount.mountPath))!;
    const conf = (await secretData(confVolume.secret.secretName))[confPathInPod.slice(confMount.mountPath.length + 1)];
    if (!conf) throw new Error(`Secret ${confVolume.secret.secretName} has no ${confPathInPod}`);
    const redisPort = await freePort();
    const redisPassword = /^requirepass (.+)$/m.exec(conf)?.[1] ?? '';
    const localConf = join(dir, 'redis.conf');
    writeFileSync(localConf, `${conf.replace(/^port .*$/m, `port ${redisPort}`)}\nbind 127.0.0.1\ndir ${dir}\n`, { mode: 0o600 });
    const redis = startProcess('redis', o.bins.redisServer, [localConf, ...(rc.command ?? []).slice(2)], { log: join(dir, 'redis.log') });
    processes.push(redis);
    await waitFor('redis-server', () => tcpOpen(redisPort), { timeoutMs: 20_000, proc: redis });

    // --- devpi: the init container's script, then the server, with the pod's env and args.
    const devpiDep = await read('apps/v1', 'Deployment', o.names.app);
    const spec = podSpec(devpiDep);
    const init = spec.initContainers?.[0];
    const server = spec.containers[0]!;
    if (!init) throw new Error(`Deployment ${o.names.app}: no init container`);
    const mount = server.volumeMounts?.[0]?.mountPath ?? '/devpi';
    const localData = join(dir, 'devpi-data');
    mkdirSync(localData, { mode: 0o700 });
    const mapPath = (v: string): string => (v.startsWith(mount) ? localData + v.slice(mount.length) : v);
    const pathEnv = { PATH: `${o.bins.devpiBinDir}:${process.env.PATH ?? ''}`, HOME: dir };
    const initEnv = Object.fromEntries(Object.entries(await envOf(init)).map(([k, v]) => [k, mapPath(v)]));
    const [initCmd, ...initArgs] = init.command ?? [];
    const ran = await runToEnd(initCmd!, [...initArgs, ...(init.args ?? [])], { env: { ...pathEnv, ...initEnv }, timeoutMs: 120_000 });
    if (ran.code !== 0) throw new Error(`devpi init container script failed (${ran.code}): ${ran.stderr.slice(-500)}`);
    const devpiPort = await freePort();
    const serverEnv = Object.fromEntries(Object.entries(await envOf(server)).map(([k, v]) => [k, mapPath(v)]));
    const serverArgs = (server.args ?? []).map((a) => (a.startsWith('--host=') ? '--host=127.0.0.1' : a.startsWith('--port=') ? `--port=${devpiPort}` : a));
    const devpiServer = startProcess('devpi-server', join(o.bins.devpiBinDir, (server.command ?? ['devpi-server'])[0]!), [...(server.command ?? []).slice(1), ...serverArgs], {
      log: join(dir, 'devpi.log'),
      env: { ...pathEnv, ...serverEnv },
    });
    processes.push(devpiServer);
    const devpiUrl = `http://127.0.0.1:${devpiPort}`;
    await waitFor('devpi-server', async () => (await fetch(`${devpiUrl}/+api`, { headers: { accept: 'application/json' } })).ok, { timeoutMs: 120_000, proc: devpiServer });

    // --- The index Job: the ConfigMap's script with the Job's env (the service URL mapped).
    const jobs = await k8s.listObjects(client, 'batch/v1', 'Job', { namespace: ns, labelSelector: `app=${o.names.initJobLabel}` }, ctx.signal);
    const job = jobs.sort((a, b) => String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)))[0];
    if (!job) throw new Error(`no index Job (app=${o.names.initJobLabel}) in ${ns}`);
    const jc = job.spec.template.spec.containers[0] as Container;
    const scriptCm = await read('v1', 'ConfigMap', o.names.initScript);
    const scriptFile = join(dir, 'scripts', (jc.command ?? [])[1]?.split('/').pop() ?? 'ensure-index.py');
    mkdirSync(dirname(scriptFile), { recursive: true });
    writeFileSync(scriptFile, String((scriptCm.data as Record<string, string>)[scriptFile.split('/').pop()!]));
    const jobEnv = await envOf(jc);
    const serviceUrl = jobEnv.DEVPI_URL ?? '';
    const ensure = await runToEnd('python3', [scriptFile], { env: { ...pathEnv, ...jobEnv, DEVPI_URL: devpiUrl, DEVPI_WAIT_SECONDS: '60' }, timeoutMs: 120_000 });
    if (ensure.code !== 0) throw new Error(`the index Job's script failed (${ensure.code}): ${(ensure.stderr || ensure.stdout).slice(-500)}`);

    // --- oauth2-proxy: the ConfigMap's file, the Secret's values by the Deployment's env.
    const proxyDep = await read('apps/v1', 'Deployment', o.names.oauth2Proxy);
    const pc = podSpec(proxyDep).containers[0]!;
    const cm = await read('v1', 'ConfigMap', o.names.oauth2ProxyConfig);
    const cfgText = (cm.data as Record<string, string>)['oauth2_proxy.cfg'];
    if (!cfgText) throw new Error(`ConfigMap ${o.names.oauth2ProxyConfig} has no oauth2_proxy.cfg`);
    const cfg = parseCfg(cfgText);
    const proxyPort = await freePort();
    const local: Record<string, unknown> = {
      ...cfg,
      http_address: `127.0.0.1:${proxyPort}`,
      upstreams: (cfg.upstreams as string[]).map((u) => (u.startsWith(serviceUrl) ? `${devpiUrl}${u.slice(serviceUrl.length)}` : u)),
      redis_connection_url: `redis://127.0.0.1:${redisPort}`,
    };
    const cfgFile = join(dir, 'oauth2_proxy.cfg');
    writeFileSync(cfgFile, renderCfg(local), { mode: 0o600 });
    const args = (pc.args ?? []).map((a) => (a.startsWith('--config=') ? `--config=${cfgFile}` : a));
    const proxy = startProcess('oauth2-proxy', o.bins.oauth2Proxy, args, { log: join(dir, 'oauth2-proxy.log'), env: { PATH: process.env.PATH ?? '', ...(await envOf(pc)) } });
    processes.push(proxy);
    const proxyUrl = `http://127.0.0.1:${proxyPort}`;
    await waitFor('oauth2-proxy', async () => (await fetch(`${proxyUrl}/ping`)).ok, { timeoutMs: 30_000, proc: proxy });

    // --- The Ingress rules: host → backend service → local process, plus the host's headers.
    const backends: Record<string, string> = { [o.names.app]: devpiUrl, [o.names.oauth2Proxy]: proxyUrl };
    const routes: Record<string, Route> = {};
    for (const name of [o.names.dashboardIngress, o.names.apiIngress]) {
      const ing = await read('networking.k8s.io/v1', 'Ingress', name);
      const rule = ing.spec.rules[0] as { host: string; http: { paths: { backend: { service: { name: string } } }[] } };
      const svc = rule.http.paths[0]!.backend.service.name;
      const ref = ing.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-set-headers'];
      let headers: Record<string, string> = {};
      if (ref) {
        const [hns, hname] = ref.split('/');
        const hcm = await k8s.readObject(client, { apiVersion: 'v1', kind: 'ConfigMap', namespace: hns!, name: hname! }, ctx.signal);
        headers = (hcm?.data ?? {}) as Record<string, string>;
      }
      if (!backends[svc]) throw new Error(`Ingress ${name} routes to service ${svc}, which the harness does not know`);
      routes[rule.host] = { to: backends[svc]!, headers };
    }
    return { dir, redis: { port: redisPort, password: redisPassword }, devpi: { url: devpiUrl }, oauth2Proxy: { url: proxyUrl }, routes, oauth2Config: cfg, processes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
