import { beforeEach, describe, expect, it } from 'vitest';
import * as keycloak from '../../../src/modules/keycloak/index.ts';
import { sessionKey } from '../../../src/modules/keycloak/session.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import type { Task } from '../../../src/runtime/task.ts';
import { runSteps } from '../../support/engine.ts';
import { FakeKeycloak } from './fake-api.ts';

const admin = { url: 'https://kc.test', username: 'tkadmin', password: new Secret('kc-admin-password-2', 'test') };
const realm = 'thinkube';
const clientId = 'oauth2-proxy-devpi';
let kc: FakeKeycloak;
const memo = () => new Map<string, unknown>([[sessionKey(admin), kc]]);
const run = (steps: Task<any>[], mode: 'apply' | 'check' = 'apply') => runSteps(steps, { mode, memo: memo() });

/** Check, apply, and check the apply made what the check predicted; returns the change keys. */
async function converge(steps: Task<any>[]): Promise<string[]> {
  const check = await run(steps, 'check');
  expect(check.failures).toEqual([]);
  const real = await run(steps);
  expect(real.failures).toEqual([]);
  expect(real.keys).toEqual(check.keys);
  return real.keys;
}

beforeEach(async () => {
  kc = new FakeKeycloak();
  kc.addRealm(realm);
  await kc.createClient(realm, { clientId });
});

describe('keycloak.realm', () => {
  const t = (over: Partial<keycloak.RealmSpec> = {}) =>
    keycloak.realm('realm', { admin, realm: 'devpi', displayName: 'DevPi', settings: { loginWithEmailAllowed: true }, ...over });
  it('create → nothing → settings drift → absent → nothing', async () => {
    expect(await converge([t()])).toEqual(['create keycloak:realm/devpi']);
    expect(await converge([t()])).toEqual([]);
    kc.realms.get('devpi')!.rep.loginWithEmailAllowed = false;
    expect(await converge([t()])).toEqual(['update keycloak:realm/devpi']);
    expect(kc.realms.get('devpi')!.rep.loginWithEmailAllowed).toBe(true);
    expect(await converge([keycloak.realm('realm', { admin, realm: 'devpi', state: 'absent' })])).toEqual(['delete keycloak:realm/devpi']);
    expect(await converge([keycloak.realm('realm', { admin, realm: 'devpi', state: 'absent' })])).toEqual([]);
  });
  it('refuses to manage the master realm', async () => {
    expect((await run([t({ realm: 'master' })])).problems.map((p) => p.message)).toEqual(['realm: helix does not manage the master realm']);
  });
});

describe('keycloak protocol mappers', () => {
  const target = `keycloak:${realm}/client/${clientId}/mapper/audience-mapper`;
  const aud = (over: Record<string, unknown> = {}) => keycloak.audienceMapper('aud', { admin, realm, clientId, ...over });

  it('audience mapper: create → nothing (extra keys Keycloak adds are left) → drift → corrected', async () => {
    expect(await converge([aud()])).toEqual([`create ${target}`]);
    const m = kc.realms.get(realm)!.clients.get(clientId)!.mappers[0]!;
    expect(m).toMatchObject({
      protocolMapper: 'oidc-audience-mapper',
      config: { 'included.client.audience': clientId, 'access.token.claim': 'true', 'id.token.claim': 'true' },
    });
    expect(await converge([aud()])).toEqual([]);
    m.config!['access.token.claim'] = 'false';
    const r = await run([aud()], 'check');
    const summary = r.events.flatMap((e) => (e.type === 'task.changed' ? e.changes : []))[0]?.summary;
    expect(summary).toBe(`update protocol mapper audience-mapper of Keycloak client ${clientId} in realm ${realm}: config.access.token.claim`);
    expect(await converge([aud()])).toEqual([`update ${target}`]);
    expect(kc.realms.get(realm)!.clients.get(clientId)!.mappers[0]!.id).toBe(m.id);
  });

  it('a mapper of another type under the same name is replaced', async () => {
    await kc.createMapper(realm, kc.realms.get(realm)!.clients.get(clientId)!.id!, {
      name: 'audience-mapper',
      protocol: 'openid-connect',
      protocolMapper: 'oidc-hardcoded-claim-mapper',
      config: {},
    });
    expect(await converge([aud()])).toEqual([`create ${target}`, `delete ${target}`]);
    expect(
      kc.realms
        .get(realm)!
        .clients.get(clientId)!
        .mappers.map((m) => m.protocolMapper),
    ).toEqual(['oidc-audience-mapper']);
  });

  it('a client planned in the same check run: the mapper is planned too', async () => {
    const steps = [
      keycloak.client('client', { admin, realm, clientId: 'new-client', redirectUris: ['https://x.example.com/cb'] }),
      keycloak.audienceMapper('aud', { admin, realm, clientId: 'new-client' }),
    ];
    expect(await converge(steps)).toEqual([`create keycloak:${realm}/client/new-client`, `create keycloak:${realm}/client/new-client/mapper/audience-mapper`]);
    expect(await converge(steps)).toEqual([]);
  });

  it('group and realm-role mappers; absent removes by id', async () => {
    const g = keycloak.groupMembershipMapper('groups', { admin, realm, clientId });
    const r = keycloak.realmRolesMapper('roles', { admin, realm, clientId, claim: 'realm_roles' });
    expect(await converge([g, r])).toEqual([
      `create keycloak:${realm}/client/${clientId}/mapper/groups`,
      `create keycloak:${realm}/client/${clientId}/mapper/realm-roles`,
    ]);
    expect(await converge([g, r])).toEqual([]);
    expect(await converge([keycloak.groupMembershipMapper('groups', { admin, realm, clientId, state: 'absent' })])).toEqual([
      `delete keycloak:${realm}/client/${clientId}/mapper/groups`,
    ]);
    expect(
      kc.realms
        .get(realm)!
        .clients.get(clientId)!
        .mappers.map((m) => m.name),
    ).toEqual(['realm-roles']);
  });
});

