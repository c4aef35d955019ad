import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineTask, noChange, type Secret, type Task, type TaskContext, TaskError } from 'helix';
import { launchBrowser } from 'helix/modules/browser';
import { fetchWithCa } from 'helix/modules/http';
import * as k8s from 'helix/modules/k8s';

const WHEEL_SCRIPT = fileURLToPath(new URL('./files/smoke-wheel.py', import.meta.url));

/** What the live checks need to know about the deployed DevPi. */
export interface LiveOptions {
  namespace: string;
  dashboardHost: string;
  apiHost: string;
  /** `root/<index>`. */
  indexPath: string;
  keycloakUrl: string;
  realm: string;
  clientId: string;
  cookieDomain: string;
  cookieSamesite: string;
  /** The session store: its Deployment's pods (label `app`) and the Secret with its password. */
  redis: { app: string; configSecret: string };
  /** A CA the hosts' certificates chain to besides the system's (the sandbox CA). */
  caFile?: string;
}

/** The properties the test proves; a failure names one of them first. */
export const PROPERTIES = {
  apiOpen: 'API host open',
  dashboardProtected: 'dashboard protected',
  redirectUri: 'client redirect URI',
  login: 'login',
  cookieFlags: 'cookie flags',
  sessionStore: 'session store',
  anonymousUpload: 'anonymous upload refused',
  packageRoundTrip: 'package round trip',
} as const;

type Property = (typeof PROPERTIES)[keyof typeof PROPERTIES];

function failer(ctx: TaskContext) {
  return (property: Property, what: string): never => {
    throw new TaskError(ctx.path, `${property}: ${what}`);
  };
}

/** `fetch` that trusts the system's CAs and `caFile`, and follows no redirect. */
function httpsClient(caFile: string | undefined) {
  const f = fetchWithCa(caFile ? [caFile] : []);
  return async (url: string, init: RequestInit = {}) => {
    const res = await f(url, { ...init, redirect: 'manual' });
    return { status: res.status, headers: res.headers, body: await res.text() };
  };
}

/**
 * The dashboard and the API host as a user meets them, through the real ingress with TLS
 * verified: the API host answers without a login and sets no session cookie; a real browser
 * (Chromium) sent to the dashboard lands on Keycloak's login page for the right client and
 * redirect URI, logs in there as the test user, and reaches devpi-web; the cookie the browser
 * keeps has the configured Domain, Secure and SameSite; the session is in the Redis pod.
 * Reads only (the login creates a session, which expires).
 */
