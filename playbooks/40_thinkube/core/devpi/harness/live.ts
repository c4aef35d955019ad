import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineTask, noChange, type Secret, TaskError, type Task } from '../../../../../src/index.ts';
import { Browser } from './browser.ts';
import { LoginError, scriptedLogin } from './login.ts';
import { redisCommand, runToEnd } from './processes.ts';
import { type StackOptions, startStack } from './stack.ts';

const WHEEL_SCRIPT = fileURLToPath(new URL('./wheel.py', import.meta.url));

export interface LiveCheckOptions extends StackOptions {
  dashboardHost: string;
  apiHost: string;
  indexPath: string;
  keycloakUrl: string;
  realm: string;
  clientId: string;
  cookieDomain: string;
  cookieSamesite: string;
  /** The test user the 88 playbook created for this run. */
  user: { username: string; password: Secret };
  rootPassword: Secret;
  /**
   * `local`: run the stack here from the applied objects (pods do not run: the sandbox).
   * `real`: talk to the real hosts (DNS, TLS verified); the session store is then not
   * inspected (it is not reachable from outside the cluster), which the report says.
   */
  mode: 'local' | 'real';
}

/**
 * The proof that helix's configuration works with the real software: with Redis,
 * devpi-server and oauth2-proxy running as configured by the cluster objects (see stack.ts),
 * and the real Keycloak, it checks (and fails naming the first thing that is wrong):
 * 1. the API host answers `/+api` without login, with links on the API host over https, and
 *    serves the index's simple page without setting a session cookie;
 * 2. the dashboard host sends an anonymous browser to Keycloak (a 200 is a failure), with
 *    the right client and redirect URI, PKCE S256;
 * 3. a scripted login through Keycloak's form and oauth2-proxy's callback gives a session
 *    cookie with the configured domain, Secure and SameSite, the dashboard answers 200 with
 *    devpi-web's page, and the session is in Redis;
 * 4. a freshly built wheel uploaded as root to `root/<index>` is listed, downloaded by pip
 *    with the same sha256, and installed by pip into a fresh venv.
 * It changes nothing in the cluster; the local processes and files are removed afterwards.
 */
