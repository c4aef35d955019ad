import KcAdminClient from '@keycloak/keycloak-admin-client';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, exec, has, secret, v } from './helpers.ts';

async function admin(password = secret('keycloak_admin_password')): Promise<KcAdminClient> {
  const kc = new KcAdminClient({ baseUrl: v('keycloak_url'), realmName: 'master' });
  await kc.auth({ username: v('keycloak_admin_user'), password, grantType: 'password', clientId: 'admin-cli' });
  return kc;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A tiny cookie jar for following the OIDC login by hand. */
class Jar {
  readonly cookies = new Map<string, string>();
  take(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      this.cookies.set(pair!.slice(0, i).trim(), pair!.slice(i + 1));
    }
  }
  header(): string {
    return [...this.cookies].map(([k, val]) => `${k}=${val}`).join('; ');
  }
}

describe.skipIf(!has('keycloak'))('sandbox: Keycloak', () => {
  it('answers the admin API with the generated admin credentials', async () => {
    const kc = await admin();
    const realms = await kc.realms.find();
    expect(realms.map((r) => r.realm)).toContain('master');
    const serverInfo = await kc.serverInfo.find();
    expect(serverInfo.systemInfo?.version).toBe(v('keycloak_version'));
  });

  it('refuses a wrong admin password', async () => {
    await expect(admin(`${secret('keycloak_admin_password')}-wrong`)).rejects.toThrow();
  });
});

describe.skipIf(!has('keycloak') || !has('redis') || !has('oauth2-proxy'))('sandbox: oauth2-proxy against a Keycloak realm with a Redis session store', () => {
  const realm = `sbx-o2p-${randomBytes(3).toString('hex')}`;
  const clientSecret = randomBytes(16).toString('hex');
  const userPassword = randomBytes(12).toString('hex');
  let port = 0;
  let proxy: ChildProcess | undefined;
  let log = '';
  const proxyUrl = () => `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    port = await freePort();
    const kc = await admin();
    await kc.realms.create({ realm, enabled: true });
    kc.setConfig({ realmName: realm });
    await kc.clients.create({
      clientId: 'oauth2-proxy',
      enabled: true,
      publicClient: false,
      secret: clientSecret,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      redirectUris: [`${proxyUrl()}/oauth2/callback`],
      protocolMappers: [
        {
          name: 'aud-oauth2-proxy',
          protocol: 'openid-connect',
          protocolMapper: 'oidc-audience-mapper',
          config: { 'included.client.audience': 'oauth2-proxy', 'id.token.claim': 'true', 'access.token.claim': 'true' },
        },
      ],
    });
    await kc.users.create({
      username: 'alice',
      email: 'alice@example.invalid',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Sandbox',
      enabled: true,
      credentials: [{ type: 'password', value: userPassword, temporary: false }],
    });
    // oauth2-proxy runs OIDC discovery at start-up, so the realm must exist first.
    proxy = spawn(v('oauth2_proxy_bin'), [
      `--http-address=127.0.0.1:${port}`,
      '--provider=keycloak-oidc',
      `--oidc-issuer-url=${v('keycloak_url')}/realms/${realm}`,
      '--client-id=oauth2-proxy',
      `--client-secret=${clientSecret}`,
      `--redirect-url=${proxyUrl()}/oauth2/callback`,
      '--code-challenge-method=S256',
      '--email-domain=*',
      `--cookie-secret=${randomBytes(16).toString('hex')}`,
      '--cookie-secure=false',
      '--session-store-type=redis',
      `--redis-connection-url=${v('redis_url')}`,
      '--upstream=static://200',
    ]);
    proxy.stdout?.on('data', (c) => (log += c));
    proxy.stderr?.on('data', (c) => (log += c));
    await eventually(
      'oauth2-proxy /ping',
      async () => {
        if (proxy?.exitCode !== null) throw new Error(`oauth2-proxy exited: ${log.slice(-2000)}`);
        return (await fetch(`${proxyUrl()}/ping`).catch(() => undefined))?.status === 200;
      },
      60_000,
    );
  });

  afterAll(async () => {
    proxy?.kill('SIGTERM');
    const kc = await admin();
    await kc.realms.del({ realm }).catch(() => {});
  });

  it('redirects /oauth2/start to the realm authorization endpoint', async () => {
    const res = await fetch(`${proxyUrl()}/oauth2/start?rd=%2F`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${v('keycloak_url')}/realms/${realm}/protocol/openid-connect/auth`);
    expect(location.searchParams.get('client_id')).toBe('oauth2-proxy');
    expect(location.searchParams.get('redirect_uri')).toBe(`${proxyUrl()}/oauth2/callback`);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('logs a user in through Keycloak and keeps the session in Redis', async () => {
    const before = await exec('redis-cli', ['-u', v('redis_url'), '--scan']);
    const proxyJar = new Jar();
    const kcJar = new Jar();
    // 1. oauth2-proxy sets its CSRF cookie and sends us to Keycloak.
    const start = await fetch(`${proxyUrl()}/oauth2/start?rd=%2F`, { redirect: 'manual' });
    proxyJar.take(start);
    // 2. Keycloak's login form.
    const form = await fetch(start.headers.get('location')!, { redirect: 'manual' });
    kcJar.take(form);
    const html = await form.text();
    const action = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(action, 'login form action').toBeTruthy();
    // 3. Post the credentials; Keycloak redirects back to the callback with a code.
    const login = await fetch(action!, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: kcJar.header() },
      body: new URLSearchParams({ username: 'alice', password: userPassword, credentialId: '' }),
    });
    expect(login.status).toBe(302);
    const callback = login.headers.get('location')!;
    expect(callback.startsWith(`${proxyUrl()}/oauth2/callback?`)).toBe(true);
    // 4. oauth2-proxy redeems the code, stores the session in Redis and sets its cookie.
    const done = await fetch(callback, { redirect: 'manual', headers: { cookie: proxyJar.header() } });
    expect(done.status, log.slice(-2000)).toBe(302);
    proxyJar.take(done);
    expect(proxyJar.cookies.get('_oauth2_proxy')).toBeTruthy();
    // 5. The session works, and it lives in Redis (a new key appeared).
    const me = await fetch(`${proxyUrl()}/oauth2/userinfo`, { headers: { cookie: proxyJar.header() } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { email: string }).email).toBe('alice@example.invalid');
    const after = await exec('redis-cli', ['-u', v('redis_url'), '--scan']);
    const newKeys = after.stdout.split('\n').filter((k) => k && !before.stdout.split('\n').includes(k));
    expect(newKeys.length).toBeGreaterThanOrEqual(1);
    // Without the cookie, the upstream is protected.
    expect((await fetch(`${proxyUrl()}/`, { redirect: 'manual' })).status).toBe(403);
  });
});
