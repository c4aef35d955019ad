import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as git from '../../../src/modules/git/index.ts';
import { runSteps } from '../../support/engine.ts';
import { sandboxGit } from '../../support/sandbox-targets.ts';
import { has } from '../sandbox/helpers.ts';

/** git.push and git.branchAbsent against the sandbox's git host, over SSH with strict host key checking. */
describe.skipIf(!has('git'))('git module over SSH on the sandbox git host', () => {
  const work = mkdtempSync(join(tmpdir(), 'helix-git-it-'));
  process.env.HELIX_CACHE_DIR = join(work, 'cache');
  const branch = `helix-it-${randomBytes(3).toString('hex')}`;
  const repoUrl = () => sandboxGit().repoUrl('sandbox.git');
  const keyAsSecret = () => sandboxGit().sshKey();
  const access = () => ({ sshKey: keyAsSecret(), knownHosts: sandboxGit().knownHosts });
  const files = { 'k8s/deployment.yaml': 'kind: Deployment\nmetadata: {name: devpi}\n', 'README.md': '# devpi deployment\n' };
  const push = (over: Partial<git.PushOptions> = {}) =>
    git.push('push', {
      repoUrl: repoUrl(),
      branch,
      files,
      message: 'deploy: devpi manifests',
      author: { name: 'helix', email: 'helix@example.com' },
      ...access(),
      ...over,
    });

  /** What the remote holds, read independently of the module (plain git over the sandbox's ssh command). */
  const remoteHead = (): string =>
    execFileSync('git', ['ls-remote', '--heads', repoUrl(), `refs/heads/${branch}`], {
      encoding: 'utf8',
      env: { ...process.env, GIT_SSH_COMMAND: sandboxGit().sshCommand },
    }).split('\t')[0] ?? '';

  afterAll(async () => {
    await runSteps([git.branchAbsent('cleanup', { repoUrl: repoUrl(), branch, ...access() })]);
    rmSync(work, { recursive: true, force: true });
  });

  it('check predicts the push; the push creates one commit; the second run commits nothing', async () => {
    const check = await runSteps([push()], { mode: 'check' });
    expect(check.failures).toEqual([]);
    expect(check.keys).toEqual([`create git:${repoUrl()}#${branch}:README.md`, `create git:${repoUrl()}#${branch}:k8s/deployment.yaml`]);
    expect(remoteHead()).toBe('');
    const t = push();
    const first = await runSteps([t]);
    expect(first.failures).toEqual([]);
    expect(first.keys).toEqual(check.keys);
    const head = remoteHead();
    expect(head).toMatch(/^[0-9a-f]{40}$/);
    expect(first.result(t)?.commit).toBe(head);
    const second = await runSteps([push()]);
    expect(second.keys).toEqual([]);
    expect(remoteHead()).toBe(head);
  });

  it('a changed file is one new commit, with the key given as a path this time', async () => {
    const before = remoteHead();
    const r = await runSteps([push({ sshKey: sandboxGit().sshKeyPath, files: { ...files, 'README.md': '# devpi deployment (v2)\n' } })]);
    expect(r.failures).toEqual([]);
    expect(r.keys).toEqual([`update git:${repoUrl()}#${branch}:README.md`]);
    expect(remoteHead()).not.toBe(before);
  });

  it('refuses a host whose key does not match, and leaves the branch alone', async () => {
    const before = remoteHead();
    const dir = mkdtempSync(join(work, 'k-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
    const wrongHostKey = readFileSync(join(dir, 'k.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    const r = await runSteps([push({ knownHosts: [wrongHostKey], files: { 'other.txt': 'x\n' } })]);
    expect(r.ok).toBe(false);
    expect(r.failures.join()).toMatch(/host key of the remote is not among the known host keys: refusing to connect/);
    expect(remoteHead()).toBe(before);
  });

  it('never puts the private key into events', async () => {
    const r = await runSteps([push()]);
    const key = keyAsSecret().reveal();
    expect(JSON.stringify(r.events)).not.toContain(key.split('\n')[1]!);
  });

  it('deletes the branch on rollback; a second rollback has nothing to do', async () => {
    const gone = git.branchAbsent('gone', { repoUrl: repoUrl(), branch, ...access() });
    const r = await runSteps([gone]);
    expect(r.failures).toEqual([]);
    expect(r.keys).toEqual([`delete git:${repoUrl()}#${branch}`]);
    expect(remoteHead()).toBe('');
    expect((await runSteps([gone])).keys).toEqual([]);
  });
});
