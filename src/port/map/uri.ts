import { T } from '../ptype.ts';
import { arrow, type Code, obj, print, raw } from '../emit/code.ts';
import { quote } from '../jinja/code.ts';
import { type MapCx, type Mapped, millis, only, type ResultShape, str, todo, value } from './context.ts';
import { mapKeycloakUri } from './keycloak.ts';

/** helix's HttpResponse, read with Ansible's `uri` result names. */
export const HTTP_RESULT: ResultShape = {
  type: T.object({ url: T.string, status: T.number, headers: T.record(T.string), body: T.string }),
  member: (r, n) => {
    switch (n) {
      case 'status':
      case 'url':
        return { code: `${r}.${n}`, type: n === 'status' ? T.number : T.string };
      case 'json':
        return { code: `JSON.parse(${r}.body)`, type: T.any };
      case 'content':
        return { code: `${r}.body`, type: T.string };
      case 'location':
        return { code: `${r}.redirectTo`, type: T.string, opt: true };
      default:
        return undefined;
    }
  },
};

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `status_code: 200` / `[200, 201]` → `expect.status`. */
function statusCode(cx: MapCx): Code | undefined {
  const s = cx.task.args.status_code;
  if (s === undefined) return undefined;
  const list = (Array.isArray(s) ? s : [s]).map((x) => Number(x));
  if (list.some((n) => !Number.isInteger(n))) todo('module-args', 'status_code: computed');
  return raw(list.length === 1 ? String(list[0]) : `[${list.join(', ')}]`);
}

/** `until: r.status == 200` (or `in [..]`) with retries: a wait for that answer. */
function waitStatus(cx: MapCx): Code | undefined {
  const t = cx.task;
  if (typeof t.until !== 'string' || !t.register) return undefined;
  const re = new RegExp(`^\\s*${t.register}\\.status\\s*(?:==\\s*(\\d+)|in\\s*\\[([\\d,\\s]+)\\])\\s*$`);
  const m = re.exec(t.until);
  if (!m) return undefined;
  return raw(
    m[1]
      ? m[1]
      : `[${m[2]!
          .split(',')
          .map((x) => x.trim())
          .join(', ')}]`,
  );
}

/**
 * `uri`: Keycloak admin API patterns become keycloak tasks; any other request becomes
 * `http.request` (read-only methods plan no change; others declare `idempotent: false`, or
 * `unless` from `creates`/`removes`), and a GET retried until a status becomes `http.waitUntil`.
 */
export function mapUri(cx: MapCx): Mapped {
  const kc = mapKeycloakUri(cx);
  if (kc) return kc;
  const t = cx.task;
  const a = t.args;
  only(
    cx,
    [
      'url',
      'method',
      'headers',
      'body',
      'body_format',
      'status_code',
      'timeout',
      'user',
      'url_username',
      'password',
      'url_password',
      'force_basic_auth',
      'creates',
      'removes',
    ],
    ['return_content', 'validate_certs', 'follow_redirects', 'use_proxy'],
  );
  if (a.validate_certs !== undefined)
    cx.note('validate_certs: helix verifies TLS unless the inventory lists the target under `tls.targets` with `{ verify: false }`');
  if (a.follow_redirects !== undefined && a.follow_redirects !== 'none' && a.follow_redirects !== false)
    cx.note('follow_redirects: helix never follows redirects (so they can be asserted)');
  const http = cx.module('http');
  const method = String(a.method ?? 'GET').toUpperCase();
  const url = str(a.url, cx.scope);
  const opts: [string, Code][] = [['url', raw(url.ctx ? `(ctx) => ${url.code}` : url.code)]];
  // Headers, with basic auth folded in as a header.
  let headers: Record<string, unknown> = { ...((a.headers as Record<string, unknown>) ?? {}) };
  const user = a.url_username ?? a.user;
  const password = a.url_password ?? a.password;
  let basic: string | undefined;
  if (user !== undefined && password !== undefined) {
    const u = str(user, cx.scope);
    const p = str(password, cx.scope);
    basic = `\`Basic \${Buffer.from(\`${u.code.replace(/^`|`$/g, '').replace(/^'(.*)'$/, '$1')}:\${${p.code}}\`).toString('base64')}\``;
    if (u.ctx || p.ctx) todo('module-args', 'basic auth from earlier results');
  }
  if (a.body_format === 'form-urlencoded') headers = { 'Content-Type': 'application/x-www-form-urlencoded', ...headers };
  if (Object.keys(headers).length || basic) {
    const h = value(headers, cx.scope, { secretOk: () => true });
    const code = basic && h.code.k === 'obj' ? obj([...h.code.entries, ['Authorization', raw(basic)]]) : h.code;
    opts.push(['headers', h.ctx ? arrow('(ctx)', code) : code]);
  }
  const wait = method === 'GET' && t.retries !== undefined ? waitStatus(cx) : undefined;
  if (wait) {
    // The retry loop becomes one wait with the same budget.
    const retries = typeof t.retries === 'number' ? t.retries : 3;
    const delay = typeof t.delay === 'number' ? t.delay : 5;
    opts.push(['expect', obj([['status', wait]])], ['timeoutMs', raw(String(retries * delay * 1000))], ['intervalMs', raw(String(delay * 1000))]);
    return { kind: 'task', fn: `${http}.waitUntil`, options: opts, result: HTTP_RESULT, handled: ['retries'] };
  }
  if (method !== 'GET') opts.push(['method', raw(quote(method))]);
  if (a.body !== undefined) {
    if (READ_ONLY.has(method) && method !== 'OPTIONS') todo('module-args', `a body on ${method}`);
    let body: { code: Code; ctx: boolean };
    if (a.body_format === 'form-urlencoded') {
      const b = value(a.body, cx.scope);
      body = { code: raw(`new URLSearchParams(${stringValues(b.code)}).toString()`), ctx: b.ctx };
    } else body = value(a.body, cx.scope, { secretOk: () => true });
    opts.push(['body', body.ctx ? arrow('(ctx)', body.code) : body.code]);
  }
  const status = statusCode(cx);
  if (status) opts.push(['expect', obj([['status', status]])]);
  if (a.timeout !== undefined) opts.push(['timeoutMs', millis(a.timeout, cx.scope)]);
  if (!READ_ONLY.has(method)) {
    if (a.creates !== undefined || a.removes !== undefined) {
      const exists = cx.scope.use('node:fs', 'existsSync');
      const p = str(a.creates ?? a.removes, cx.scope);
      opts.push(['unless', raw(`${p.ctx ? '(ctx)' : '()'} => ${a.creates !== undefined ? '' : '!'}${exists}(${p.code})`)]);
    } else opts.push(['idempotent', raw('false')]);
  }
  return { kind: 'task', fn: `${http}.request`, options: opts, result: HTTP_RESULT };
}

/** `{ a: 1 }` as `Record<string, string>` for URLSearchParams. */
function stringValues(c: Code): string {
  if (c.k !== 'obj') return `${print1(c)} as Record<string, string>`;
  return `{ ${c.entries.map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: String(${print1(v)})`).join(', ')} }`;
}

function print1(c: Code): string {
  return print(c);
}
