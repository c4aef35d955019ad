import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import * as git from '../../../src/modules/git/index.ts';
import { withSsh } from '../../../src/modules/git/ssh.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import type { Plan } from '../../../src/runtime/task.ts';
import { runSteps, taskContext } from '../../support/engine.ts';

/** Real git on local bare repositories: the SSH part is exercised by the integration lane. */
const work = mkdtempSync(join(tmpdir(), 'helix-git-unit-'));
process.env.HELIX_CACHE_DIR = join(work, 'cache');
afterAll(() => rmSync(work, { recursive: true, force: true }));

let repo: string;
let n = 0;
const sh = (args: string[], cwd?: string) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
const show = (ref: string, path: string) => sh(['--git-dir', repo, 'show', `${ref}:${path}`]);
const tree = (ref = 'main') => sh(['--git-dir', repo, 'ls-tree', '-r', '--name-only', ref]).trim().split('\n').filter(Boolean);
const commits = (ref = 'main') => Number(sh(['--git-dir', repo, 'rev-list', '--count', ref]).trim());

beforeEach(() => {
  repo = join(work, `r${++n}.git`);
  sh(['init', '--quiet', '--bare', '--initial-branch=main', repo]);
});

const files = { 'k8s/deployment.yaml': 'kind: Deployment\n', 'k8s/service.yaml': 'kind: Service\n', 'README.md': '# app\n' };
const pushTask = (over: Partial<git.PushOptions> = {}) => git.push('push', { repoUrl: repo, files, message: 'deploy: render manifests', ...over });

describe('git.push: remote tree + wanted files → changes', () => {
  it('an empty repository: one create per file; check predicts the run exactly; the second run commits nothing', async () => {
    const t = pushTask();
    const check = await runSteps([t], { mode: 'check' });
    expect(check.failures).toEqual([]);
    expect(check.keys).toEqual([
      `create git:${repo}#main:README.md`,
      `create git:${repo}#main:k8s/deployment.yaml`,
      `create git:${repo}#main:k8s/service.yaml`,
    ]);
    expect(sh(['--git-dir', repo, 'branch', '--list']).trim()).toBe('');
    const first = await runSteps([t]);
    expect(first.keys).toEqual(check.keys);
    expect(tree()).toEqual(['README.md', 'k8s/deployment.yaml', 'k8s/service.yaml']);
    expect(first.result(t)?.commit).toBe(sh(['--git-dir', repo, 'rev-parse', 'main']).trim());
    expect(sh(['--git-dir', repo, 'log', '-1', '--format=%an <%ae> %s', 'main']).trim()).toBe('helix <helix@localhost> deploy: render manifests');
    const second = await runSteps([t]);
    expect(second.keys).toEqual([]);
    expect(second.events.some((e) => e.type === 'task.ok' && e.reason === `branch main of ${repo} already has the 3 files`)).toBe(true);
    expect(commits()).toBe(1);
  });

  it('one file changed: one update with its diff, one new commit on top', async () => {
    await runSteps([pushTask()]);
    const r = await runSteps([pushTask({ files: { ...files, 'k8s/service.yaml': 'kind: Service\nspec: {}\n' } })]);
    expect(r.keys).toEqual([`update git:${repo}#main:k8s/service.yaml`]);
    const change = r.events.flatMap((e) => (e.type === 'task.changed' ? e.changes : []))[0];
    expect(change?.summary).toBe('change k8s/service.yaml');
    expect(change?.diff).toEqual({ before: 'kind: Service\n', after: 'kind: Service\nspec: {}\n' });
    expect(commits()).toBe(2);
    expect(show('main', 'k8s/service.yaml')).toBe('kind: Service\nspec: {}\n');
  });

  it('prune removes unlisted files only in the given folders', async () => {
    await runSteps([pushTask()]);
    const { 'k8s/service.yaml': _gone, 'README.md': _readme, ...rest } = files;
    const r = await runSteps([pushTask({ files: rest, prune: ['k8s'] })]);
    expect(r.keys).toEqual([`delete git:${repo}#main:k8s/service.yaml`]);
    expect(tree()).toEqual(['README.md', 'k8s/deployment.yaml']);
  });

  it('keeps files it does not manage, and starts a missing branch from `from`', async () => {
    await runSteps([pushTask()]);
    const t = pushTask({ branch: 'feature/x', from: 'main', files: { 'k8s/extra.yaml': 'x: 1\n' } });
    const r = await runSteps([t]);
    expect(r.keys).toEqual([`create git:${repo}#feature/x:k8s/extra.yaml`]);
    expect(tree('feature/x')).toEqual(['README.md', 'k8s/deployment.yaml', 'k8s/extra.yaml', 'k8s/service.yaml']);
    expect(commits('feature/x')).toBe(2);
    expect((await runSteps([t])).keys).toEqual([]);
  });

  it('refuses to push over a branch that moved after the plan', async () => {
    await runSteps([pushTask()]);
    const ctx = taskContext();
    const plan = (await pushTask({ files: { ...files, 'README.md': '# changed\n' } }).plan(ctx)) as Extract<Plan<unknown>, { apply: unknown }>;
    expect(plan.changes).toHaveLength(1);
    const clone = join(work, `clone${n}`);
    sh(['clone', '--quiet', repo, clone]);
    sh(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '--allow-empty', '-m', 'someone else'], clone);
    sh(['push', '--quiet', 'origin', 'main'], clone);
    await expect(plan.apply()).rejects.toThrow(/the remote branch moved since helix read it/);
    expect(show('main', 'README.md')).toBe('# app\n');
  });

  it('validation: bad paths, secrets in content, bad branch, all reported at once', async () => {
    const secret = new Secret('a-deploy-secret-value', 'test');
    const r = await runSteps([
      git.push('push', {
        repoUrl: 'not a url',
        branch: '-x',
        message: '',
        files: { '../escape': 'x', 'k8s/secret.yaml': `password: ${secret.reveal()}\n`, 'a/.git/config': 'x' },
      }),
    ]);
    expect(r.problems.map((p) => p.message)).toEqual([
      'repoUrl: "not a url" is not an ssh://, user@host:path or local repository URL',
      'branch: "-x" is not a valid branch name',
      'message is required',
      'files: "../escape" has an empty, ".", ".." or ".git" segment',
      'files.k8s/secret.yaml: contains a secret value; secrets do not belong in git',
      'files: "a/.git/config" has an empty, ".", ".." or ".git" segment',
    ]);
    expect(JSON.stringify(r.problems)).not.toContain(secret.reveal());
  });
});

