import { type PType, T } from '../ptype.ts';
import { type Code, raw } from '../emit/code.ts';
import { PREC, quote, wrap } from '../jinja/code.ts';
import { translateString } from '../jinja/inline.ts';
import type { Binding } from '../jinja/scope.ts';
import { camel } from '../emit/names.ts';
import { expr, type MapCx, type Mapped, type ResultShape, readsCtx, str, todo, value } from './context.ts';

/**
 * The Keycloak admin REST API as Ansible playbooks call it with `uri` (the DevPi pattern):
 * a password-grant token request, then `POST …/clients` accepting 201 or 409, a lookup by
 * clientId, `GET …/client-secret`, `POST …/protocol-mappers/models`, `DELETE …/clients/<id>`.
 * Recognised calls become keycloak tasks that read, compare and correct drift; the token
 * request becomes the admin connection those tasks log in with.
 */

const TOKEN = /^(.*?)\/realms\/([^/]+)\/protocol\/openid-connect\/token\/?$/;
const ADMIN = /^(.*?)\/admin\/realms(?:\/([^/?]+))?(\/[^?]*)?(?:\?(.*))?$/;
const CLIENT_FIELDS = new Set([
  'clientId',
  'name',
  'description',
  'enabled',
  'publicClient',
  'standardFlowEnabled',
  'implicitFlowEnabled',
  'directAccessGrantsEnabled',
  'serviceAccountsEnabled',
  'redirectUris',
  'webOrigins',
  'rootUrl',
  'baseUrl',
  'attributes',
  'secret',
  'protocol',
]);

function method(cx: MapCx): string {
  return String(cx.task.args.method ?? 'GET').toUpperCase();
}

function body(cx: MapCx): Record<string, unknown> | undefined {
  const b = cx.task.args.body;
  if (b && typeof b === 'object' && !Array.isArray(b)) return b as Record<string, unknown>;
  if (typeof b === 'string' && cx.task.args.body_format === 'json' && !opaqueBody(cx)) todo('module-args', 'a JSON body given as text');
  return undefined;
}

/** A body that is one value (`"{{ client_body }}"`, `| to_json` or not): its expression. */
function opaqueBody(cx: MapCx): string | undefined {
  const b = cx.task.args.body;
  if (typeof b !== 'string') return undefined;
  const m = /^\s*\{\{\s*(.*?)\s*(?:\|\s*to_json\s*)?\}\}\s*$/.exec(b);
  return m && !/\{\{|\}\}/.test(m[1]!) ? m[1] : undefined;
}

/** `keycloak.client` from a representation only known when the playbook is built (a role's parameter). */
function clientFromValue(cx: MapCx, kc: string, common: [string, Code][], src: string): Mapped {
  if (/^[A-Za-z_]\w*$/.test(src)) cx.scope.note(src, 'object');
  const rep = expr(src, cx.scope);
  if (rep.ctx) todo('module-args', 'a client body computed from earlier results');
  cx.note(
    `a client body given as one value (${src}) became keycloak.client with keycloak.clientFields: fields it does not manage are refused while the playbook is built`,
  );
  return {
    kind: 'task',
    fn: `${kc}.client`,
    options: [...common, [`...${kc}.clientFields(${rep.code})`, raw('')]],
    handled: ['failedWhen'],
    result: { type: T.any },
  };
}

