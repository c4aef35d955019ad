import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as github from '../../../src/modules/github/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { runSteps } from '../../support/engine.ts';
import { type GithubApi, startGithubApi } from '../../../src/sandbox/github-api.ts';

const token = 'ghp_fake_token_value_123456';
let gh: GithubApi;
const conn = () => ({ baseUrl: gh.url, token: new Secret(token, 'test') });
const pair = github.generateSshKeypair('devpi-deploy');
const other = github.generateSshKeypair('other');
const spec = () => ({ github: conn(), owner: 'thinkube', repo: 'devpi-deployment', title: 'helix devpi', key: pair.publicKey });
const target = () => `github:${gh.url}/thinkube/devpi-deployment/keys/helix devpi`;

beforeAll(async () => {
  gh = await startGithubApi({ tokens: [token], pageSize: 2 });
});
afterAll(() => gh.close());
beforeEach(() => {
  gh.repos.clear();
  gh.requests.length = 0;
  gh.addRepo('thinkube/devpi-deployment');
});

const addKey = (title: string, key: string, readOnly = true) =>
  gh.repos.get('thinkube/devpi-deployment')!.keys.push({
    id: 1 + gh.repos.get('thinkube/devpi-deployment')!.keys.length,
    title,
    key: github.keyBody(key),
    read_only: readOnly,
    verified: true,
    created_at: '',
    url: '',
    added_by: '',
    last_used: null,
    enabled: true,
  });

describe('github.deployKey: desired + live keys → changes', () => {
  const rows: { name: string; live?: () => void; over?: Record<string, unknown>; keys: string[] }[] = [
    { name: 'no key → create', keys: ['create'] },
    { name: 'second run plans nothing (the comment is ignored)', live: () => addKey('helix devpi', pair.publicKey.replace('devpi-deploy', 'x')), keys: [] },
    {
      name: 'found on a later page (pages of 2)',
      live: () => {
        for (const t of ['a', 'b', 'c', 'd']) addKey(t, github.generateSshKeypair().publicKey);
        addKey('helix devpi', pair.publicKey);
      },
      keys: [],
    },
    { name: 'another key under the title → replace', live: () => addKey('helix devpi', other.publicKey), keys: ['create', 'delete'] },
    { name: 'read-write by hand → replace with a read-only key', live: () => addKey('helix devpi', pair.publicKey, false), keys: ['create', 'delete'] },
    { name: 'absent → delete', live: () => addKey('helix devpi', pair.publicKey), over: { state: 'absent' }, keys: ['delete'] },
    { name: 'absent, second run plans nothing', over: { state: 'absent' }, keys: [] },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      row.live?.();
      const before = JSON.stringify(gh.repos.get('thinkube/devpi-deployment')!.keys);
      const r = await runSteps([github.deployKey('key', { ...spec(), ...row.over } as Parameters<typeof github.deployKey>[1])], { mode: 'check' });
      expect(r.failures).toEqual([]);
      expect(r.keys).toEqual(row.keys.map((a) => `${a} ${target()}`));
      expect(JSON.stringify(gh.repos.get('thinkube/devpi-deployment')!.keys)).toBe(before);
    });
  }
});

