import { execFile } from 'node:child_process';
import http from 'node:http';
import https from 'node:https';
import { isAbsolute, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { markSecret } from '../secret.ts';
import type { ExecPlugin, KubeConnection } from './config.ts';

/** One HTTP request to the API server, path relative to the cluster's server URL. */
export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  /** JSON-serialised as is: reveal secrets before, and only into this. */
  body?: unknown;
  /** @default 'application/json' */
  contentType?: string;
}

export interface KubeResponse {
  status: number;
  /** Parsed JSON, or the text when the response is not JSON. */
  body: unknown;
  /** Seconds from a `Retry-After` header, when the server sent one. */
  retryAfter?: number;
}

/**
 * The seam between helix and the API server: unit tests replace it with a fake cluster.
 * Network failures reject with the Node error (its `code` says `ECONNREFUSED`, …).
 */
export type Transport = (req: KubeRequest, signal?: AbortSignal) => Promise<KubeResponse>;

/** A transport with its server, and `close()` for the sockets it keeps alive. */
export interface KubeHttp {
  transport: Transport;
  server: string;
  close(): void;
}

/** Time one request may take before it counts as a network failure. */
const REQUEST_TIMEOUT_MS = 30_000;
/** How long a token file's content is reused before it is read again. */
const TOKEN_FILE_TTL_MS = 60_000;
/** Parallel connections to the API server per run. */
const MAX_SOCKETS = 16;

export function buildUrl(server: string, req: Pick<KubeRequest, 'path' | 'query'>): URL {
  const url = new URL(server.replace(/\/+$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

interface Credential {
  token?: string;
  cert?: string;
  key?: string;
  /** Epoch ms after which the credential is fetched again. */
  expires: number;
}

/** Runs an exec credential plugin the way kubectl does and reads its ExecCredential. */
function runExec(plugin: ExecPlugin, server: string): Promise<Credential> {
  const info = {
    apiVersion: plugin.apiVersion,
    kind: 'ExecCredential',
    spec: { interactive: false, ...(plugin.provideClusterInfo ? { cluster: { server } } : {}) },
  };
  const command = plugin.command.includes('/') && !isAbsolute(plugin.command) ? join(plugin.dir, plugin.command) : plugin.command;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      plugin.args,
      { env: { ...process.env, ...plugin.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) }, maxBuffer: 4 * 1024 * 1024, timeout: 60_000 },
      (error, stdout) => {
        if (error) return reject(new Error(`kubeconfig exec plugin ${plugin.command} failed: ${error.message.split('\n')[0]}`));
        try {
          const status = (JSON.parse(stdout) as { status?: Record<string, string> }).status ?? {};
          const expiry = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.POSITIVE_INFINITY;
          const cred: Credential = { expires: expiry - 10_000 };
          if (status.token) {
            markSecret(status.token);
            cred.token = status.token;
          }
          if (status.clientCertificateData) cred.cert = status.clientCertificateData;
          if (status.clientKeyData) cred.key = status.clientKeyData;
          resolve(cred);
        } catch {
          reject(new Error(`kubeconfig exec plugin ${plugin.command} printed no ExecCredential`));
        }
      },
    );
  });
}

/** Client-node's KubeConfig for what only it implements (auth-provider, proxy-url): loaded on first use. */
async function legacyAuth(conn: KubeConnection): Promise<(opts: https.RequestOptions) => Promise<void>> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  const [first, ...rest] = conn.legacy!.files;
  kc.loadFromFile(first!);
  for (const f of rest) {
    const more = new KubeConfig();
    more.loadFromFile(f);
    for (const c of more.getClusters()) if (!kc.getCluster(c.name)) kc.addCluster(c);
    for (const u of more.getUsers()) if (!kc.getUser(u.name)) kc.addUser(u);
    for (const c of more.getContexts()) if (!kc.getContextObject(c.name)) kc.addContext(c);
  }
  kc.setCurrentContext(conn.context);
  return (opts) => kc.applyToHTTPSOptions(opts);
}

/**
 * A transport over node:http(s) for one connection: one keep-alive agent per run (TLS is
 * negotiated once per socket, not per request), credentials from the kubeconfig (client
 * certificates, tokens, token files, basic auth, exec plugins; exec and token-file credentials
 * refresh, and a 401 fetches them again once).
 */
