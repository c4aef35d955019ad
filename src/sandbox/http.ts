import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface HttpOptions {
  method?: string;
  /** PEM files: CA to verify the server, client certificate and key. */
  ca?: string;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

/** A small HTTP(S) client for health checks (verifies TLS against the given CA; never skips). */
export function httpCall(url: string, opts: HttpOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const tls = u.protocol === 'https:';
    const req = (tls ? httpsRequest : httpRequest)(
      u,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        timeout: opts.timeoutMs ?? 5000,
        ...(tls
          ? {
              ca: opts.ca ? readFileSync(opts.ca) : undefined,
              cert: opts.cert ? readFileSync(opts.cert) : undefined,
              key: opts.key ? readFileSync(opts.key) : undefined,
            }
          : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          if (body.length < 1_000_000) body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 5000}ms`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** True when GET `url` answers with status 200 (and `contains`, when given, is in the body). */
export async function httpOk(url: string, opts: HttpOptions & { contains?: string } = {}): Promise<boolean> {
  try {
    const r = await httpCall(url, opts);
    return r.status === 200 && (!opts.contains || r.body.includes(opts.contains));
  } catch {
    return false;
  }
}
