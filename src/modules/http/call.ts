import { unverifiedTargets } from '../../runtime/env.ts';
import { ConfigError } from '../../runtime/errors.ts';
import { verifiesTls } from '../../runtime/fetch.ts';
import { isSecret, mask, Secret } from '../../runtime/secret.ts';
import { type Input, isStatic, resolve, type TaskContext } from '../../runtime/task.ts';
import type { HttpCall } from './client.ts';

/** Where and how to send a request. Shared by every http task. */
export interface RequestOptions {
  /** An `http:` or `https:` URL. Never put a secret in it (URLs are shown): use a header. */
  url: Input<string>;
  /** Request headers; a Secret value is revealed only into the request. @default {} */
  headers?: Input<Readonly<Record<string, string | Secret>>>;
  /** Give up on one request after this long. @default 30000 */
  timeoutMs?: number;
}

/** A request body: text, a Secret, or a JSON value (Secrets inside are revealed into it). */
export type Body = string | Secret | Record<string, unknown> | readonly unknown[];

/** @default 30000 */
export const DEFAULT_TIMEOUT_MS = 30_000;

function urlProblems(url: unknown): string[] {
  if (typeof url !== 'string') return ['url must be a string'];
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [`url "${url}" is not a URL`];
  }
  const out: string[] = [];
  if (u.protocol !== 'http:' && u.protocol !== 'https:') out.push(`url "${url}" is not http or https`);
  if (mask(url) !== url) out.push('url contains a secret value: send it in a header or the body, URLs are shown');
  return out;
}

function headerProblems(headers: unknown): string[] {
  if (typeof headers !== 'object' || headers === null) return ['headers must be an object of names to strings or Secrets'];
  return Object.entries(headers).flatMap(([k, v]) => (typeof v === 'string' || isSecret(v) ? [] : [`header ${k} must be a string or a Secret`]));
}

/** Static checks of the options every request shares. */
export function validateRequest(o: RequestOptions, report: (message: string) => void): void {
  if (isStatic(o.url)) urlProblems(o.url).forEach(report);
  if (o.headers !== undefined && isStatic(o.headers)) headerProblems(o.headers).forEach(report);
  if (o.timeoutMs !== undefined && !(Number.isFinite(o.timeoutMs) && o.timeoutMs > 0)) report('timeoutMs must be a positive number of milliseconds');
}

/** A body as sent: JSON for values (wrapped in a Secret when it holds one), text as is. */
function encode(body: Body): { body: string | Secret; json: boolean } {
  if (typeof body === 'string' || isSecret(body)) return { body, json: false };
  let secret = false;
  // Secret.toJSON masks, so Secrets are revealed into a copy before stringifying.
  const reveal = (value: unknown): unknown => {
    if (isSecret(value)) {
      secret = true;
      return value.reveal();
    }
    if (Array.isArray(value)) return value.map(reveal);
    if (typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    }
    return value;
  };
  const text = JSON.stringify(reveal(body));
  return { body: secret ? new Secret(text, 'http request body') : text, json: true };
}

/** Resolves the options into a request, checking what validation could not see. */
export function buildCall(o: RequestOptions, ctx: TaskContext, method: string, body?: Body): HttpCall {
  const url = resolve(o.url, ctx);
  const headers = o.headers === undefined ? {} : resolve(o.headers, ctx);
  const problems = [...urlProblems(url), ...headerProblems(headers)];
  if (problems.length) throw new ConfigError(problems.join('; '), ctx.path);
  const call: HttpCall = {
    method,
    url,
    headers: { ...headers },
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    tlsVerify: verifiesTls(unverifiedTargets(ctx.env), url),
  };
  if (body !== undefined) {
    const encoded = encode(body);
    call.body = encoded.body;
    if (encoded.json && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      call.headers = { ...call.headers, 'content-type': 'application/json' };
    }
  }
  return call;
}

/** The URL without credentials, query or fragment: for change targets and summaries. */
export function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}

/** A stable change target: `http:POST https://keycloak.example/admin/realms`. */
export function targetOf(method: string, url: string): string {
  return `http:${method} ${shown(url)}`;
}
