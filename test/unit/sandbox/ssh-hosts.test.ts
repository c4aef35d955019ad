import { describe, expect, it } from 'vitest';
import { parseSshHostCount } from '../../../src/sandbox/components/ssh.ts';
import { GIT_HOST, SSH_HOSTS_MAX, sshHost, sshHostList } from '../../../src/sandbox/versions.ts';

describe('sandbox: SSH host count', () => {
  it.each([
    { n: 1, want: { name: 'host1', address: '10.213.7.11', user: 'helix1' } },
    { n: 9, want: { name: 'host9', address: '10.213.7.19', user: 'helix9' } },
    { n: 10, want: { name: 'host10', address: '10.213.7.21', user: 'helix10' } },
    { n: 20, want: { name: 'host20', address: '10.213.7.31', user: 'helix20' } },
  ])('host $n → $want.address', ({ n, want }) => {
    expect(sshHost(n)).toEqual(want);
  });

  it('gives every host its own address in the /24, never the git host or the gateway', () => {
    const hosts = sshHostList(SSH_HOSTS_MAX);
    const addrs = hosts.map((h) => h.address);
    expect(new Set(addrs).size).toBe(hosts.length);
    expect(addrs).not.toContain(GIT_HOST.address);
    for (const a of addrs) expect(Number(a.split('.')[3])).toBeGreaterThan(10);
    expect(Number(addrs.at(-1)!.split('.')[3])).toBeLessThan(255);
  });

  it.each([
    { raw: undefined, want: undefined },
    { raw: '', want: undefined },
    { raw: '20', want: 20 },
    { raw: ' 3 ', want: 3 },
    { raw: 1, want: 1 },
  ])('parses $raw', ({ raw, want }) => {
    expect(parseSshHostCount(raw, '--ssh-hosts')).toBe(want);
  });

  it.each(['0', '-1', '2.5', 'x', String(SSH_HOSTS_MAX + 1)])('refuses %s, naming where it came from', (raw) => {
    expect(() => parseSshHostCount(raw, 'HELIX_SANDBOX_SSH_HOSTS')).toThrow(
      /^HELIX_SANDBOX_SSH_HOSTS: the number of SSH hosts must be a whole number from 1 to 100/,
    );
  });
});