/** The admin session a call uses: the register its Bearer header names, or the only one known. */
function session(cx: MapCx): string {
  const h = (cx.task.args.headers ?? {}) as Record<string, unknown>;
  const auth = Object.entries(h).find(([k]) => k.toLowerCase() === 'authorization')?.[1];
  const sessions = cx.earlier.keycloakSessions;
  if (typeof auth === 'string') {
    const m = /Bearer\s*\{\{\s*(\w+)/.exec(auth);
    const s = m && sessions.get(m[1]!);
    if (s) return s.admin;
  }
  if (sessions.size >= 1) return [...sessions.values()].at(-1)!.admin;
  todo('module-args', 'a Keycloak admin API call without a recognisable token request before it');
}

/** The clientId a path segment (`{{ client_uuid }}`) stands for: the one client this file knows. */
function clientIdFor(cx: MapCx, segment: string): string {
  const clients = [...cx.earlier.keycloakClients.keys()];
  if (!clients.length) todo('module-args', `a client addressed by id (${segment}) with no clientId known in this file`);
  if (clients.length > 1) cx.note(`client ${segment} taken as the last client looked up (${clients.at(-1)})`);
  return clients.at(-1)!;
}

/** Recognises a Keycloak call; undefined when the URL is not Keycloak's. */
export function mapKeycloakUri(cx: MapCx): Mapped | undefined {
  const a = cx.task.args;
  if (typeof a.url !== 'string') return undefined;
  const url = a.url;
  const m = method(cx);
  if (a.validate_certs !== undefined)
    cx.note('validate_certs: helix verifies TLS unless the inventory lists the target under `tls.targets` with `{ verify: false }`');

  const token = TOKEN.exec(url);
  if (token && m === 'POST') {
    const b = (a.body ?? {}) as Record<string, unknown>;
    if (b.grant_type !== 'password' || b.username === undefined || b.password === undefined) return undefined;
    if (!cx.task.register) todo('module-args', 'a token request whose result nobody reads');
    // The password must be a Secret: a sole variable is declared one in the component.
    const pw = typeof b.password === 'string' ? /^\s*\{\{\s*(\w+)\s*\}\}\s*$/.exec(b.password) : null;
    if (pw) cx.scope.note(pw[1]!, 'secret');
    const password = translateString(String(b.password), cx.scope);
    const passwordCode =
      password.type.k === 'secret'
        ? password.opt
          ? `${wrap(password, PREC.primary)}!`
          : password.code
        : `new ${cx.helix('Secret')}(${str(b.password, cx.scope).code})`;
    if (password.ctx) todo('module-args', 'the admin password comes from an earlier result');
    const base = str(token[1]!, cx.scope);
    const username = str(b.username, cx.scope);
    const KA = cx.module('keycloak');
    const fields = [`url: ${base.code}`, `username: ${username.code}`, `password: ${passwordCode}`];
    if (token[2] !== 'master') fields.push(`loginRealm: ${str(token[2]!, cx.scope).code}`);
    if (b.client_id !== undefined && b.client_id !== 'admin-cli') fields.push(`clientId: ${str(b.client_id, cx.scope).code}`);
    const id = `${camel(cx.task.register!)}Admin`;
    cx.earlier.keycloakSessions.set(cx.task.register!, { admin: id, url: base.code });
    const binding: Binding = {
      code: id,
      type: T.any,
      member: (n) => {
        // The login either works or fails every keycloak task using the connection, naming the
        // admin user: a check of the token request's status is carried by the connection.
        if (n === 'status') return { code: '200', type: T.number };
        todo('register-attribute', 'the Keycloak access token: helix keycloak tasks hold their own admin session');
      },
    };
    // The connection is a value: it logs in only when a keycloak task uses it, so a `when:` on
    // the token request is carried by the tasks that use it (they have their own conditions).
    if (cx.task.when.length) cx.note("when: on the Keycloak token request: the admin connection logs in only when a task uses it, under that task's own when");
    return {
      kind: 'inline',
      lines: [
        `// The admin token request: keycloak tasks log in with this connection themselves.`,
        `const ${id}: ${KA}.KeycloakAdmin = { ${fields.join(', ')} };`,
      ],
      binding: { name: cx.task.register!, value: binding },
      consumesWhen: true,
    };
  }

  const admin = ADMIN.exec(url);
  if (!admin) return undefined;
  const kc = cx.module('keycloak');
  const who = session(cx);
  const realmSeg = admin[2];
  const path = admin[3] ?? '';
  const query = admin[4] ?? '';
  const realm = (): Code => raw(str(decodeURIComponent(realmSeg ?? ''), cx.scope).code);
  const common = (): [string, Code][] => [
    ['admin', raw(who)],
    ['realm', realm()],
  ];
  const b = body(cx);

  // POST /admin/realms {realm: x} → keycloak.realm
  if (!realmSeg && m === 'POST' && b?.realm !== undefined) {
    const { realm: r, enabled, displayName, ...settings } = b;
    const opts: [string, Code][] = [
      ['admin', raw(who)],
      ['realm', raw(str(r, cx.scope).code)],
    ];
    if (enabled !== undefined) opts.push(['enabled', value(enabled, cx.scope).code]);
    if (displayName !== undefined) opts.push(['displayName', raw(str(displayName, cx.scope).code)]);
    if (Object.keys(settings).length) opts.push(['settings', value(settings, cx.scope).code]);
    return { kind: 'task', fn: `${kc}.realm`, options: opts, handled: ['failedWhen'] };
  }
  if (!realmSeg) return undefined;

  const whole = opaqueBody(cx);
  if (path === '/clients' && m === 'POST' && !b && whole) return clientFromValue(cx, kc, common(), whole);
  // POST …/clients → keycloak.client (create, or update when it drifted)
  if (path === '/clients' && m === 'POST' && b) {
    const extra = Object.keys(b).filter((k) => !CLIENT_FIELDS.has(k));
    if (extra.length) todo('module-args', `client fields ${extra.join(', ')} are not managed by keycloak.client`);
    if (b.protocol !== undefined && b.protocol !== 'openid-connect') todo('module-args', `protocol ${String(b.protocol)}`);
    const opts: [string, Code][] = common();
    const clientId = str(b.clientId, cx.scope);
    for (const [k, v] of Object.entries(b)) {
      if (k === 'protocol') continue;
      if (k === 'secret') {
        const s = translateString(String(v), cx.scope);
        opts.push(['secret', raw(s.type.k === 'secret' ? s.code : `new ${cx.helix('Secret')}(${str(v, cx.scope).code})`)]);
        continue;
      }
      if (k === 'attributes' && v && typeof v === 'object') {
        const { 'pkce.code.challenge.method': pkce, ...rest } = v as Record<string, unknown>;
        if (pkce !== undefined) opts.push(['pkce', raw(str(pkce, cx.scope).code)]);
        if (Object.keys(rest).length) opts.push(['attributes', value(Object.fromEntries(Object.entries(rest).map(([x, y]) => [x, String(y)])), cx.scope).code]);
        continue;
      }
      const val = value(v, cx.scope);
      if (val.ctx) todo('module-args', `client ${k} from earlier results`);
      opts.push([k, val.code]);
    }
    cx.earlier.keycloakClients.set(clientId.code, { constName: cx.task.register ?? '' });
    cx.note('a Keycloak client created with "201 or 409 is fine" became keycloak.client, which also corrects drift');
    return { kind: 'task', fn: `${kc}.client`, options: opts, handled: ['failedWhen'], result: { type: T.any } };
  }

  // GET …/clients?clientId=x → the client is addressed by clientId in helix: no call.
  if (path === '/clients' && m === 'GET' && /(^|&)clientId=/.test(query)) {
    const q = /(?:^|&)clientId=([^&]+)/.exec(query)![1]!;
    const clientId = str(decodeURIComponent(q), cx.scope);
    if (!cx.earlier.keycloakClients.has(clientId.code)) cx.earlier.keycloakClients.set(clientId.code, { constName: '' });
    const idOf: Binding = { code: clientId.code, type: T.string, prec: clientId.prec };
    const entry: Binding = { code: clientId.code, type: T.any, member: (n) => (n === 'id' || n === 'clientId' ? idOf : undefined) };
    if (cx.task.when.length)
      cx.note('when: on a Keycloak client lookup by clientId: no call is made (tasks address the client by clientId under their own when)');
    return {
      kind: 'inline',
      consumesWhen: true,
      lines: [`// Keycloak client lookup by clientId ${clientId.code}: helix keycloak tasks address clients by clientId.`],
      ...(cx.task.register
        ? {
            binding: {
              name: cx.task.register,
              // `found.json` reads as the one client, addressed by clientId; `json[0].id` as its clientId.
              value: {
                code: `[${clientId.code}]`,
                type: T.array(T.any),
                member: (n) =>
                  n === 'json' ? { code: `[${clientId.code}]`, type: T.array(T.string), member: (i) => (i === '0' ? entry : undefined) } : undefined,
              },
            },
          }
        : {}),
    };
  }

  const clientPath = /^\/clients\/([^/]+)(\/.*)?$/.exec(path);
  if (clientPath) {
    const clientId = raw(clientIdFor(cx, clientPath[1]!));
    const rest = clientPath[2] ?? '';
    const base: [string, Code][] = [...common(), ['clientId', clientId]];
    if (rest === '/client-secret' && m === 'GET') {
      const tolerated = accepted(cx).filter((n) => n !== 200);
      if (tolerated.length)
        cx.note(
          `client secret read accepting status ${tolerated.join(', ')}: keycloak.clientSecret fails instead (a missing or public client, a refused login)`,
        );
      return {
        kind: 'task',
        fn: `${kc}.clientSecret`,
        options: base,
        // `status` is 200: helix fails the task rather than answering 404, 401 or 403.
        result: {
          type: T.secret,
          member: (r, n) =>
            n === 'json'
              ? { code: r, type: T.any, ctx: readsCtx(r), member: (k) => (k === 'value' ? { code: r, type: T.secret, ctx: readsCtx(r) } : undefined) }
              : n === 'status'
                ? { code: '200', type: T.number }
                : undefined,
        },
      };
    }
    if (rest === '/protocol-mappers/models' && m === 'POST' && b) {
      const config = (b.config ?? {}) as Record<string, unknown>;
      const mapperName = str(b.name ?? 'mapper', cx.scope);
      if (b.protocolMapper === 'oidc-audience-mapper') {
        const opts: [string, Code][] = [...base, ['mapper', raw(mapperName.code)]];
        if (config['included.client.audience'] !== undefined) opts.push(['audience', raw(str(config['included.client.audience'], cx.scope).code)]);
        cx.note('a protocol mapper created with "201 or 409 is fine" became a keycloak mapper task that corrects drift');
        return { kind: 'task', fn: `${kc}.audienceMapper`, options: opts, handled: ['failedWhen'] };
      }
      const cfg = value(Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === 'string' ? v : String(v)])), cx.scope);
      return {
        kind: 'task',
        fn: `${kc}.protocolMapper`,
        options: [...base, ['mapper', raw(mapperName.code)], ['protocolMapper', raw(str(b.protocolMapper, cx.scope).code)], ['config', cfg.code]],
        handled: ['failedWhen'],
      };
    }
    // PUT …/clients/<id> with the whole representation: the same drift correction.
    if (rest === '' && m === 'PUT' && whole) return clientFromValue(cx, kc, common(), whole);
    if (rest === '' && m === 'DELETE') {
      cx.note('a Keycloak client DELETE became keycloak.client state absent ("not found" is success, other errors fail)');
      return { kind: 'task', fn: `${kc}.client`, options: [...base, ['state', raw("'absent'")]], handled: ['failedWhen'] };
    }
    todo('module-args', `Keycloak ${m} …/clients/<id>${rest} has no keycloak task`);
  }
  const reads = mapKeycloakRead(cx, m, path, query, common);
  if (reads) return reads;
  // POST …/groups {name, attributes} → keycloak.group (a top-level group; "201 or 409" becomes ensure)
  if (path === '/groups' && m === 'POST' && b) {
    const { name: g, attributes, path: groupPath, ...other } = b;
    if (Object.keys(other).length) todo('module-args', `group fields ${Object.keys(other).join(', ')} are not managed by keycloak.group`);
    if (typeof g !== 'string') todo('module-args', 'a group without a name');
    if (groupPath !== undefined && groupPath !== `/${g}`) todo('module-args', `group path ${String(groupPath)} (keycloak.group manages top-level groups)`);
    const opts: [string, Code][] = [...common(), ['group', raw(str(g, cx.scope).code)]];
    if (attributes !== undefined) {
      const attrs = value(attributes, cx.scope);
      if (attrs.ctx) todo('module-args', 'group attributes from earlier results');
      if (attrs.type.k !== 'object' || Object.values(attrs.type.fields).some((t) => t.k !== 'array'))
        todo('module-args', 'group attributes that are not lists of text');
      opts.push(['attributes', attrs.code]);
    }
    cx.note('a Keycloak group created with "201 or 409 is fine" became keycloak.group, which also corrects drift of its attributes');
    const realmCode = (realm() as { code: string }).code;
    const plainRealm = /^'([\w.-]*)'$/.exec(realmCode)?.[1];
    const realmPart = plainRealm ?? `\${${realmCode}}`;
    return {
      kind: 'task',
      fn: `${kc}.group`,
      options: opts,
      handled: ['failedWhen'],
      // `location`: the group's URL, as Keycloak's Location header names it (its id last).
      result: {
        type: T.object({ id: T.string, name: T.string }),
        member: (r, n) =>
          n === 'location'
            ? { code: `\`\${${who}.url}/admin/realms/${realmPart}/groups/\${${r}.id}\``, type: T.string }
            : n === 'json'
              ? { code: r, type: T.object({ id: T.string, name: T.string }) }
              : undefined,
      },
    };
  }
  if (path === '/roles' && m === 'POST' && b) {
    const opts: [string, Code][] = [...common(), ['role', raw(str(b.name, cx.scope).code)]];
    if (b.description !== undefined) opts.push(['description', raw(str(b.description, cx.scope).code)]);
    return { kind: 'task', fn: `${kc}.realmRole`, options: opts, handled: ['failedWhen'] };
  }
  if (path === '/users' && m === 'POST' && b) {
    const { username, credentials, ...restUser } = b;
    const opts: [string, Code][] = [...common(), ['username', raw(str(username, cx.scope).code)]];
    for (const [k, v] of Object.entries(restUser)) {
      if (!['email', 'emailVerified', 'firstName', 'lastName', 'enabled', 'groups', 'attributes'].includes(k)) todo('module-args', `user field ${k}`);
      opts.push([k, value(v, cx.scope).code]);
    }
    if (Array.isArray(credentials) && credentials[0] && typeof credentials[0] === 'object') {
      const c = credentials[0] as Record<string, unknown>;
      const pw = translateString(String(c.value), cx.scope);
      opts.push(['password', raw(pw.type.k === 'secret' ? pw.code : `new ${cx.helix('Secret')}(${str(c.value, cx.scope).code})`)]);
    }
    return { kind: 'task', fn: `${kc}.user`, options: opts, handled: ['failedWhen'] };
  }
  todo('module-args', `Keycloak admin API ${m} ${path || '/'} has no keycloak task`);
}

