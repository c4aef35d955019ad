import { fetchWithTls, noResponseReason } from '../../runtime/fetch.ts';
import { isSecret, mask, type Secret } from '../../runtime/secret.ts';
import type { TaskContext } from '../../runtime/task.ts';

/** One HTTP request as the client sends it. Secrets are revealed only into the request. */
export interface HttpCall {
  method: string;
  url: string;
  headers: Readonly<Record<string, string | Secret>>;
  body?: string | Secret;
  timeoutMs: number;
  /** Verify the server's certificate: false only for a target listed under the inventory's `tls.targets`. */
  tlsVerify: boolean;
}

/** What came back. The body is masked and cut to {@link MAX_BODY} bytes. */
export interface HttpResponse {
  /** The URL requested (redirects are never followed). */
  url: string;
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
  /** The `Location` of a redirect, resolved against `url`. */
  redirectTo?: string;
}

/** The IO seam of the http module. Throws {@link HttpUnreachable} when no response came. */
export interface HttpClient {
  send(call: HttpCall, signal: AbortSignal): Promise<HttpResponse>;
}

/** No HTTP response: refused, DNS, TLS verification, timeout. The message is masked. */
export class HttpUnreachable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(mask(message), options);
    this.name = 'HttpUnreachable';
  }
}

/** Response bytes kept; a body is for assertions and messages, not for downloads. */
export const MAX_BODY = 1024 * 1024;

async function readCapped(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= MAX_BODY) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, MAX_BODY).toString('utf8');
}

/** `host:port` of a URL, as a TLS target. */
function targetOfUrl(url: string): string {
  const u = new URL(url);
  return `${u.hostname.toLowerCase()}:${u.port || (u.protocol === 'http:' ? '80' : '443')}`;
}

/** The real client: Node's fetch (undici), redirects not followed, the environment's TLS setting. */
export const fetchClient: HttpClient = {
  async send(call, signal) {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.headers)) headers[k] = isSecret(v) ? v.reveal() : v;
    const timeout = AbortSignal.timeout(call.timeoutMs);
    let res: Response;
    try {
      res = await fetchWithTls(call.tlsVerify ? [] : [targetOfUrl(call.url)])(call.url, {
        method: call.method,
        headers,
        ...(call.body !== undefined ? { body: isSecret(call.body) ? call.body.reveal() : call.body } : {}),
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      throw new HttpUnreachable(`${call.method} ${call.url}: ${noResponseReason(error, call.timeoutMs)}`, { cause: error });
    }
    let body: string;
    try {
      body = await readCapped(res);
    } catch (error) {
      throw new HttpUnreachable(`${call.method} ${call.url}: reading the response: ${noResponseReason(error, call.timeoutMs)}`, { cause: error });
    }
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      responseHeaders[key] = mask(value);
    });
    const out: HttpResponse = { url: call.url, status: res.status, headers: responseHeaders, body: mask(body) };
    const location = res.headers.get('location');
    if (location !== null) {
      try {
        out.redirectTo = new URL(location, call.url).href;
      } catch {
        out.redirectTo = location;
      }
    }
    return out;
  },
};

/** The run's HTTP client (tests put a fake under this key). */
export const CLIENT_KEY = 'http.client';

export function clientFor(ctx: TaskContext): HttpClient {
  return ctx.memo<HttpClient>(CLIENT_KEY, () => fetchClient);
}