describe('git.branchAbsent', () => {
  it('deletes an existing branch; the second run has nothing to do', async () => {
    await runSteps([pushTask({ branch: 'review' })]);
    const t = git.branchAbsent('gone', { repoUrl: repo, branch: 'review' });
    const check = await runSteps([t], { mode: 'check' });
    expect(check.keys).toEqual([`delete git:${repo}#review`]);
    const r = await runSteps([t]);
    expect(r.keys).toEqual(check.keys);
    expect(sh(['--git-dir', repo, 'branch', '--list']).trim()).toBe('');
    expect((await runSteps([t])).keys).toEqual([]);
  });
});

describe('ssh access', () => {
  const remote = git.parseRemote('ssh://git@10.0.0.5:2222/srv/git/app.git')!;

  it('parses ssh://, scp-like and local URLs', () => {
    expect(remote).toEqual({ url: 'ssh://git@10.0.0.5:2222/srv/git/app.git', transport: 'ssh', host: '10.0.0.5', port: 2222 });
    expect(git.parseRemote('git@github.com:thinkube/devpi.git')).toMatchObject({ transport: 'ssh', host: 'github.com', port: 22 });
    expect(git.parseRemote('/srv/git/app.git')).toMatchObject({ transport: 'local' });
    expect(git.parseRemote('https://github.com/x/y.git')).toBeUndefined();
  });

  it('gives bare host keys the host pattern and keeps full known_hosts lines', () => {
    expect(git.knownHostsLines(remote, ['ssh-ed25519 AAAAkey', 'other.example ssh-rsa AAAAB', '# comment'])).toEqual([
      '[10.0.0.5]:2222 ssh-ed25519 AAAAkey',
      'other.example ssh-rsa AAAAB',
    ]);
  });

  it('checks host keys strictly against only the given keys; a key given as a Secret lives in a 0600 file removed after', async () => {
    const key = new Secret('-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----', 'test');
    let seen: { cmd: string; keyFile: string; mode: number; content: string; known: string } | undefined;
    await withSsh(remote, { sshKey: key, knownHosts: ['ssh-ed25519 AAAAkey'] }, 'p', async (env) => {
      const cmd = env.GIT_SSH_COMMAND!;
      const keyFile = /'-i' '([^']+)'/.exec(cmd)![1]!;
      const known = /UserKnownHostsFile=([^']+)'/.exec(cmd)![1]!;
      seen = { cmd, keyFile, mode: statSync(keyFile).mode & 0o777, content: readFileSync(keyFile, 'utf8'), known: readFileSync(known, 'utf8') };
    });
    expect(seen!.cmd).toContain("'StrictHostKeyChecking=yes'");
    expect(seen!.cmd).toContain("'IdentitiesOnly=yes'");
    expect(seen!.cmd).toContain("'GlobalKnownHostsFile=/dev/null'");
    expect(seen!.cmd).not.toContain('BEGIN OPENSSH');
    expect(seen!.mode).toBe(0o600);
    expect(seen!.content.endsWith('-----END OPENSSH PRIVATE KEY-----\n')).toBe(true);
    expect(seen!.known).toBe('[10.0.0.5]:2222 ssh-ed25519 AAAAkey\n');
    expect(existsSync(seen!.keyFile)).toBe(false);
  });
});