/** The statuses a read accepts (`status_code`), 200 when not given. */
function accepted(cx: MapCx): number[] {
  const s = cx.task.args.status_code;
  if (s === undefined) return [200];
  return (Array.isArray(s) ? s : [s]).map(Number);
}

/** `…?a=b&c=d` as a map (values decoded). */
function params(query: string): Map<string, string> {
  return new Map(
    query
      .split('&')
      .filter(Boolean)
      .map((kv) => {
        const i = kv.indexOf('=');
        return [kv.slice(0, i < 0 ? kv.length : i), decodeURIComponent(i < 0 ? '' : kv.slice(i + 1))] as [string, string];
      }),
  );
}

/** What the read tasks give, as the port types it: the fields playbooks read, each known to TypeScript. */
const USER = T.object({ id: T.string, username: T.string, email: T.string, enabled: T.boolean, attributes: T.record(T.array(T.string)) });
const ROLE = T.object({ id: T.string, name: T.string, description: T.string });
const NAMED = T.object({ id: T.string, name: T.string });

/** A list read: `json` is the list itself; `status` is 200 (anything else fails the task). */
function listResult(item: PType): ResultShape {
  return {
    type: T.array(item),
    member: (r, n) => (n === 'json' ? { code: r, type: T.array(item) } : n === 'status' ? { code: '200', type: T.number } : undefined),
  };
}

