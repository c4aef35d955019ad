import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

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

/** Time one request may take before it counts as a network failure. */
const REQUEST_TIMEOUT_MS = 30_000;

export function buildUrl(server: string, req: Pick<KubeRequest, 'path' | 'query'>): URL {
  const url = new URL(server.replace(/\/+$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
  return url;
}

/**
 * A transport over node:http(s) that takes TLS material and credentials from a KubeConfig
 * (client certificates, tokens, exec plugins, in-cluster service account). Credentials are
 * re-applied per request, so exec and token-file credentials refresh; the agent is reused.
 */
export function kubeTransport(kc: KubeConfig): { transport: Transport; server: string } {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig context "${kc.getCurrentContext()}" has no cluster`);
  const server = cluster.server;
  let agent: http.Agent | undefined;
  const transport: Transport = async (req, signal) => {
    const opts: https.RequestOptions = { headers: {} };
    await kc.applyToHTTPSOptions(opts);
    agent ??= opts.agent as http.Agent | undefined;
    const url = buildUrl(server, req);
    const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body), 'utf8');
    const headers: http.OutgoingHttpHeaders = { ...(opts.headers as http.OutgoingHttpHeaders | undefined), accept: 'application/json' };
    if (payload) {
      headers['content-type'] = req.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise<KubeResponse>((resolve, reject) => {
      const r = mod.request(
        url,
        {
          method: req.method,
          headers,
          ...(agent ? { agent } : {}),
          ...(opts.auth ? { auth: opts.auth } : {}),
          timeout: REQUEST_TIMEOUT_MS,
          ...(signal ? { signal } : {}),
        },
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
  return { transport, server };
}
