import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, has, sandbox, v } from './helpers.ts';

const sshOpts = (knownHosts: string) => [
  '-o',
  'IdentitiesOnly=yes',
  '-o',
  'BatchMode=yes',
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  `UserKnownHostsFile=${knownHosts}`,
  '-o',
  'ConnectTimeout=10',
];

describe.skipIf(!has('ssh'))('sandbox: SSH hosts', () => {
  const hosts = () => Object.entries(sandbox().hosts);

  it('has at least three hosts, each with its own address, user and host key', () => {
    const h = hosts();
    expect(h.length).toBeGreaterThanOrEqual(3);
    for (const field of ['address', 'user'] as const) expect(new Set(h.map(([, x]) => x[field])).size).toBe(h.length);
    expect(new Set(h.map(([, x]) => x.hostKeys[0])).size).toBe(h.length);
    expect(sandbox().groups.sandbox_hosts).toEqual(h.map(([n]) => n));
  });

  it('logs in to every host with strict host-key checking, each in its own network namespace', async () => {
    for (const [name, h] of hosts()) {
      const r = await exec('ssh', [
        '-i',
        h.key,
        ...sshOpts(v('ssh_known_hosts')),
        '-p',
        String(h.port),
        `${h.user}@${h.address}`,
        'id -un; ip -o -4 addr show',
      ]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      const [user, ...addrs] = r.stdout.trim().split('\n');
      expect(user).toBe(h.user);
      // Inside the host's namespace only its own address (and loopback) exists.
      const ips = addrs.map((l) => /inet (\S+)\//.exec(l)?.[1]).filter(Boolean);
      expect(ips.sort()).toEqual(['127.0.0.1', h.address].sort());
    }
  });

  it('refuses a host whose key is not in known_hosts (strict checking is real)', async () => {
    const [, h] = hosts()[0]!;
    const empty = join(mkdtempSync(join(tmpdir(), 'helix-ssh-')), 'known_hosts');
    writeFileSync(empty, '');
    const r = await exec('ssh', ['-i', h.key, ...sshOpts(empty), `${h.user}@${h.address}`, 'true']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/Host key verification failed/);
  });
});

describe.skipIf(!has('git'))('sandbox: git over SSH', () => {
  it('pushes a commit to a sandbox repository and reads it back', async () => {
    const work = mkdtempSync(join(tmpdir(), 'helix-git-'));
    const env = {
      ...process.env,
      GIT_SSH_COMMAND: v('git_ssh_command'),
      GIT_AUTHOR_NAME: 'helix',
      GIT_AUTHOR_EMAIL: 'helix@example.invalid',
      GIT_COMMITTER_NAME: 'helix',
      GIT_COMMITTER_EMAIL: 'helix@example.invalid',
    };
    const remote = `${v('git_remote_base')}/sandbox.git`;
    const git = (...args: string[]) => exec('git', args, { cwd: work, env });
    expect((await git('init', '-q', '-b', 'main')).code).toBe(0);
    writeFileSync(join(work, 'README'), `pushed by the sandbox test ${Date.now()}\n`);
    await git('add', 'README');
    await git('commit', '-q', '-m', 'sandbox test');
    const head = (await git('rev-parse', 'HEAD')).stdout.trim();
    const branch = `test-${process.pid}-${Date.now()}`;
    const push = await git('push', remote, `HEAD:refs/heads/${branch}`);
    expect(push.code, push.stderr).toBe(0);
    const ls = await git('ls-remote', remote, `refs/heads/${branch}`);
    expect(ls.stdout.split('\t')[0]).toBe(head);
    await git('push', remote, `:refs/heads/${branch}`);
  });

  it('serves git only (git-shell), not a login shell', async () => {
    const r = await exec('ssh', ['-i', v('git_ssh_key'), ...sshOpts(v('git_known_hosts')), `${v('git_user')}@${v('git_host')}`, 'id']);
    expect(r.code).not.toBe(0);
  });
});
