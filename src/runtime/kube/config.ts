import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse } from 'yaml';
import type { KubeSettings } from '../env.ts';
import { ConfigError } from '../errors.ts';
import { markSecret } from '../secret.ts';

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const WHERE = 'kubernetes';

/** An exec credential plugin (`users[].user.exec`), as kubectl runs it. */
export interface ExecPlugin {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
  /** kubeconfig's `provideClusterInfo`: the cluster is passed in `KUBERNETES_EXEC_INFO`. */
  provideClusterInfo: boolean;
  /** Folder of the kubeconfig, where a relative command is found. */
  dir: string;
}

/**
 * What it takes to reach one API server, read from a kubeconfig context (or the pod's service
 * account). Paths are absolute; `*-data` fields are decoded. Nothing here is printed.
 */
export interface KubeConnection {
  /** Context name (`in-cluster` for the service account). */
  context: string;
  /** Every context the kubeconfig knows, for messages. */
  contexts: string[];
  server: string;
  /** PEM bundle of the cluster's CA; absent: the system's CAs. */
  ca?: string;
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  /** Client certificate and key, PEM. */
  cert?: string;
  key?: string;
  token?: string;
  /** Re-read at most once a minute (projected service account tokens rotate). */
  tokenFile?: string;
  username?: string;
  password?: string;
  exec?: ExecPlugin;
  /** Impersonation (`as`, `as-groups`). */
  impersonate?: { user?: string; groups: string[] };
  /**
   * Something only `@kubernetes/client-node` implements (an `auth-provider`, a `proxy-url`):
   * the transport then loads it, from `files`, lazily. Everything else stays on the lean path.
   */
  legacy?: { reason: string; files: string[] };
}

interface Named<T> {
  name: string;
  value: T;
  /** Folder of the file it came from, for relative paths. */
  dir: string;
}

interface RawConfig {
  clusters: Named<Record<string, unknown>>[];
  users: Named<Record<string, unknown>>[];
  contexts: Named<Record<string, unknown>>[];
  current: string;
}

function entries(doc: Record<string, unknown>, list: string, item: string, dir: string): Named<Record<string, unknown>>[] {
  const raw = doc[list];
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error(`${list} must be a list`);
  return raw.map((e: unknown, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string' || !o.name) throw new Error(`${list}[${i}] has no name`);
    const value = o[item];
    return { name: o.name, value: (value && typeof value === 'object' ? value : {}) as Record<string, unknown>, dir };
  });
}

function readFile(file: string): RawConfig {
  const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a kubeconfig (expected a mapping)');
  const dir = dirname(file);
  return {
    clusters: entries(doc, 'clusters', 'cluster', dir),
    users: entries(doc, 'users', 'user', dir),
    contexts: entries(doc, 'contexts', 'context', dir),
    current: typeof doc['current-context'] === 'string' ? doc['current-context'] : '',
  };
}