/**
 * Admin API reads become read-only keycloak tasks whose result is what Ansible's `json` held:
 * `GET …/users?username=` → `keycloak.findUsers`, `GET …/roles/<name>` → `keycloak.getRealmRole`
 * (`status` reads 200 or 404 from whether it was found), `GET …/groups` → `keycloak.listGroups`,
 * `GET …/client-scopes` → `keycloak.listClientScopes`.
 */
function mapKeycloakRead(cx: MapCx, m: string, path: string, query: string, common: () => [string, Code][]): Mapped | undefined {
  if (m !== 'GET') return undefined;
  const kc = cx.module('keycloak');
  const q = params(query);
  const ok = accepted(cx);
  const plain = (): void => {
    const other = ok.filter((n) => n !== 200);
    if (other.length) todo('module-args', `a Keycloak read accepting status ${other.join(', ')}`);
  };
  if (path === '/users' && q.has('username')) {
    plain();
    const extra = [...q.keys()].filter((k) => k !== 'username' && k !== 'exact');
    if (extra.length) todo('module-args', `a user search by ${extra.join(', ')}`);
    const opts: [string, Code][] = [...common(), ['username', raw(str(q.get('username'), cx.scope).code)]];
    if (q.get('exact') !== 'true') opts.push(['exact', raw('false')]);
    return { kind: 'task', fn: `${kc}.findUsers`, options: opts, result: listResult(USER) };
  }
  const role = /^\/roles\/([^/]+)$/.exec(path);
  if (role && !query) {
    if (ok.some((n) => n !== 200 && n !== 404)) todo('module-args', `a Keycloak role read accepting status ${ok.join(', ')}`);
    const required = !ok.includes(404);
    const opts: [string, Code][] = [...common(), ['role', raw(str(decodeURIComponent(role[1]!), cx.scope).code)]];
    if (required) opts.push(['required', raw('true')]);
    return {
      kind: 'task',
      fn: `${kc}.getRealmRole`,
      options: opts,
      result: {
        type: T.any,
        member: (r, n) =>
          n === 'status'
            ? { code: `(${r} ? 200 : 404)`, type: T.number }
            : n === 'json'
              ? { code: required ? `${r}!` : r, type: ROLE, ...(required ? {} : { opt: true }) }
              : undefined,
      },
    };
  }
  if (path === '/groups') {
    plain();
    const extra = [...q.keys()].filter((k) => k !== 'search');
    if (extra.length) todo('module-args', `a group search by ${extra.join(', ')}`);
    const opts: [string, Code][] = common();
    if (q.has('search')) opts.push(['search', raw(str(q.get('search'), cx.scope).code)]);
    return { kind: 'task', fn: `${kc}.listGroups`, options: opts, result: listResult(NAMED) };
  }
  if (path === '/client-scopes') {
    plain();
    // Keycloak ignores `?name=` here and answers every scope: the playbook filters them itself.
    const extra = [...q.keys()].filter((k) => k !== 'name');
    if (extra.length) todo('module-args', `a client scope read by ${extra.join(', ')}`);
    if (q.has('name')) cx.note('GET client-scopes?name=: Keycloak ignores the parameter and lists every scope; so does keycloak.listClientScopes');
    return { kind: 'task', fn: `${kc}.listClientScopes`, options: common(), result: listResult(NAMED) };
  }
  return undefined;
}