export function dashboardCheck(name: string, o: LiveOptions & { user: { username: string; password: Secret; target: string } }): Task<string[]> {
  return defineTask<string[]>({
    kind: 'devpi.dashboardCheck',
    name,
    plan: async (ctx) => {
      const fail = failer(ctx);
      const get = httpsClient(o.caFile);
      const api = `https://${o.apiHost}`;
      const dash = `https://${o.dashboardHost}`;
      const passed: string[] = [];

      // The API host: open, links on itself, no session cookie.
      const apiRes = await get(`${api}/+api`, { headers: { accept: 'application/json' } }).catch((e: Error) =>
        fail(PROPERTIES.apiOpen, `GET ${api}/+api: ${e.cause ?? e.message}`),
      );
      if (apiRes.status !== 200) fail(PROPERTIES.apiOpen, `GET ${api}/+api answered ${apiRes.status}, expected 200 without login`);
      const login = (JSON.parse(apiRes.body) as { result?: { login?: string } }).result?.login;
      if (!login?.startsWith(`${api}/`)) fail(PROPERTIES.apiOpen, `/+api links to ${login}, expected ${api}/…`);
      const simple = await get(`${api}/${o.indexPath}/+simple/`);
      if (simple.status !== 200) fail(PROPERTIES.apiOpen, `${o.indexPath}/+simple/ answered ${simple.status}`);
      if ((apiRes.headers.get('set-cookie') ?? '').includes('_oauth2_proxy') || (simple.headers.get('set-cookie') ?? '').includes('_oauth2_proxy')) {
        fail(PROPERTIES.apiOpen, 'the API host set an oauth2-proxy cookie: it must not be behind the proxy');
      }
      passed.push(`API host answers /+api and ${o.indexPath}/+simple/ without login, links on ${api}`);

      const redisBefore = ctx.plannedCreate(o.user.target) ? [] : await sessionKeys(ctx, o);
      const browser = await launchBrowser({ caFiles: o.caFile ? [o.caFile] : [] });
      try {
        const page = await (await browser.newContext()).newPage();
        const authPrefix = `${o.keycloakUrl}/realms/${encodeURIComponent(o.realm)}/protocol/openid-connect/auth`;
        const anon = await page
          .goto(`${dash}/`, { waitUntil: 'load', timeout: 60_000 })
          .catch((e: Error) => fail(PROPERTIES.dashboardProtected, `opening ${dash}/: ${e.message.split('\n')[0]}`));
        const landed = page.url();
        if (!landed.startsWith(authPrefix)) {
          fail(
            PROPERTIES.dashboardProtected,
            `an anonymous browser opening ${dash}/ ended on ${landed.split('?')[0]} (${anon?.status()}), not on Keycloak's login (${authPrefix})`,
          );
        }
        const q = new URL(landed).searchParams;
        if (q.get('client_id') !== o.clientId) fail(PROPERTIES.redirectUri, `the login request names client ${q.get('client_id')}, expected ${o.clientId}`);
        if (q.get('redirect_uri') !== `${dash}/oauth2/callback`)
          fail(PROPERTIES.redirectUri, `the login request names redirect URI ${q.get('redirect_uri')}, expected ${dash}/oauth2/callback`);
        if (q.get('code_challenge_method') !== 'S256') fail(PROPERTIES.redirectUri, 'the login request does not use PKCE S256');
        passed.push(`an anonymous browser is sent to Keycloak (client ${o.clientId}, redirect ${dash}/oauth2/callback, PKCE S256)`);
        if (ctx.plannedCreate(o.user.target)) {
          // A check run: the test user exists only once the real run creates it.
          passed.push(`the login as ${o.user.username}, the cookie and the session store are checked by the real run (the user is created by it)`);
          return noChange(passed.join('; '), passed);
        }

        await page.fill('#username', o.user.username);
        await page.fill('#password', o.user.password.reveal());
        await Promise.all([page.waitForURL((u) => u.origin === dash, { timeout: 60_000 }).catch(() => undefined), page.click('#kc-login')]);
        if (new URL(page.url()).origin !== dash) {
          const error = await page
            .locator('#input-error, .kc-feedback-text, .pf-m-danger')
            .first()
            .textContent({ timeout: 2000 })
            .catch(() => null);
          fail(PROPERTIES.login, `after submitting Keycloak's form the browser is on ${page.url().split('?')[0]}${error ? ` (${error.trim()})` : ''}`);
        }
        await page.waitForLoadState('load');
        const title = await page.title();
        const html = await page.content();
        if (!/devpi/i.test(title + html)) fail(PROPERTIES.login, `after the login ${page.url()} shows "${title}", not devpi-web`);
        passed.push(`logged in through Keycloak's form; the browser shows devpi-web ("${title}")`);

        // The session oauth2-proxy made for this login is in the Redis pod.
        const redisAfter = await sessionKeys(ctx, o);
        const added = redisAfter.filter((k) => !redisBefore.includes(k));
        if (added.length === 0) fail(PROPERTIES.sessionStore, `no new key in Redis (${o.namespace}/${o.redis.app}) after the login`);
        passed.push(`the login's session is in the Redis pod (${added.length} new key${added.length > 1 ? 's' : ''})`);

        const cookie =
          (await page.context().cookies(dash)).find((c) => c.name === '_oauth2_proxy') ??
          fail(PROPERTIES.cookieFlags, `the browser keeps no _oauth2_proxy cookie for ${dash}`);
        if (cookie.domain.replace(/^\./, '') !== o.cookieDomain)
          fail(PROPERTIES.cookieFlags, `session cookie Domain is ${cookie.domain}, expected ${o.cookieDomain}`);
        if (!cookie.secure) fail(PROPERTIES.cookieFlags, 'session cookie is not Secure');
        if (cookie.sameSite.toLowerCase() !== o.cookieSamesite)
          fail(PROPERTIES.cookieFlags, `session cookie SameSite is ${cookie.sameSite}, expected ${o.cookieSamesite}`);
        passed.push(`session cookie Domain=${cookie.domain} Secure SameSite=${cookie.sameSite}`);
      } finally {
        await browser.close();
      }
      return noChange(passed.join('; '), passed);
    },
  });
}