/** kubectl's merge rule for `KUBECONFIG` lists: the first file to set a name wins. */
function merge(files: readonly string[]): RawConfig {
  const out: RawConfig = { clusters: [], users: [], contexts: [], current: '' };
  for (const f of files) {
    const c = readFile(f);
    for (const k of ['clusters', 'users', 'contexts'] as const) {
      for (const e of c[k]) if (!out[k].some((x) => x.name === e.name)) out[k].push(e);
    }
    out.current ||= c.current;
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const abs = (dir: string, p: string): string => (isAbsolute(p) ? p : join(dir, p));
const fileOrData = (o: Record<string, unknown>, file: string, dir: string): string | undefined => {
  const data = str(o[`${file}-data`]);
  if (data) return Buffer.from(data, 'base64').toString('utf8');
  const path = str(o[file]);
  return path ? readFileSync(abs(dir, path), 'utf8') : undefined;
};

function resolve(raw: RawConfig, files: readonly string[], contextName: string | undefined): KubeConnection {
  const contexts = raw.contexts.map((c) => c.name);
  const name = contextName ?? raw.current;
  const ctx = raw.contexts.find((c) => c.name === name);
  if (contextName && !ctx) throw new ConfigError(`kubeconfig has no context "${contextName}" (contexts: ${contexts.join(', ') || 'none'})`, WHERE);
  const cluster = ctx && raw.clusters.find((c) => c.name === ctx.value.cluster);
  const server = cluster && str(cluster.value.server);
  if (!ctx || !cluster || !server) throw new ConfigError(`kubeconfig context "${name || '(none)'}" names no cluster`, WHERE);
  const c = cluster.value;
  const user = raw.users.find((u) => u.name === ctx.value.user);
  const u = user?.value ?? {};
  const udir = user?.dir ?? cluster.dir;
  const conn: KubeConnection = {
    context: name,
    contexts,
    server,
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
  };
  const ca = fileOrData(c, 'certificate-authority', cluster.dir);
  if (ca) conn.ca = ca;
  if (str(c['tls-server-name'])) conn.tlsServerName = str(c['tls-server-name'])!;
  const cert = fileOrData(u, 'client-certificate', udir);
  const key = fileOrData(u, 'client-key', udir);
  if (cert) conn.cert = cert;
  if (key) conn.key = key;
  const token = str(u.token);
  if (token) {
    markSecret(token);
    conn.token = token;
  } else if (str(u.tokenFile)) {
    conn.tokenFile = abs(udir, str(u.tokenFile)!);
  }
  if (str(u.username)) conn.username = str(u.username)!;
  if (str(u.password)) {
    markSecret(str(u.password)!);
    conn.password = str(u.password)!;
  }
  const exec = u.exec as Record<string, unknown> | undefined;
  if (exec && typeof exec === 'object') {
    if (!str(exec.command)) throw new ConfigError(`kubeconfig user "${user?.name}": exec has no command`, WHERE);
    const env: Record<string, string> = {};
    for (const e of (Array.isArray(exec.env) ? exec.env : []) as { name?: unknown; value?: unknown }[]) {
      if (typeof e?.name === 'string') env[e.name] = String(e.value ?? '');
    }
    conn.exec = {
      command: str(exec.command)!,
      args: Array.isArray(exec.args) ? exec.args.map(String) : [],
      env,
      apiVersion: str(exec.apiVersion) ?? 'client.authentication.k8s.io/v1',
      provideClusterInfo: exec.provideClusterInfo === true,
      dir: udir,
    };
  }
  const as = str(u.as);
  const groups = Array.isArray(u['as-groups']) ? u['as-groups'].map(String) : [];
  if (as || groups.length) conn.impersonate = { ...(as ? { user: as } : {}), groups };
  const legacy = u['auth-provider'] ? 'an auth-provider' : str(c['proxy-url']) ? 'a proxy-url' : undefined;
  if (legacy) conn.legacy = { reason: legacy, files: [...files] };
  return conn;
}

function inCluster(environ: NodeJS.ProcessEnv): KubeConnection {
  const host = environ.KUBERNETES_SERVICE_HOST;
  const port = environ.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new ConfigError('inCluster is set but KUBERNETES_SERVICE_HOST is not (not running in a pod?)', WHERE);
  const conn: KubeConnection = {
    context: 'in-cluster',
    contexts: ['in-cluster'],
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    insecureSkipTlsVerify: false,
    tokenFile: join(SERVICE_ACCOUNT, 'token'),
  };
  if (existsSync(join(SERVICE_ACCOUNT, 'ca.crt'))) conn.ca = readFileSync(join(SERVICE_ACCOUNT, 'ca.crt'), 'utf8');
  return conn;
}

/**
 * Reads the kubeconfig an environment asks for, following kubectl's conventions:
 * `kubernetes.inCluster` → the pod's service account; `kubernetes.kubeconfig` → that file;
 * else `KUBECONFIG` (a list of files, merged, the first to set a name winning), else
 * `~/.kube/config`, else the in-cluster service account when running in a pod.
 * `kubernetes.context` selects the context; the file's current context is used otherwise.
 * Never falls back to an implicit localhost.
 *
 * A small reader of its own (YAML, certificates, tokens, exec plugins) instead of
 * `@kubernetes/client-node`, whose import alone costs about a second and 100 MB
 * (docs/decisions/005-startup.md).
 */
export function loadKubeConfig(settings: KubeSettings | undefined, environ: NodeJS.ProcessEnv = process.env): KubeConnection {
  const load = (what: string, files: string[]): KubeConnection => {
    let raw: RawConfig;
    try {
      raw = merge(files);
    } catch (error) {
      throw new ConfigError(`cannot load ${what}: ${(error as Error).message.split('\n')[0]}`, WHERE);
    }
    try {
      return resolve(raw, files, settings?.context);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`cannot load ${what}: ${(error as Error).message.split('\n')[0]}`, WHERE);
    }
  };
  const defaultFile = join(homedir(), '.kube', 'config');
  if (settings?.inCluster) return inCluster(environ);
  if (settings?.kubeconfig) {
    const file = settings.kubeconfig;
    if (!existsSync(file)) throw new ConfigError(`kubeconfig ${file} does not exist`, WHERE);
    return load(`kubeconfig ${file}`, [file]);
  }
  if (environ.KUBECONFIG) {
    const files = environ.KUBECONFIG.split(delimiter).filter(Boolean);
    const present = files.filter((f) => existsSync(f));
    if (present.length === 0) throw new ConfigError(`KUBECONFIG names no existing file (${environ.KUBECONFIG})`, WHERE);
    return load(`KUBECONFIG ${environ.KUBECONFIG}`, present);
  }
  if (existsSync(defaultFile)) return load(`kubeconfig ${defaultFile}`, [defaultFile]);
  if (environ.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT, 'token'))) return inCluster(environ);
  throw new ConfigError('no kubeconfig: set kubernetes.kubeconfig in the inventory, KUBECONFIG, or create ~/.kube/config', WHERE);
}
