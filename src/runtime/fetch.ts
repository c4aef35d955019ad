import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, buildConnector, type Dispatcher } from 'undici';

/**
 * `fetch` with the environment's TLS setting. Certificates are always verified, except those of
 * the targets an environment lists under `tls.targets` with `verify: false` (extra CAs come from
 * `NODE_EXTRA_CA_CERTS`, as for every Node program). There is no switch for every target at
 * once, and Node's global dispatcher is never touched: an unverified target gets a dispatcher
 * of its own, passed with each of its requests.
 */
export type Fetch = typeof fetch;

/** `host` or `host:port` (lower case), as listed under the inventory's `tls.targets`. */
export type TlsTarget = string;

function defaultPort(protocol: string): string {
  return protocol === 'http:' ? '80' : '443';
}

/** Whether a connection to `hostname:port` is to one of the `unverified` targets. */
export function isUnverified(unverified: readonly TlsTarget[], hostname: string, port: string | number, protocol = 'https:'): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const p = String(port || defaultPort(protocol));
  return unverified.some((t) => t === host || t === `${host}:${p}`);
}

/** Whether `url`'s certificate is verified: always, unless its target is listed as unverified. */
export function verifiesTls(unverified: readonly TlsTarget[], url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return true;
  }
  return !isUnverified(unverified, u.hostname, u.port, u.protocol);
}

const dispatchers = new Map<string, Dispatcher>();

/**
 * One dispatcher per list of unverified targets. It decides per connection: a connection to a
 * listed target skips certificate checks, every other connection (a redirect elsewhere, another
 * host of the same client) is verified as usual.
 */
function dispatcherFor(unverified: readonly TlsTarget[]): Dispatcher {
  const key = [...unverified].sort().join(',');
  let d = dispatchers.get(key);
  if (!d) {
    const strict = buildConnector({});
    const lax = buildConnector({ rejectUnauthorized: false });
    d = new Agent({
      connect: (opts, callback) => (isUnverified(unverified, opts.hostname, opts.port, opts.protocol) ? lax : strict)(opts, callback),
    });
    dispatchers.set(key, d);
  }
  return d;
}

/** The global `fetch`, or one that does not verify the certificates of the `unverified` targets. */
export function fetchWithTls(unverified: readonly TlsTarget[]): Fetch {
  if (unverified.length === 0) return fetch;
  const dispatcher = dispatcherFor(unverified);
  return ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => fetch(input, { ...init, dispatcher } as RequestInit)) as Fetch;
}

/** Extra `RequestInit` for libraries that take request options instead of a fetch function. */
export function requestInitWithTls(unverified: readonly TlsTarget[]): RequestInit {
  return unverified.length === 0 ? {} : ({ dispatcher: dispatcherFor(unverified) } as RequestInit);
}

/**
 * The global `fetch` that also trusts the CA certificates (PEM files) given, beside Node's own:
 * a private CA one task names (a registry's, a sandbox's), without `NODE_EXTRA_CA_CERTS` for the
 * whole process. Without files, the global `fetch`.
 */
export function fetchWithCa(caFiles: readonly string[]): Fetch {
  if (caFiles.length === 0) return fetch;
  const key = `ca:${[...caFiles].sort().join(',')}`;
  let d = dispatchers.get(key);
  if (!d) {
    d = new Agent({ connect: { ca: [...rootCertificates, ...caFiles.map((f) => readFileSync(f, 'utf8'))] } });
    dispatchers.set(key, d);
  }
  const dispatcher = d;
  return ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => fetch(input, { ...init, dispatcher } as RequestInit)) as Fetch;
}

/** Why a fetch gave no response, from undici's error and its cause chain. */
export function noResponseReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return `no answer within ${timeoutMs} ms`;
  let cause: unknown = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
  }
  return String(error);
}
