import KcAdminClient from '@keycloak/keycloak-admin-client';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as keycloak from '../../../src/modules/keycloak/index.ts';
import { closeMemo } from '../../../src/runtime/run.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import type { Task } from '../../../src/runtime/task.ts';
import { runSteps } from '../../support/engine.ts';
import { sandboxKeycloakAdmin } from '../../support/sandbox-targets.ts';
import { has } from '../sandbox/helpers.ts';

/**
 * The Keycloak module against the sandbox's real Keycloak: create → nothing to do → drift
 * made by hand is detected, predicted exactly by a check run and corrected → delete by
 * internal id; a real token carries the audience the mapper adds.
 */
describe.skipIf(!has('keycloak'))('keycloak module on the real Keycloak', () => {
  const realmName = `helix-it-${randomBytes(3).toString('hex')}`;
  const clientId = 'oauth2-proxy-devpi';
  const userPassword = new Secret(randomBytes(12).toString('hex'), 'test');
  let admin: keycloak.KeycloakAdmin;
  let kc: KcAdminClient;

  const realm = () => keycloak.realm('realm', { admin, realm: realmName, displayName: 'helix integration' });
  const client = (over: Partial<keycloak.ClientSpec> = {}) =>
    keycloak.client('client', {
      admin,
      realm: realmName,
      clientId,
      redirectUris: ['https://packages.example.com/oauth2/callback'],
      webOrigins: ['+'],
      pkce: 'S256',
      directAccessGrantsEnabled: true, // only so the test can get a token without a browser
      attributes: { 'post.logout.redirect.uris': '+' },
      ...over,
    });
  const audience = () => keycloak.audienceMapper('audience', { admin, realm: realmName, clientId });
  const groups = () => keycloak.groupMembershipMapper('groups-mapper', { admin, realm: realmName, clientId });
  const role = () => keycloak.realmRole('role', { admin, realm: realmName, role: 'devpi-admin', description: 'may administer devpi' });
  const group = () => keycloak.group('group', { admin, realm: realmName, group: 'devpi-admins', realmRoles: ['devpi-admin'] });
  const user = () =>
    keycloak.user('user', { admin, realm: realmName, username: 'alice', email: 'alice@example.com', password: userPassword, groups: ['devpi-admins'] });
  const all = (): Task<any>[] => [realm(), role(), group(), client(), audience(), groups(), user()];
  const run = (steps: Task<any>[], mode: 'apply' | 'check' = 'apply') => runSteps(steps, { mode });

  beforeAll(async () => {
    admin = sandboxKeycloakAdmin();
    kc = new KcAdminClient({ baseUrl: admin.url, realmName: 'master' });
    await kc.auth({ username: admin.username, password: admin.password.reveal(), grantType: 'password', clientId: 'admin-cli' });
  });

  afterAll(async () => {
    await kc?.realms.del({ realm: realmName }).catch(() => undefined);
  });

  it('a check run predicts the first run exactly; the first run converges; the second plans nothing', async () => {
    const check = await run(all(), 'check');
    expect(check.failures).toEqual([]);
    expect(await kc.realms.findOne({ realm: realmName })).toBeFalsy();
    const first = await run(all());
    expect(first.failures).toEqual([]);
    expect(first.keys).toEqual(check.keys);
    expect(first.keys).toEqual([
      `create keycloak:${realmName}/client/${clientId}`,
      `create keycloak:${realmName}/client/${clientId}/mapper/audience-mapper`,
      `create keycloak:${realmName}/client/${clientId}/mapper/groups`,
      `create keycloak:${realmName}/group/devpi-admins`,
      `create keycloak:${realmName}/role/devpi-admin`,
      `create keycloak:${realmName}/user/alice`,
      `create keycloak:realm/${realmName}`,
    ]);
    const second = await run(all());
    expect(second.failures).toEqual([]);
    expect(second.keys).toEqual([]);
  });

  it('issues tokens whose aud contains the client id (audience mapper) and whose groups claim is set', async () => {
    const s = keycloak.clientSecret('secret', { admin, realm: realmName, clientId });
    const r = await run([s]);
    expect(r.keys).toEqual([]);
    const clientSecret = r.result(s)!;
    expect(clientSecret).toBeInstanceOf(Secret);
    expect(JSON.stringify(r.events)).not.toContain(clientSecret.reveal());
    const res = await fetch(`${admin.url}/realms/${realmName}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: clientId,
        client_secret: clientSecret.reveal(),
        username: 'alice',
        password: userPassword.reveal(),
        scope: 'openid',
      }),
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const claims = JSON.parse(Buffer.from(access_token.split('.')[1]!, 'base64url').toString()) as { aud: string | string[]; groups?: string[] };
    expect([claims.aud].flat()).toContain(clientId);
    expect(claims.groups).toEqual(['devpi-admins']);
  });

  it('detects drift made through the admin API, a check predicts the fix exactly, and the run corrects it', async () => {
    const [live] = await kc.clients.find({ realm: realmName, clientId });
    await kc.clients.update({ realm: realmName, id: live!.id! }, { ...live, redirectUris: ['https://devpi.example.com/oauth2/callback'] });
    const mappers = await kc.clients.listProtocolMappers({ realm: realmName, id: live!.id! });
    const aud = mappers.find((m) => m.name === 'audience-mapper')!;
    await kc.clients.updateProtocolMapper(
      { realm: realmName, id: live!.id!, mapperId: aud.id! },
      { ...aud, config: { ...aud.config, 'included.client.audience': 'someone-else' } },
    );

    const check = await run(all(), 'check');
    expect(check.keys).toEqual([`update keycloak:${realmName}/client/${clientId}`, `update keycloak:${realmName}/client/${clientId}/mapper/audience-mapper`]);
    const changed = check.events.flatMap((e) => (e.type === 'task.changed' ? e.changes : []));
    expect(changed.map((c) => c.summary)).toEqual([
      `update Keycloak client ${clientId} in realm ${realmName}: redirectUris`,
      `update protocol mapper audience-mapper of Keycloak client ${clientId} in realm ${realmName}: config.included.client.audience`,
    ]);
    const fix = await run(all());
    expect(fix.failures).toEqual([]);
    expect(fix.keys).toEqual(check.keys);
    const [after] = await kc.clients.find({ realm: realmName, clientId });
    expect(after!.id).toBe(live!.id); // updated in place, not recreated
    expect(after!.redirectUris).toEqual(['https://packages.example.com/oauth2/callback']);
    expect((await run(all())).keys).toEqual([]);
  });

  it('resets a password changed behind its back, naming the field and never showing it', async () => {
    const [alice] = await kc.users.find({ realm: realmName, username: 'alice', exact: true });
    await kc.users.resetPassword({ realm: realmName, id: alice!.id!, credential: { type: 'password', value: 'changed-by-hand-1', temporary: false } });
    const r = await run([user()]);
    expect(r.keys).toEqual([`update keycloak:${realmName}/user/alice`]);
    const text = JSON.stringify(r.events);
    expect(text).toContain('password (secret, value hidden)');
    expect(text).not.toContain(userPassword.reveal());
    expect((await run([user()])).keys).toEqual([]);
  });

  it('deletes the client by its internal id in its realm; a second delete has nothing to do', async () => {
    const [live] = await kc.clients.find({ realm: realmName, clientId });
    const gone = keycloak.client('client', { admin, realm: realmName, clientId, state: 'absent' });
    const check = await run([gone], 'check');
    const r = await run([gone]);
    expect(r.failures).toEqual([]);
    expect(r.keys).toEqual(check.keys);
    expect(r.keys).toEqual([`delete keycloak:${realmName}/client/${clientId}`]);
    expect(await kc.clients.findOne({ realm: realmName, id: live!.id! }).catch(() => undefined)).toBeFalsy();
    expect(await kc.clients.find({ realm: realmName, clientId })).toEqual([]);
    const again = await run([gone]);
    expect(again.keys).toEqual([]);
    expect(again.events.some((e) => e.type === 'task.ok' && /already absent/.test(e.reason))).toBe(true);
  });

  it('reports a wrong admin password as a target error without the password', async () => {
    const wrong = { ...admin, password: new Secret('not-the-admin-password-42', 'test') };
    const r = await run([keycloak.realm('realm', { admin: wrong, realm: realmName })]);
    expect(r.failures.join()).toMatch(/admin login as .*: HTTP 40[01].*check the admin user and password/);
    expect(JSON.stringify(r.events)).not.toContain('not-the-admin-password-42');
  });

  it('removes the realm', async () => {
    const r = await run([keycloak.realm('realm', { admin, realm: realmName, state: 'absent' })]);
    expect(r.keys).toEqual([`delete keycloak:realm/${realmName}`]);
    expect(await kc.realms.findOne({ realm: realmName })).toBeFalsy();
  });
});

describe.skipIf(!has('keycloak'))('keycloak admin session', () => {
  const realmName = `helix-tok-${randomBytes(3).toString('hex')}`;
  const password = new Secret(randomBytes(12).toString('hex'), 'test');
  let kc: KcAdminClient;
  let master: keycloak.KeycloakAdmin;

  beforeAll(async () => {
    master = sandboxKeycloakAdmin();
    kc = new KcAdminClient({ baseUrl: master.url, realmName: 'master' });
    await kc.auth({ username: master.username, password: master.password.reveal(), grantType: 'password', clientId: 'admin-cli' });
    // A realm whose tokens expire fast, administered by one of its own users.
    const setup = await runSteps([
      keycloak.realm('realm', { admin: master, realm: realmName, settings: { accessTokenLifespan: 7, ssoSessionIdleTimeout: 20, ssoSessionMaxLifespan: 20 } }),
      keycloak.user('ops', { admin: master, realm: realmName, username: 'ops', email: 'ops@example.com', password }),
    ]);
    expect(setup.failures).toEqual([]);
    const [rm] = await kc.clients.find({ realm: realmName, clientId: 'realm-management' });
    const role = await kc.clients.findRole({ realm: realmName, id: rm!.id!, roleName: 'realm-admin' });
    const [ops] = await kc.users.find({ realm: realmName, username: 'ops', exact: true });
    await kc.users.addClientRoleMappings({ realm: realmName, id: ops!.id!, clientUniqueId: rm!.id!, roles: [{ id: role!.id!, name: role!.name! }] });
  });

  afterAll(async () => {
    await kc?.realms.del({ realm: realmName }).catch(() => undefined);
  });

  it('logs in once per run, refreshes an expired token and logs in again when the refresh token expired', async () => {
    const ops: keycloak.KeycloakAdmin = { url: master.url, username: 'ops', password, loginRealm: realmName };
    const memo = new Map<string, unknown>();
    const role = (name: string) => keycloak.realmRole(name, { admin: ops, realm: realmName, role: name });
    expect((await runSteps([role('a')], { memo })).keys).toEqual([`create keycloak:${realmName}/role/a`]);
    expect(memo.size).toBe(1);
    // The admin client treats tokens as expired 5 s early: the access token is good for 2 s,
    // the refresh token for 15 s.
    await new Promise((r) => setTimeout(r, 4000)); // access token expired, refresh token still valid
    const refreshed = await runSteps([role('b')], { memo });
    expect(refreshed.failures).toEqual([]);
    await new Promise((r) => setTimeout(r, 14000)); // the refresh token expired too
    const relogged = await runSteps([role('c')], { memo });
    expect(relogged.failures).toEqual([]);
    expect(relogged.keys).toEqual([`create keycloak:${realmName}/role/c`]);
    expect(memo.size).toBe(1);

    // The end of the run logs the admin session out (run() closes the memo).
    const [adminCli] = await kc.clients.find({ realm: realmName, clientId: 'admin-cli' });
    const sessions = async () => kc.clients.listSessions({ realm: realmName, id: adminCli!.id! });
    const latest = (await sessions()).sort((a, b) => (b.start ?? 0) - (a.start ?? 0))[0]; // the re-login above
    expect(latest?.username).toBe('ops');
    await closeMemo(memo);
    expect((await sessions()).map((x) => x.id)).not.toContain(latest!.id);
  });
});