export function kubeTransport(conn: KubeConnection): KubeHttp {
  const server = conn.server;
  let agent: http.Agent | undefined;
  let agentIdentity = '';
  let cred: Promise<Credential> | undefined;
  let tokenFile: { token: string; read: number } | undefined;
  let legacy: Promise<(opts: https.RequestOptions) => Promise<void>> | undefined;
  const isHttp = server.startsWith('http:');

  const agentFor = (cert: string | undefined, key: string | undefined): http.Agent => {
    const identity = `${cert ?? ''}\n${key ?? ''}`;
    if (agent && identity === agentIdentity) return agent;
    agent?.destroy();
    agentIdentity = identity;
    agent = isHttp
      ? new http.Agent({ keepAlive: true, maxSockets: MAX_SOCKETS })
      : new https.Agent({
          keepAlive: true,
          maxSockets: MAX_SOCKETS,
          ...(conn.ca ? { ca: conn.ca } : {}),
          ...(cert ? { cert } : {}),
          ...(key ? { key } : {}),
          rejectUnauthorized: !conn.insecureSkipTlsVerify,
          ...(conn.tlsServerName ? { servername: conn.tlsServerName } : {}),
        });
    return agent;
  };

  const credential = async (): Promise<Credential | undefined> => {
    if (!conn.exec) return undefined;
    const current = cred ? await cred.catch(() => undefined) : undefined;
    if (!current || current.expires <= Date.now()) {
      cred = runExec(conn.exec, server);
      cred.catch(() => (cred = undefined));
    }
    return cred;
  };

  const bearer = async (): Promise<string | undefined> => {
    if (conn.token) return conn.token;
    if (conn.tokenFile) {
      if (!tokenFile || Date.now() - tokenFile.read > TOKEN_FILE_TTL_MS) {
        const token = readFileSync(conn.tokenFile, 'utf8').trim();
        markSecret(token);
        tokenFile = { token, read: Date.now() };
      }
      return tokenFile.token;
    }
    return undefined;
  };

  /** Options of one request: the agent and the headers that authenticate it. */
  const prepare = async (): Promise<{ agent?: http.Agent; headers: http.OutgoingHttpHeaders }> => {
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json' };
    if (conn.legacy) {
      legacy ??= legacyAuth(conn);
      const opts: https.RequestOptions = { headers: {} };
      await (await legacy)(opts);
      agent ??= opts.agent as http.Agent | undefined;
      return {
        ...(agent ? { agent } : {}),
        headers: {
          ...(opts.headers as http.OutgoingHttpHeaders),
          ...headers,
          ...(opts.auth ? { authorization: `Basic ${Buffer.from(opts.auth).toString('base64')}` } : {}),
        },
      };
    }
    const exec = await credential();
    const token = exec?.token ?? (await bearer());
    if (token) headers.authorization = `Bearer ${token}`;
    else if (conn.username !== undefined && conn.password !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${conn.username}:${conn.password}`).toString('base64')}`;
    }
    if (conn.impersonate?.user) headers['impersonate-user'] = conn.impersonate.user;
    if (conn.impersonate?.groups.length) headers['impersonate-group'] = conn.impersonate.groups;
    return { agent: agentFor(exec?.cert ?? conn.cert, exec?.key ?? conn.key), headers };
  };

  const once = async (req: KubeRequest, signal?: AbortSignal): Promise<KubeResponse> => {
    const { agent: a, headers } = await prepare();
    const url = buildUrl(server, req);
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
    if (payload) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise<KubeResponse>((resolve, reject) => {
      const r = mod.request(
        url,
        { method: req.method, headers, ...(a ? { agent: a } : {}), timeout: REQUEST_TIMEOUT_MS, ...(signal ? { signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            if (/json/.test(String(res.headers['content-type'] ?? ''))) {
              try {
                body = JSON.parse(text);
              } catch {
                body = text;
              }
            }
            const ra = Number(res.headers['retry-after']);
            resolve({ status: res.statusCode ?? 0, body, ...(Number.isFinite(ra) && ra > 0 ? { retryAfter: ra } : {}) });
          });
        },
      );
      r.on('timeout', () => r.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
      r.on('error', reject);
      r.end(payload);
    });
  };

  const transport: Transport = async (req, signal) => {
    const res = await once(req, signal);
    if (res.status !== 401 || !(conn.exec || conn.tokenFile)) return res;
    // An expired or rotated credential: fetch it again, once.
    cred = undefined;
    tokenFile = undefined;
    return once(req, signal);
  };
  return {
    transport,
    server,
    close: () => {
      agent?.destroy();
      agent = undefined;
    },
  };
}