describe('github.deployKey: apply', () => {
  it('adds a read-only key, then plans nothing; the token is sent but never shown', async () => {
    const t = github.deployKey('key', spec());
    const check = await runSteps([t], { mode: 'check' });
    const r = await runSteps([t]);
    expect(r.failures).toEqual([]);
    expect(r.keys).toEqual(check.keys);
    const [key] = gh.repos.get('thinkube/devpi-deployment')!.keys;
    expect(key).toMatchObject({ title: 'helix devpi', key: github.keyBody(pair.publicKey), read_only: true });
    expect(r.result(t)).toEqual({ id: key!.id, title: 'helix devpi', key: github.keyBody(pair.publicKey), readOnly: true });
    expect((await runSteps([t])).keys).toEqual([]);
    expect(gh.authorizations.every((a) => a === `token ${token}`)).toBe(true);
    expect(JSON.stringify([check.events, r.events])).not.toContain(token);
  });

  it('replaces a key that changed: delete by id, then add', async () => {
    addKey('helix devpi', other.publicKey);
    const r = await runSteps([github.deployKey('key', spec())]);
    expect(r.failures).toEqual([]);
    expect(gh.requests.filter((q) => !q.startsWith('GET'))).toEqual([
      'DELETE /repos/thinkube/devpi-deployment/keys/1',
      'POST /repos/thinkube/devpi-deployment/keys',
    ]);
    expect(gh.repos.get('thinkube/devpi-deployment')!.keys.map((k) => k.key)).toEqual([github.keyBody(pair.publicKey)]);
  });

  it('deletes by id on absent', async () => {
    addKey('unrelated', other.publicKey);
    addKey('helix devpi', pair.publicKey);
    const r = await runSteps([github.deployKey('key', { ...spec(), state: 'absent' })]);
    expect(r.keys).toEqual([`delete ${target()}`]);
    expect(gh.requests).toContain('DELETE /repos/thinkube/devpi-deployment/keys/2');
    expect(gh.repos.get('thinkube/devpi-deployment')!.keys.map((k) => k.title)).toEqual(['unrelated']);
  });

  it("a key in use elsewhere is a failure with GitHub's reason", async () => {
    gh.addRepo('thinkube/other');
    gh.repos
      .get('thinkube/other')!
      .keys.push({ ...gh.repos.get('thinkube/devpi-deployment')!.keys[0]!, id: 9, title: 'x', key: github.keyBody(pair.publicKey) } as never);
    const r = await runSteps([github.deployKey('key', spec())]);
    expect(r.failures.join()).toMatch(/add deploy key "helix devpi" to thinkube\/devpi-deployment: HTTP 422: key is already in use/);
  });

  it('a missing repository or a bad token stops the run before any change (preflight)', async () => {
    const missing = await runSteps([github.deployKey('key', { ...spec(), repo: 'nope' })]);
    expect(missing.problems.map((p) => p.message)).toEqual([`repository thinkube/nope does not exist on ${gh.url}, or the token cannot see it`]);
    const bad = await runSteps([github.deployKey('key', { ...spec(), github: { baseUrl: gh.url, token: new Secret('ghp_wrong_token_0000', 'test') } })]);
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad)).toMatch(/HTTP 401.*bad credentials/);
    expect(JSON.stringify(bad)).not.toContain('ghp_wrong_token_0000');
  });

  it('validation: a private key or a malformed key is refused before anything runs', async () => {
    const r = await runSteps([github.deployKey('key', { ...spec(), key: pair.privateKey.reveal(), owner: 'a b' })]);
    expect(r.problems.map((p) => p.message)).toEqual([
      'owner: "a b" is not a GitHub owner name',
      'key: not an OpenSSH public key (`ssh-ed25519 AAAA…`)',
      'key: this is a private key; give the public key',
    ]);
    expect(JSON.stringify(r.problems)).not.toContain(pair.privateKey.reveal().split('\n')[1]);
  });

  it('takes the public key from an earlier result', async () => {
    const t = github.deployKey('key', { ...spec(), key: () => pair.publicKey });
    expect((await runSteps([t])).keys).toEqual([`create ${target()}`]);
  });
});

describe('github.repository', () => {
  it('reports an existing repository and plans nothing', async () => {
    const t = github.repository('repo', { github: conn(), owner: 'thinkube', repo: 'devpi-deployment' });
    const r = await runSteps([t]);
    expect(r.keys).toEqual([]);
    expect(r.result(t)).toMatchObject({ fullName: 'thinkube/devpi-deployment', defaultBranch: 'main', private: true });
  });

  it('fails for a missing one', async () => {
    const r = await runSteps([github.repository('repo', { github: conn(), owner: 'thinkube', repo: 'missing' })]);
    expect(r.failures.join()).toMatch(/repository thinkube\/missing does not exist/);
  });
});
