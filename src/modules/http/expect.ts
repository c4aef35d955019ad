import type { HttpResponse } from './client.ts';

/** What a response must look like. */
export interface Expectation {
  /** Accepted status code(s). @default any 2xx; any 3xx when `redirectTo` is given */
  status?: number | readonly number[];
  /** The body must match this pattern, or contain this text. */
  bodyMatch?: RegExp | string;
  /**
   * The response must redirect here: a URL (relative ones are resolved against the request
   * URL) compared with the resolved `Location`, or a pattern matched against it.
   */
  redirectTo?: string | RegExp;
}

/** Body characters shown in messages. */
const EXCERPT = 200;

function statusText(e: Expectation): string {
  if (e.status === undefined) return e.redirectTo !== undefined ? 'a 3xx status' : 'a 2xx status';
  const list = typeof e.status === 'number' ? [e.status] : [...e.status];
  return `status ${list.join(' or ')}`;
}

/** "status 200, body matching /ready/" for messages. */
export function describeExpectation(e: Expectation): string {
  return [
    statusText(e),
    e.redirectTo !== undefined && `redirect to ${String(e.redirectTo)}`,
    e.bodyMatch !== undefined && (typeof e.bodyMatch === 'string' ? `body containing ${JSON.stringify(e.bodyMatch)}` : `body matching ${String(e.bodyMatch)}`),
  ]
    .filter(Boolean)
    .join(', ');
}

/** A response in one line, for messages: status, redirect, a cut (already masked) body. */
export function seen(res: HttpResponse): string {
  const body = res.body.replace(/\s+/g, ' ').trim();
  return [
    `status ${res.status}`,
    res.redirectTo !== undefined && `Location ${res.redirectTo}`,
    body && `body ${JSON.stringify(body.length > EXCERPT ? `${body.slice(0, EXCERPT)}…` : body)}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** Every way `res` differs from `e`; empty when it matches. */
export function mismatches(e: Expectation, res: HttpResponse): string[] {
  const out: string[] = [];
  const okStatus =
    e.status === undefined
      ? e.redirectTo !== undefined
        ? res.status >= 300 && res.status < 400
        : res.status >= 200 && res.status < 300
      : (typeof e.status === 'number' ? [e.status] : e.status).includes(res.status);
  if (!okStatus) out.push(`expected ${statusText(e)}, got ${res.status}`);
  if (e.redirectTo !== undefined) {
    const at = res.redirectTo;
    const want = e.redirectTo;
    const ok =
      at !== undefined && (typeof want === 'string' ? at === safeResolve(want, res.url) : new RegExp(want.source, want.flags.replace('g', '')).test(at));
    if (!ok) out.push(`expected a redirect to ${typeof want === 'string' ? safeResolve(want, res.url) : String(want)}, got ${at ?? 'no Location'}`);
  }
  if (e.bodyMatch !== undefined) {
    const m = e.bodyMatch;
    const ok = typeof m === 'string' ? res.body.includes(m) : new RegExp(m.source, m.flags.replace('g', '')).test(res.body);
    if (!ok) out.push(`expected a body ${typeof m === 'string' ? `containing ${JSON.stringify(m)}` : `matching ${String(m)}`}`);
  }
  return out;
}

function safeResolve(url: string, base: string): string {
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

/** Static problems with an expectation. */
export function expectationProblems(e: unknown, label = 'expect'): string[] {
  if (e === undefined) return [];
  if (typeof e !== 'object' || e === null) return [`${label} must be an object`];
  const x = e as Record<string, unknown>;
  const out: string[] = [];
  const known = new Set(['status', 'bodyMatch', 'redirectTo']);
  for (const k of Object.keys(x)) if (!known.has(k)) out.push(`${label}.${k} is not an expectation (status, bodyMatch, redirectTo)`);
  if (x.status !== undefined) {
    const list = Array.isArray(x.status) ? x.status : [x.status];
    if (list.length === 0 || !list.every((s) => Number.isInteger(s) && (s as number) >= 100 && (s as number) <= 599)) {
      out.push(`${label}.status must be an HTTP status code (100-599) or a list of them`);
    }
  }
  if (x.bodyMatch !== undefined && typeof x.bodyMatch !== 'string' && !(x.bodyMatch instanceof RegExp))
    out.push(`${label}.bodyMatch must be a string or a RegExp`);
  if (x.redirectTo !== undefined && typeof x.redirectTo !== 'string' && !(x.redirectTo instanceof RegExp))
    out.push(`${label}.redirectTo must be a URL or a RegExp`);
  return out;
}
