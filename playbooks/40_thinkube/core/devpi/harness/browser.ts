/**
 * A scripted browser for the test harness: a cookie jar, redirects followed by hand (so each
 * hop can be asserted), and a host map that sends `https://<public host>/…` to the local
 * process standing in for what the Ingress routes that host to. The Ingress's job is kept:
 * TLS ends "at the edge" (X-Forwarded-Proto https) and the per-host headers it adds are sent.
 */

export interface Route {
  /** Local base URL (`http://127.0.0.1:4180`). */
  to: string;
  /** Headers the Ingress adds for this host (from its rendered configuration). */
  headers?: Record<string, string>;
}

export interface Hop {
  method: string;
  url: string;
  status: number;
  location?: string;
}

export interface Response {
  status: number;
  url: string;
  headers: Headers;
  body: string;
  /** Every request made, in order, redirects included. */
  hops: Hop[];
}

interface Cookie {
  name: string;
  value: string;
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  sameSite?: string;
  expires?: number;
}

/** A Set-Cookie header, parsed (attributes by RFC 6265, lower-cased names). */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
}

export function parseSetCookie(header: string): SetCookie {
  const [pair = '', ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const a of attrs) {
    const i = a.indexOf('=');
    if (i < 0) attributes[a.trim().toLowerCase()] = true;
    else attributes[a.slice(0, i).trim().toLowerCase()] = a.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

export class Browser {
  readonly #routes: Map<string, Route>;
  readonly #jar: Cookie[] = [];
  /** Every Set-Cookie seen, by cookie name (the last one wins). */
  readonly setCookies = new Map<string, SetCookie>();

  constructor(routes: Record<string, Route>) {
    this.#routes = new Map(Object.entries(routes));
  }

  /** One request without following redirects. */
  async request(method: string, url: string, opts: { body?: string | URLSearchParams | FormData; headers?: Record<string, string> } = {}): Promise<Response> {
    const u = new URL(url);
    const route = this.#routes.get(u.host);
    const target = route ? new URL(`${u.pathname}${u.search}`, route.to) : u;
    const headers: Record<string, string> = { 'user-agent': 'helix-devpi-test', accept: 'text/html,application/json;q=0.9,*/*;q=0.8', ...opts.headers };
    if (route) {
      headers.host = u.host;
      headers['x-forwarded-proto'] = u.protocol.replace(':', '');
      headers['x-forwarded-host'] = u.host;
      headers['x-forwarded-for'] = '127.0.0.1';
      Object.assign(headers, route.headers ?? {});
    }
    const cookie = this.#cookieHeader(u);
    if (cookie) headers.cookie = cookie;
    let body: string | FormData | undefined;
    if (opts.body instanceof FormData) body = opts.body;
    else if (opts.body instanceof URLSearchParams) {
      body = opts.body.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (opts.body !== undefined) body = opts.body;
    const res = await fetch(target, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    for (const sc of res.headers.getSetCookie()) this.#store(u, parseSetCookie(sc));
    const text = await res.text();
    const location = res.headers.get('location') ?? undefined;
    return {
      status: res.status,
      url,
      headers: res.headers,
      body: text,
      hops: [{ method, url, status: res.status, ...(location ? { location: new URL(location, url).toString() } : {}) }],
    };
  }

  /** GET (or POST) and follow redirects up to `max` hops, recording each. */
  async follow(method: string, url: string, opts: { body?: URLSearchParams; max?: number; stopAt?: (url: URL) => boolean } = {}): Promise<Response> {
    const hops: Hop[] = [];
    let res = await this.request(method, url, opts.body ? { body: opts.body } : {});
    hops.push(...res.hops);
    for (let i = 0; i < (opts.max ?? 10) && res.status >= 300 && res.status < 400; i++) {
      const next = res.hops[0]?.location;
      if (!next) break;
      if (opts.stopAt?.(new URL(next))) break;
      res = await this.request('GET', next);
      hops.push(...res.hops);
    }
    return { ...res, hops };
  }

  cookie(name: string): string | undefined {
    return this.#jar.find((c) => c.name === name)?.value;
  }

  #store(from: URL, sc: SetCookie): void {
    const domainAttr = typeof sc.attributes.domain === 'string' ? sc.attributes.domain.replace(/^\./, '').toLowerCase() : undefined;
    const cookie: Cookie = {
      name: sc.name,
      value: sc.value,
      domain: domainAttr ?? from.hostname,
      hostOnly: !domainAttr,
      path: typeof sc.attributes.path === 'string' ? sc.attributes.path : '/',
      secure: sc.attributes.secure === true,
      ...(typeof sc.attributes.samesite === 'string' ? { sameSite: sc.attributes.samesite } : {}),
    };
    const maxAge = typeof sc.attributes['max-age'] === 'string' ? Number(sc.attributes['max-age']) : undefined;
    const expires = typeof sc.attributes.expires === 'string' ? Date.parse(sc.attributes.expires) : undefined;
    if (maxAge !== undefined) cookie.expires = Date.now() + maxAge * 1000;
    else if (expires !== undefined && !Number.isNaN(expires)) cookie.expires = expires;
    this.setCookies.set(sc.name, sc);
    const i = this.#jar.findIndex((c) => c.name === cookie.name && c.domain === cookie.domain && c.path === cookie.path);
    if (i >= 0) this.#jar.splice(i, 1);
    if (cookie.expires === undefined || cookie.expires > Date.now()) this.#jar.push(cookie);
  }

  #cookieHeader(u: URL): string {
    const host = u.hostname.toLowerCase();
    return this.#jar
      .filter((c) => (c.hostOnly ? c.domain === host : host === c.domain || host.endsWith(`.${c.domain}`)))
      .filter((c) => u.pathname.startsWith(c.path))
      // Like browsers, loopback http counts as a secure context (the sandbox's Keycloak).
      .filter((c) => !c.secure || u.protocol === 'https:' || u.hostname === '127.0.0.1' || u.hostname === 'localhost')
      .filter((c) => c.expires === undefined || c.expires > Date.now())
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}
