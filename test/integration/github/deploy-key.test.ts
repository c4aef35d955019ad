import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as github from '../../../src/modules/github/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { runSteps } from '../../support/engine.ts';
import { type GithubApi, startGithubApi } from '../../../src/sandbox/github-api.ts';

/**
 * The DevPi deploy-key flow against the local GitHub stand-in (GitHub itself is unreachable):
 * check the repository, generate a key pair, register its public half, run again, delete.
 */
describe('github deploy key lifecycle (fake GitHub API)', () => {
  const token = `ghp_${Buffer.from('integration-token').toString('hex')}`;
  let gh: GithubApi;
  const pair = github.generateSshKeypair('helix devpi-deployment');

  beforeAll(async () => {
    gh = await startGithubApi({ tokens: [token] });
    gh.addRepo('thinkube/devpi-deployment');
  });
  afterAll(() => gh?.close());

  const steps = (state: 'present' | 'absent' = 'present') => {
    const github_ = { baseUrl: gh.url, token: new Secret(token, 'env GITHUB_TOKEN') };
    const repo = github.repository('repository', { github: github_, owner: 'thinkube', repo: 'devpi-deployment' });
    const key =
      state === 'present'
        ? github.deployKey('deploy-key', { github: github_, owner: 'thinkube', repo: 'devpi-deployment', title: 'helix devpi', key: pair.publicKey })
        : github.deployKey('deploy-key', { github: github_, owner: 'thinkube', repo: 'devpi-deployment', title: 'helix devpi', state: 'absent' });
    return [repo, key];
  };
  const target = () => `github:${gh.url}/thinkube/devpi-deployment/keys/helix devpi`;

  it('check predicts the run; the run adds a read-only key; the next run plans nothing', async () => {
    const check = await runSteps(steps(), { mode: 'check' });
    expect(check.failures).toEqual([]);
    expect(check.keys).toEqual([`create ${target()}`]);
    const run = await runSteps(steps());
    expect(run.keys).toEqual(check.keys);
    expect(gh.repos.get('thinkube/devpi-deployment')!.keys).toMatchObject([{ title: 'helix devpi', key: github.keyBody(pair.publicKey), read_only: true }]);
    expect((await runSteps(steps())).keys).toEqual([]);
    expect(JSON.stringify([check.events, run.events])).not.toContain(token);
  });

  it('rollback deletes it by id; a second rollback has nothing to do', async () => {
    const id = gh.repos.get('thinkube/devpi-deployment')!.keys[0]!.id;
    const check = await runSteps(steps('absent'), { mode: 'check' });
    const r = await runSteps(steps('absent'));
    expect(r.keys).toEqual(check.keys);
    expect(r.keys).toEqual([`delete ${target()}`]);
    expect(gh.requests).toContain(`DELETE /repos/thinkube/devpi-deployment/keys/${id}`);
    expect(gh.repos.get('thinkube/devpi-deployment')!.keys).toEqual([]);
    expect((await runSteps(steps('absent'))).keys).toEqual([]);
  });
});