export function liveCheck(name: string, o: LiveCheckOptions): Task<string[]> {
  return defineTask<string[]>({
    kind: 'devpi.liveCheck',
    name,
    plan: async (ctx) => {
      const stack =
        o.mode === 'local'
          ? await startStack(ctx, o)
          : realStack(o.apiHost);
      const passed: string[] = [];
      const fail = (what: string): never => {
        throw new TaskError(ctx.path, what);
      };
      try {
        const b = new Browser(stack.routes);
        const api = `https://${o.apiHost}`;
        const dash = `https://${o.dashboardHost}`;

        // 1. API host: open, correct links, no session cookie.
        const apiRes = await b.request('GET', `${api}/+api`, { headers: { accept: 'application/json' } });
        if (apiRes.status !== 200) fail(`API host: GET /+api answered ${apiRes.status}, expected 200 without login`);
        const apiJson = JSON.parse(apiRes.body) as { result?: { login?: string; index?: string } };
        if (!apiJson.result?.login?.startsWith(`${api}/`)) fail(`API host: /+api links to ${apiJson.result?.login}, expected ${api}/…`);
        const simple = await b.request('GET', `${api}/${o.indexPath}/+simple/`);
        if (simple.status !== 200) fail(`API host: ${o.indexPath}/+simple/ answered ${simple.status}`);
        if (b.setCookies.has('_oauth2_proxy')) fail('API host set an oauth2-proxy cookie: it must not be behind the proxy');
        passed.push(`API host answers /+api without login (links on ${api}) and serves ${o.indexPath}/+simple/`);

        // 2 + 3. Dashboard: anonymous → Keycloak; real login; session in Redis.
        const redis = stack.redis;
        const before = redis ? Number(await redisCommand(redis.port, ['DBSIZE'], redis.password)) : 0;
        const authPrefix = `${o.keycloakUrl}/realms/${o.realm}/protocol/openid-connect/auth`;
        let login;
        try {
          login = await scriptedLogin({
            browser: b,
            dashboardUrl: `${dash}/`,
            keycloakAuthPrefix: authPrefix,
            clientId: o.clientId,
            redirectUri: `${dash}/oauth2/callback`,
            username: o.user.username,
            password: o.user.password.reveal(),
          });
        } catch (error) {
          if (error instanceof LoginError) fail(`dashboard: ${error.message}`);
          throw error;
        }
        passed.push(`dashboard sends an anonymous browser to Keycloak (${login.anonymous.map((h) => h.status).join(' → ')} → ${authPrefix})`);
        const c = login.sessionCookie;
        if (c.attributes.domain !== o.cookieDomain && c.attributes.domain !== `.${o.cookieDomain}`) fail(`session cookie Domain is ${String(c.attributes.domain)}, expected ${o.cookieDomain}`);
        if (c.attributes.secure !== true) fail('session cookie is not Secure');
        if (String(c.attributes.samesite).toLowerCase() !== o.cookieSamesite) fail(`session cookie SameSite is ${String(c.attributes.samesite)}, expected ${o.cookieSamesite}`);
        if (login.afterLogin.status !== 200) fail(`dashboard with a session answered ${login.afterLogin.status}, expected 200`);
        if (!/devpi/i.test(login.afterLogin.body)) fail('dashboard with a session did not serve devpi-web');
        let sessions = 'session store not inspected (not reachable from here)';
        if (redis) {
          const keys = (await redisCommand(redis.port, ['KEYS', '*'], redis.password)).split('\n').filter(Boolean);
          if (Number(await redisCommand(redis.port, ['DBSIZE'], redis.password)) <= before || keys.length === 0) fail('no session was stored in Redis after the login');
          sessions = `${keys.length} session key(s) in Redis`;
        }
        passed.push(`scripted login through Keycloak and oauth2-proxy: cookie Domain=${o.cookieDomain} Secure SameSite=${o.cookieSamesite}, dashboard 200, ${sessions}`);

        // 4. Package round trip.
        const work = join(stack.dir, 'pkg');
        mkdirSync(work, { recursive: true });
        const pkg = 'helix-devpi-smoke';
        const version = `0.0.${Date.now()}`;
        const made = await runToEnd('python3', [WHEEL_SCRIPT, pkg, version, work]);
        if (made.code !== 0) fail(`building the test wheel failed: ${made.stderr}`);
        const wheel = made.stdout.trim();
        const sha = createHash('sha256').update(readFileSync(wheel)).digest('hex');
        const loginRes = await b.request('POST', `${api}/+login`, {
          body: JSON.stringify({ user: 'root', password: o.rootPassword.reveal() }),
          headers: { 'content-type': 'application/json', accept: 'application/json' },
        });
        if (loginRes.status !== 200) fail(`devpi login as root answered ${loginRes.status}`);
        const token = (JSON.parse(loginRes.body) as { result: { password: string } }).result.password;
        const auth = Buffer.from(`root:${token}`).toString('base64');
        const anon = await b.request('POST', `${api}/root/${o.indexPath.split('/')[1]}/`, { body: uploadForm(pkg, version, wheel), headers: { accept: 'application/json' } });
        if (anon.status !== 401 && anon.status !== 403) fail(`anonymous upload answered ${anon.status}, expected 401/403`);
        const up = await b.request('POST', `${api}/${o.indexPath}/`, { body: uploadForm(pkg, version, wheel), headers: { 'x-devpi-auth': auth, accept: 'application/json' } });
        if (up.status !== 200) fail(`upload as root answered ${up.status}: ${up.body.slice(0, 200)}`);
        const listed = await b.request('GET', `${api}/${o.indexPath}/${pkg}`, { headers: { accept: 'application/json' } });
        if (listed.status !== 200 || !listed.body.includes(version)) fail(`${pkg} ${version} is not listed after the upload`);
        // Locally pip talks to devpi-server directly (the API host's Ingress only adds X-Outside-URL).
        const index = `${stack.devpi.url}/${o.indexPath}/+simple/`;
        const dl = join(work, 'download');
        const got = await runToEnd('python3', ['-m', 'pip', 'download', '--disable-pip-version-check', '--no-deps', '--no-cache-dir', '--index-url', index, '--dest', dl, `${pkg}==${version}`], { timeoutMs: 180_000 });
        if (got.code !== 0) fail(`pip download failed: ${got.stderr.slice(-400)}`);
        const file = readdirSync(dl)[0];
        const gotSha = file ? createHash('sha256').update(readFileSync(join(dl, file))).digest('hex') : '';
        if (gotSha !== sha) fail(`pip downloaded a file with sha256 ${gotSha}, uploaded ${sha}`);
        const venv = join(work, 'venv');
        const mk = await runToEnd('python3', ['-m', 'venv', venv]);
        if (mk.code !== 0) fail(`creating a venv failed: ${mk.stderr}`);
        const inst = await runToEnd(join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-cache-dir', '--index-url', index, `${pkg}==${version}`], { timeoutMs: 180_000 });
        if (inst.code !== 0) fail(`pip install failed: ${inst.stderr.slice(-400)}`);
        const imported = await runToEnd(join(venv, 'bin', 'python'), ['-c', `import ${pkg.replace(/-/g, '_')} as m; print(m.VERSION)`]);
        if (imported.stdout.trim() !== version) fail(`installed package reports ${imported.stdout.trim()}, expected ${version}`);
        passed.push(`uploaded ${pkg} ${version} as root (anonymous upload refused), pip downloaded it with sha256 ${sha.slice(0, 16)}… and installed it`);
        return noChange(passed.join('; '), passed);
      } finally {
        // Stops what the stack started and removes its folder.
        await stack.stop();
      }
    },
  });
}

/**
 * The "stack" of a real environment: nothing to start (the routes are DNS, devpi is the API
 * host), only a scratch folder, removed on stop like the local stack's.
 */
function realStack(apiHost: string) {
  const dir = mkdtempSync(join(tmpdir(), 'helix-devpi-test-'));
  return { dir, routes: {}, redis: undefined, devpi: { url: `https://${apiHost}` }, stop: async () => rmSync(dir, { recursive: true, force: true }) };
}

function uploadForm(pkg: string, version: string, wheel: string): FormData {
  const form = new FormData();
  form.set(':action', 'file_upload');
  form.set('name', pkg);
  form.set('version', version);
  form.set('protocol_version', '1');
  form.set('filetype', 'bdist_wheel');
  form.set('pyversion', 'py3');
  form.set('metadata_version', '2.1');
  form.set('sha256_digest', createHash('sha256').update(readFileSync(wheel)).digest('hex'));
  form.set('content', new Blob([readFileSync(wheel)]), wheel.split('/').pop()!);
  return form;
}

/** A throwaway realm user's password for one test run. */
export function testPassword(): string {
  return `${randomBytes(18).toString('base64url')}Aa1!`;
}