/** Keys of the session store, read with redis-cli in its pod (the password on stdin). */
async function sessionKeys(ctx: TaskContext, o: LiveOptions): Promise<string[]> {
  const fail = failer(ctx);
  const client = k8s.k8sClient(ctx);
  const pods = await client.list('v1', 'Pod', { namespace: o.namespace, labelSelector: `app=${o.redis.app}` }, ctx.signal);
  const pod = pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
  if (!pod) return fail(PROPERTIES.sessionStore, `no running Redis pod (app=${o.redis.app}) in ${o.namespace}`);
  const secret = await client.get({ apiVersion: 'v1', kind: 'Secret', namespace: o.namespace, name: o.redis.configSecret }, ctx.signal);
  const encoded = (secret?.data as Record<string, string> | undefined)?.password;
  if (!encoded) return fail(PROPERTIES.sessionStore, `Secret ${o.namespace}/${o.redis.configSecret} has no password`);
  const password = Buffer.from(encoded, 'base64').toString('utf8');
  const r = await k8s.execInPod(ctx.env.kubernetes, {
    namespace: o.namespace,
    pod: String(pod.metadata.name),
    container: 'redis',
    command: ['redis-cli', '--no-raw'],
    stdin: `AUTH ${password}\nKEYS *\n`,
  });
  const lines = r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  if (r.code !== 0 || lines[0] !== 'OK')
    fail(PROPERTIES.sessionStore, `redis-cli in ${pod.metadata.name} could not log in (${r.code}): ${(lines[0] ?? r.stderr).slice(0, 120)}`);
  return lines
    .slice(1)
    .filter((l) => l !== '(empty array)' && l !== '(empty list or set)')
    .map((l) => l.replace(/^\d+\)\s*/, '').replace(/^"|"$/g, ''));
}

/**
 * A package round trip through the API host, as a user does it: an anonymous upload to the
 * index is refused; root logs in, makes a throwaway volatile index beside it
 * (`root/helix-test-<time>`), uploads a freshly built wheel there, pip (TLS verified)
 * downloads it with the same sha256 and installs it into a fresh venv; then the throwaway
 * index is deleted, whatever happened. The real index is never written to. This writes to
 * devpi, so it is a change (planned in `--check`, made in the real run).
 */