describe('keycloak roles, groups and users', () => {
  const pw = new Secret('alice-password-1', 'test');
  const steps = (over: { roles?: string[]; groups?: string[]; password?: Secret } = {}) => [
    keycloak.realmRole('admin-role', { admin, realm, role: 'devpi-admin', description: 'administers devpi' }),
    keycloak.realmRole('reader-role', { admin, realm, role: 'devpi-reader' }),
    keycloak.group('group', { admin, realm, group: 'devpi-admins', realmRoles: over.roles ?? ['devpi-admin'] }),
    keycloak.user('user', {
      admin,
      realm,
      username: 'Alice',
      email: 'Alice@Example.com',
      password: over.password ?? pw,
      groups: over.groups ?? ['devpi-admins'],
    }),
  ];

  it('create → nothing → role/group membership drift → corrected', async () => {
    expect(await converge(steps())).toEqual([
      `create keycloak:${realm}/group/devpi-admins`,
      `create keycloak:${realm}/role/devpi-admin`,
      `create keycloak:${realm}/role/devpi-reader`,
      `create keycloak:${realm}/user/alice`,
    ]);
    const alice = kc.realms.get(realm)!.users.get('alice')!;
    expect(alice).toMatchObject({
      email: 'alice@example.com',
      emailVerified: true,
      firstName: 'Alice',
      lastName: 'Alice',
      enabled: true,
      groups: ['devpi-admins'],
    });
    expect(await converge(steps())).toEqual([]);
    expect(await converge(steps({ roles: ['devpi-reader'] }))).toEqual([`update keycloak:${realm}/group/devpi-admins`]);
    expect(kc.realms.get(realm)!.groups.get('devpi-admins')!.roles).toEqual(['devpi-reader']);
    alice.groups = [];
    expect(await converge(steps({ roles: ['devpi-reader'] }))).toEqual([`update keycloak:${realm}/user/alice`]);
    expect(alice.groups).toEqual(['devpi-admins']);
  });

  it('a password that no longer works is set again, named but never shown', async () => {
    await converge(steps());
    kc.realms.get(realm)!.users.get('alice')!.password = 'changed-by-hand';
    const r = await run(steps());
    expect(r.keys).toEqual([`update keycloak:${realm}/user/alice`]);
    const text = JSON.stringify(r.events);
    expect(text).toContain('update user Alice in Keycloak realm thinkube: password (secret, value hidden)');
    expect(text).not.toContain('alice-password-1');
    expect(kc.writes().filter((c) => c.startsWith('setPassword'))).toHaveLength(2);
    expect(await converge(steps())).toEqual([]);
  });

  it('deletes users and groups by id', async () => {
    await converge(steps());
    const id = kc.realms.get(realm)!.users.get('alice')!.id;
    kc.calls.length = 0;
    expect(await converge([keycloak.user('user', { admin, realm, username: 'alice', state: 'absent' })])).toEqual([`delete keycloak:${realm}/user/alice`]);
    expect(kc.writes()).toEqual([`deleteUser ${realm} ${id}`]);
  });
});

describe('keycloak client scopes', () => {
  it('a scope and its attachment: create → nothing → detached by hand → attached again → absent', async () => {
    const scope = keycloak.clientScope('scope', { admin, realm, scope: 'groups', attributes: { 'include.in.token.scope': 'true' } });
    const attach = keycloak.clientScopes('attach', { admin, realm, clientId, default: ['groups'] });
    expect(await converge([scope, attach])).toEqual([`create keycloak:${realm}/client-scope/groups`, `create keycloak:${realm}/client/${clientId}/scopes`]);
    expect(kc.realms.get(realm)!.clients.get(clientId)!.defaultScopes).toEqual(['profile', 'email', 'groups']);
    expect(await converge([scope, attach])).toEqual([]);
    kc.realms.get(realm)!.clients.get(clientId)!.defaultScopes = ['profile', 'email'];
    expect(await converge([scope, attach])).toEqual([`create keycloak:${realm}/client/${clientId}/scopes`]);
    const detach = keycloak.clientScopes('attach', { admin, realm, clientId, default: ['groups'], state: 'absent' });
    expect(await converge([detach])).toEqual([`delete keycloak:${realm}/client/${clientId}/scopes`]);
    expect(kc.realms.get(realm)!.clients.get(clientId)!.defaultScopes).toEqual(['profile', 'email']);
    expect(await converge([detach])).toEqual([]);
  });
});
