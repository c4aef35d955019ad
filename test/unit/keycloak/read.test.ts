import { beforeEach, describe, expect, it } from 'vitest';
import * as keycloak from '../../../src/modules/keycloak/index.ts';
import { sessionKey } from '../../../src/modules/keycloak/session.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import type { Task } from '../../../src/runtime/task.ts';
import { runSteps } from '../../support/engine.ts';
import { FakeKeycloak } from './fake-api.ts';

const admin = { url: 'https://kc.test', username: 'tkadmin', password: new Secret('kc-admin-password-3', 'test') };
const realm = 'thinkube';
let kc: FakeKeycloak;
const run = (steps: Task<any>[], mode: 'apply' | 'check' = 'apply') => runSteps(steps, { mode, memo: new Map<string, unknown>([[sessionKey(admin), kc]]) });

beforeEach(async () => {
  kc = new FakeKeycloak();
  kc.addRealm(realm);
  await kc.createUser(realm, { username: 'alice' });
  await kc.createUser(realm, { username: 'alice2' });
  await kc.createRealmRole(realm, { name: 'viewer', description: 'reads' });
  await kc.createGroup(realm, { name: 'devpi-admins' });
  await kc.createGroup(realm, { name: 'harbor-admins' });
  await kc.createClientScope(realm, { name: 'groups' });
});

describe('keycloak read tasks: plan nothing, give what they read', () => {
  const table: { name: string; task: () => Task<any>; result: (r: any) => void }[] = [
    {
      name: 'findUsers exact',
      task: () => keycloak.findUsers('u', { admin, realm, username: 'Alice' }),
      result: (r) => expect(r.map((u: any) => u.username)).toEqual(['alice']),
    },
    {
      name: 'findUsers search',
      task: () => keycloak.findUsers('u', { admin, realm, username: 'alice', exact: false }),
      result: (r) => expect(r).toHaveLength(2),
    },
    { name: 'findUsers none', task: () => keycloak.findUsers('u', { admin, realm, username: 'bob' }), result: (r) => expect(r).toEqual([]) },
    {
      name: 'getRealmRole',
      task: () => keycloak.getRealmRole('r', { admin, realm, role: 'viewer' }),
      result: (r) => expect(r).toMatchObject({ name: 'viewer', description: 'reads' }),
    },
    { name: 'getRealmRole missing', task: () => keycloak.getRealmRole('r', { admin, realm, role: 'nope' }), result: (r) => expect(r).toBeUndefined() },
    {
      name: 'listGroups',
      task: () => keycloak.listGroups('g', { admin, realm }),
      result: (r) => expect(r.map((g: any) => g.name).sort()).toEqual(['devpi-admins', 'harbor-admins']),
    },
    {
      name: 'listGroups search',
      task: () => keycloak.listGroups('g', { admin, realm, search: 'harbor' }),
      result: (r) => expect(r.map((g: any) => [g.name, typeof g.id])).toEqual([['harbor-admins', 'string']]),
    },
    {
      name: 'listClientScopes',
      task: () => keycloak.listClientScopes('s', { admin, realm }),
      result: (r) => expect(r.map((s: any) => s.name)).toEqual(['groups']),
    },
  ];
  for (const row of table) {
    it(`${row.name}: check and apply read the same, change nothing, and a second run plans nothing`, async () => {
      for (const mode of ['check', 'apply', 'apply'] as const) {
        const t = row.task();
        const r = await run([t], mode);
        expect(r.failures).toEqual([]);
        expect(r.keys).toEqual([]);
        row.result(r.result(t));
      }
      expect(kc.writes().filter((c) => !/^(create|searchUsers|listGroups|listClientScopes)/.test(c))).toEqual([]);
    });
  }

  it('a role that must exist fails naming it; one created earlier in a check run is unknown, not missing', async () => {
    const r = await run([keycloak.getRealmRole('r', { admin, realm, role: 'nope', required: true })]);
    expect(r.failures.join()).toContain('realm role nope in realm thinkube does not exist');
    const steps: Task<any>[] = [
      keycloak.realmRole('create', { admin, realm, role: 'new-role' }),
      keycloak.getRealmRole('r', { admin, realm, role: 'new-role', required: true }),
    ];
    const check = await run(steps, 'check');
    expect(check.failures).toEqual([]);
    expect(check.keys).toEqual([`create keycloak:${realm}/role/new-role`]);
    const real = await run(steps);
    expect(real.failures).toEqual([]);
    expect(real.result(steps[1]!)).toMatchObject({ name: 'new-role' });
  });

  it('a user an earlier task creates is unknown in a check run, found in the real one', async () => {
    const steps: Task<any>[] = [keycloak.user('create', { admin, realm, username: 'carol' }), keycloak.findUsers('u', { admin, realm, username: 'carol' })];
    const check = await run(steps, 'check');
    expect(check.failures).toEqual([]);
    expect(check.result(steps[1]!)).toBeUndefined();
    const real = await run(steps);
    expect((real.result(steps[1]!) as any[]).map((u) => u.username)).toEqual(['carol']);
  });

  it('validation names what is missing', async () => {
    const r = await run([keycloak.findUsers('u', { admin, realm: '', username: '' })]);
    expect(r.problems.map((p) => p.message)).toEqual(expect.arrayContaining(['realm is required', 'username is required']));
  });
});

describe('keycloak.clientFields: a client representation as keycloak.client fields', () => {
  const table: { name: string; rep: Record<string, unknown>; fields?: Record<string, unknown>; refused?: string }[] = [
    {
      name: 'managed fields pass, pkce and attributes split',
      rep: {
        clientId: 'app',
        protocol: 'openid-connect',
        publicClient: false,
        redirectUris: ['https://a/cb'],
        attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '+', n: 1 },
      },
      fields: { clientId: 'app', publicClient: false, redirectUris: ['https://a/cb'], pkce: 'S256', attributes: { 'post.logout.redirect.uris': '+', n: '1' } },
    },
    {
      name: 'unmanaged fields are refused, each named',
      rep: { clientId: 'app', fullScopeAllowed: true, defaultClientScopes: ['x'] },
      refused: 'keycloak.client does not manage fullScopeAllowed, defaultClientScopes',
    },
    { name: 'another protocol is refused', rep: { clientId: 'app', protocol: 'saml' }, refused: 'protocol saml' },
    { name: 'a clientId is required', rep: { publicClient: true }, refused: 'clientId is required' },
  ];
  for (const row of table) {
    it(row.name, () => {
      if (row.refused) expect(() => keycloak.clientFields(row.rep)).toThrow(row.refused);
      else expect(keycloak.clientFields(row.rep)).toEqual(row.fields);
    });
  }

  it('a secret in the body becomes a Secret; the client built from it converges and then plans nothing', async () => {
    const f = keycloak.clientFields({ clientId: 'from-body', secret: 'body-secret-1', redirectUris: ['https://b/cb'] });
    expect(f.secret?.reveal()).toBe('body-secret-1');
    const steps = [keycloak.client('c', { admin, realm, ...f })];
    expect((await run(steps)).keys).toEqual([`create keycloak:${realm}/client/from-body`]);
    expect((await run(steps)).keys).toEqual([]);
  });
});
