import { beforeEach, describe, expect, it } from 'vitest';
import * as keycloak from '../../../src/modules/keycloak/index.ts';
import { sessionKey } from '../../../src/modules/keycloak/session.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import type { Task } from '../../../src/runtime/task.ts';
import { runSteps } from '../../support/engine.ts';
import { FakeKeycloak } from './fake-api.ts';

const admin = { url: 'https://kc.test', username: 'tkadmin', password: new Secret('kc-admin-password-1', 'test') };
const realm = 'thinkube';
const clientId = 'oauth2-proxy-devpi';
const base = {
  admin,
  realm,
  clientId,
  redirectUris: ['https://packages.example.com/oauth2/callback'],
  webOrigins: ['+'],
  pkce: 'S256' as const,
  attributes: { 'post.logout.redirect.uris': '+' },
};

let kc: FakeKeycloak;
const memo = () => new Map<string, unknown>([[sessionKey(admin), kc]]);
const run = (steps: Task<any>[], mode: 'apply' | 'check' = 'apply') => runSteps(steps, { mode, memo: memo() });
const target = `keycloak:${realm}/client/${clientId}`;

beforeEach(() => {
  kc = new FakeKeycloak();
  kc.addRealm(realm);
});

describe('keycloak.client: desired + live → changes', () => {
  type Row = {
    name: string;
    live?: (kc: FakeKeycloak) => Promise<void>;
    spec?: Partial<keycloak.ClientSpec> & { state?: 'present' | 'absent' };
    keys: string[];
    summary?: RegExp;
  };
  const seed = async (k: FakeKeycloak) => void (await k.createClient(realm, { clientId, ...keycloakRep() }));
  const keycloakRep = () => ({
    protocol: 'openid-connect',
    enabled: true,
    publicClient: false,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    redirectUris: ['https://packages.example.com/oauth2/callback'],
    webOrigins: ['+'],
    attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': '+' },
  });
  const rows: Row[] = [
    { name: 'absent → create', keys: [`create ${target}`], summary: /create Keycloak client oauth2-proxy-devpi in realm thinkube/ },
    { name: 'second run plans nothing', live: seed, keys: [] },
    {
      name: 'redirect URIs drifted (old dashboard host) → update',
      live: async (k) => {
        await seed(k);
        k.realms.get(realm)!.clients.get(clientId)!.redirectUris = ['https://devpi.example.com/oauth2/callback'];
      },
      keys: [`update ${target}`],
      summary: /: redirectUris$/,
    },
    {
      name: 'PKCE turned off by hand → update the attribute',
      live: async (k) => {
        await seed(k);
        delete k.realms.get(realm)!.clients.get(clientId)!.attributes!['pkce.code.challenge.method'];
      },
      keys: [`update ${target}`],
      summary: /attributes\.pkce\.code\.challenge\.method/,
    },
    {
      name: 'made public by hand → back to confidential',
      live: async (k) => {
        await seed(k);
        k.realms.get(realm)!.clients.get(clientId)!.publicClient = true;
      },
      keys: [`update ${target}`],
      summary: /publicClient/,
    },
    { name: 'state absent → delete', live: seed, spec: { state: 'absent' }, keys: [`delete ${target}`] },
    { name: 'state absent, second run plans nothing', spec: { state: 'absent' }, keys: [] },
    { name: 'realm does not exist yet → create (the realm task comes first)', live: async (k) => void k.realms.delete(realm), keys: [`create ${target}`] },
  ];

  for (const row of rows) {
    it(row.name, async () => {
      await row.live?.(kc);
      kc.calls.length = 0;
      const task = keycloak.client('client', { ...base, ...row.spec } as keycloak.ClientSpec);
      const check = await run([task], 'check');
      expect(check.failures).toEqual([]);
      expect(check.keys).toEqual(row.keys);
      expect(kc.writes()).toEqual([]);
      if (row.summary) {
        const changed = check.events.find((e) => e.type === 'task.changed');
        expect(changed?.type === 'task.changed' && changed.changes[0]?.summary).toMatch(row.summary);
      }
    });
  }

  it('"same order" row: reordering alone is no drift', async () => {
    await kc.createClient(realm, { clientId, ...keycloakRep(), redirectUris: ['https://a.example.com/cb', 'https://b.example.com/cb'] });
    const r = await run([keycloak.client('client', { ...base, redirectUris: ['https://b.example.com/cb', 'https://a.example.com/cb'] })], 'check');
    expect(r.keys).toEqual([]);
  });
});