export function packageRoundTrip(name: string, o: LiveOptions & { rootPassword: Secret; python?: string }): Task<string> {
  const pkg = 'helix-devpi-smoke';
  return defineTask<string>({
    kind: 'devpi.packageRoundTrip',
    name,
    plan: async (ctx) => ({
      changes: [
        { target: 'devpi:root/helix-test-*', action: 'create', summary: `make a throwaway index, upload ${pkg}, install it with pip, delete the index` },
      ],
      apply: async () => roundTrip(ctx.path),
    }),
  });

  async function roundTrip(path: string): Promise<string> {
    const fail = (property: Property, what: string): never => {
      throw new TaskError(path, `${property}: ${what}`);
    };
    const get = httpsClient(o.caFile);
    const api = `https://${o.apiHost}`;
    const python = o.python ?? 'python3';
    const work = mkdtempSync(join(tmpdir(), 'helix-devpi-test-'));
    const version = `0.0.${Date.now()}`;
    const scratch = `root/helix-test-${Date.now().toString(36)}`;
    let auth: string | undefined;
    try {
      mkdirSync(join(work, 'dist'));
      const made = await run(python, [WHEEL_SCRIPT, pkg, version, join(work, 'dist')]);
      if (made.code !== 0) fail(PROPERTIES.packageRoundTrip, `building the test wheel failed: ${made.stderr}`);
      const wheel = made.stdout.trim();
      const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');

      // An anonymous upload to the real index, without the file: devpi checks the permission
      // first (401/403); where anonymous uploads are allowed it gets as far as the missing file
      // (400), so nothing is ever stored in the real index.
      const probe = new FormData();
      for (const [k, val] of Object.entries({ ':action': 'file_upload', name: pkg, version, protocol_version: '1', filetype: 'bdist_wheel', pyversion: 'py3' }))
        probe.set(k, val);
      const anon = await get(`${api}/${o.indexPath}/`, { method: 'POST', body: probe, headers: { accept: 'application/json' } });
      if (anon.status !== 401 && anon.status !== 403)
        fail(PROPERTIES.anonymousUpload, `an anonymous upload to ${o.indexPath} got past the permission check (${anon.status}), expected 401 or 403`);

      const login = await get(`${api}/+login`, {
        method: 'POST',
        body: JSON.stringify({ user: 'root', password: o.rootPassword.reveal() }),
        headers: { 'content-type': 'application/json', accept: 'application/json' },
      });
      if (login.status !== 200) fail(PROPERTIES.packageRoundTrip, `devpi login as root answered ${login.status}`);
      const token = (JSON.parse(login.body) as { result: { password: string } }).result.password;
      const a = Buffer.from(`root:${token}`).toString('base64');
      const made2 = await get(`${api}/${scratch}`, {
        method: 'PUT',
        body: JSON.stringify({ type: 'stage', bases: [], volatile: true }),
        headers: { 'x-devpi-auth': a, 'content-type': 'application/json', accept: 'application/json' },
      });
      if (made2.status !== 200 && made2.status !== 201)
        fail(PROPERTIES.packageRoundTrip, `creating ${scratch} answered ${made2.status}: ${made2.body.slice(0, 200)}`);
      auth = a;
      const up = await get(`${api}/${scratch}/`, {
        method: 'POST',
        body: uploadForm(pkg, version, wheel),
        headers: { 'x-devpi-auth': auth, accept: 'application/json' },
      });
      if (up.status !== 200) fail(PROPERTIES.packageRoundTrip, `upload as root to ${scratch} answered ${up.status}: ${up.body.slice(0, 200)}`);

      const index = `${api}/${scratch}/+simple/`;
      const cert = o.caFile ? ['--cert', o.caFile] : [];
      // requests (inside pip) prefers REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE to --cert when they are set: name the CA there too.
      const pipEnv: Record<string, string> = o.caFile ? { REQUESTS_CA_BUNDLE: o.caFile, CURL_CA_BUNDLE: o.caFile, PIP_CERT: o.caFile } : {};
      const dl = join(work, 'download');
      const got = await run(
        python,
        [
          '-m',
          'pip',
          'download',
          '--disable-pip-version-check',
          '--no-deps',
          '--no-cache-dir',
          ...cert,
          '--index-url',
          index,
          '--dest',
          dl,
          `${pkg}==${version}`,
        ],
        pipEnv,
      );
      if (got.code !== 0) fail(PROPERTIES.packageRoundTrip, `pip download through ${o.apiHost} failed: ${got.stderr.slice(-400)}`);
      const file = readdirSync(dl)[0];
      const gotSha = file
        ? createHash('sha256')
            .update(readFileSync(join(dl, file)))
            .digest('hex')
        : '';
      if (gotSha !== sha) fail(PROPERTIES.packageRoundTrip, `pip downloaded a file with sha256 ${gotSha}, uploaded ${sha}`);
      const venv = join(work, 'venv');
      const mk = await run(python, ['-m', 'venv', venv]);
      if (mk.code !== 0) fail(PROPERTIES.packageRoundTrip, `creating a venv failed: ${mk.stderr}`);
      const inst = await run(
        join(venv, 'bin', 'python'),
        ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-cache-dir', ...cert, '--index-url', index, `${pkg}==${version}`],
        pipEnv,
      );
      if (inst.code !== 0) fail(PROPERTIES.packageRoundTrip, `pip install through ${o.apiHost} failed: ${inst.stderr.slice(-400)}`);
      const imported = await run(join(venv, 'bin', 'python'), ['-c', `import ${pkg.replace(/-/g, '_')} as m; print(m.VERSION)`]);
      if (imported.stdout.trim() !== version) fail(PROPERTIES.packageRoundTrip, `the installed package reports ${imported.stdout.trim()}, expected ${version}`);
      return `anonymous upload to ${o.indexPath} refused; as root, uploaded ${pkg} ${version} to ${scratch}, pip downloaded it (sha256 ${sha.slice(0, 16)}…) and installed it; ${scratch} deleted`;
    } finally {
      rmSync(work, { recursive: true, force: true });
      if (auth) {
        // Never leave the throwaway index behind silently.
        const del = await get(`${api}/${scratch}`, { method: 'DELETE', headers: { 'x-devpi-auth': auth, accept: 'application/json' } }).catch(() => undefined);
        const left = await get(`${api}/${scratch}`, { headers: { accept: 'application/json' } }).catch(() => undefined);
        if (!del || del.status < 200 || del.status > 204 || left?.status !== 404) {
          // biome-ignore lint/correctness/noUnsafeFinally: a cleanup failure must fail the task
          throw new TaskError(
            path,
            `${PROPERTIES.packageRoundTrip}: could not delete ${scratch} (DELETE answered ${del?.status ?? 'nothing'}, then GET ${left?.status ?? 'nothing'})`,
          );
        }
      }
    }
  }
}

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 180_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function uploadForm(pkg: string, version: string, wheel: string): FormData {
  const data = readFileSync(wheel);
  const form = new FormData();
  form.set(':action', 'file_upload');
  form.set('name', pkg);
  form.set('version', version);
  form.set('protocol_version', '1');
  form.set('filetype', 'bdist_wheel');
  form.set('pyversion', 'py3');
  form.set('metadata_version', '2.1');
  form.set('sha256_digest', createHash('sha256').update(data).digest('hex'));
  form.set('content', new Blob([data]), wheel.split('/').pop()!);
  return form;
}