describe('keycloak.client: apply', () => {
  it('creates, then plans nothing; check predicts exactly what the run does', async () => {
    const task = keycloak.client('client', base);
    const check = await run([task], 'check');
    const first = await run([task]);
    expect(first.failures).toEqual([]);
    expect(first.keys).toEqual(check.keys);
    const created = first.result(task);
    expect(created?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created?.attributes?.['pkce.code.challenge.method']).toBe('S256');
    const again = await run([task]);
    expect(again.keys).toEqual([]);
    expect(again.events.some((e) => e.type === 'task.ok' && /already matches/.test(e.reason))).toBe(true);
  });

  it('corrects drift with an update by internal id, keeping attributes Keycloak added', async () => {
    await run([keycloak.client('client', base)]);
    const live = kc.realms.get(realm)!.clients.get(clientId)!;
    live.redirectUris = ['https://devpi.example.com/oauth2/callback'];
    kc.calls.length = 0;
    const r = await run([keycloak.client('client', base)]);
    expect(r.keys).toEqual([`update ${target}`]);
    expect(kc.writes()).toEqual([`updateClient ${realm} ${live.id}`]);
    expect(live.redirectUris).toEqual(base.redirectUris);
    expect(live.attributes?.['backchannel.logout.session.required']).toBe('true');
    const changed = r.events.find((e) => e.type === 'task.changed');
    expect(changed?.type === 'task.changed' && changed.changes[0]?.diff?.before).toContain('devpi.example.com');
  });

  it('deletes by internal id in the right realm', async () => {
    kc.addRealm('example.com');
    await run([keycloak.client('client', base)]);
    const id = kc.realms.get(realm)!.clients.get(clientId)!.id;
    kc.calls.length = 0;
    const r = await run([keycloak.client('client', { ...base, state: 'absent' })]);
    expect(r.keys).toEqual([`delete ${target}`]);
    expect(kc.writes()).toEqual([`deleteClient ${realm} ${id}`]);
    expect(kc.realms.get(realm)!.clients.size).toBe(0);
  });

  it('a conflict on create (someone created it meanwhile) is a failure, not success', async () => {
    const findClient = kc.findClient.bind(kc);
    kc.findClient = async (r, c) => {
      const found = await findClient(r, c);
      if (!found) await kc.createClient(r, { clientId: c });
      return undefined;
    };
    const r = await run([keycloak.client('client', base)]);
    expect(r.ok).toBe(false);
    expect(r.failures.join()).toMatch(/409/);
  });

  it('a change the target accepted but ignored is reported', async () => {
    await run([keycloak.client('client', base)]);
    kc.realms.get(realm)!.clients.get(clientId)!.redirectUris = ['https://old.example.com/cb'];
    kc.updateClient = async () => {};
    const r = await run([keycloak.client('client', base)]);
    expect(r.failures.join()).toMatch(/still differs after the change: redirectUris/);
  });

  it('a fixed secret is compared, changed and named, never shown', async () => {
    const s1 = new Secret('client-secret-value-one', 'test');
    const s2 = new Secret('client-secret-value-two', 'test');
    await run([keycloak.client('client', { ...base, secret: s1 })]);
    expect((await run([keycloak.client('client', { ...base, secret: s1 })])).keys).toEqual([]);
    const r = await run([keycloak.client('client', { ...base, secret: s2 })]);
    expect(r.keys).toEqual([`update ${target}`]);
    const text = JSON.stringify(r.events);
    expect(text).toContain('secret (secret, value hidden)');
    expect(text).not.toContain('client-secret-value');
    expect(kc.realms.get(realm)!.clients.get(clientId)!.secret).toBe('client-secret-value-two');
  });

  it('validation reports every problem before anything runs', async () => {
    const r = await run([keycloak.client('client', { ...base, clientId: '', redirectUris: ['packages.example.com'], admin: { ...admin, url: 'nope' } })]);
    expect(r.problems.map((p) => p.message)).toEqual([
      'admin.url: "nope" is not a URL',
      'clientId is required',
      'redirectUris: "packages.example.com" is not an absolute URL or path',
    ]);
    expect(kc.calls).toEqual([]);
  });
});

describe('keycloak.clientSecret', () => {
  it('reads the secret of an existing client, plans nothing, never shows it', async () => {
    await run([keycloak.client('client', base)]);
    const task = keycloak.clientSecret('secret', { admin, realm, clientId });
    const r = await run([task]);
    expect(r.keys).toEqual([]);
    const secret = r.result(task);
    expect(secret).toBeInstanceOf(Secret);
    expect(secret?.reveal()).toBe(kc.realms.get(realm)!.clients.get(clientId)!.secret);
    expect(JSON.stringify(r.events)).not.toContain(secret!.reveal());
  });

  it('in a check run that will create the client, predicts a placeholder instead of failing', async () => {
    const c = keycloak.client('client', base);
    const s = keycloak.clientSecret('secret', { admin, realm, clientId });
    const r = await run([c, s], 'check');
    expect(r.failures).toEqual([]);
    expect(r.keys).toEqual([`create ${target}`]);
    expect(r.result(s)).toBeInstanceOf(Secret);
  });

  it('in a real run, a missing client is an error', async () => {
    const r = await run([keycloak.clientSecret('secret', { admin, realm, clientId })]);
    expect(r.failures.join()).toMatch(/client oauth2-proxy-devpi in realm thinkube does not exist/);
  });
});
