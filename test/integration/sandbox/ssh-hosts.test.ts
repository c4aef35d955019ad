import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { USER_COMMENT } from '../../../src/sandbox/users.ts';
import { sshHost } from '../../../src/sandbox/versions.ts';
import { exec, has, sandbox } from './helpers.ts';

const helix = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'helix.js');
const up = (...args: string[]) => exec(process.execPath, [helix, 'sandbox', 'up', '--only', 'ssh', ...args], { timeoutMs: 300_000 });

interface Inv {
  hosts: Record<string, { address: string; user: string; key: string }>;
  groups: Record<string, { hosts: string[] }>;
}
const inventory = (): Inv => parse(readFileSync(sandbox().inventory, 'utf8')) as Inv;
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
const userExists = (name: string) => exec('id', ['-u', name]).then((r) => r.code === 0);

describe.skipIf(!has('ssh'))('sandbox: --ssh-hosts', () => {
  it('adds hosts that accept strict SSH logins, keeps them on a plain up, and removes them again', async () => {
    const before = inventory().groups.sandbox_hosts!.hosts.length;
    const more = before + 2;
    // A user left behind by an earlier sandbox whose state was lost: it carries the sandbox's
    // comment, so this sandbox adopts it and removes it with its host.
    if (!(await userExists(`helix${more}`))) {
      const made = await exec('useradd', [
        '--system',
        '--user-group',
        '--no-create-home',
        '--shell',
        '/bin/sh',
        '--password',
        '*',
        '--comment',
        USER_COMMENT,
        `helix${more}`,
      ]);
      expect(made.code, made.stderr).toBe(0);
    }
    try {
      const grow = await up('--ssh-hosts', String(more));
      expect(grow.code, grow.stderr).toBe(0);
      const inv = inventory();
      expect(inv.groups.sandbox_hosts!.hosts).toEqual(Array.from({ length: more }, (_, i) => `host${i + 1}`));
      for (const name of [`host${before + 1}`, `host${more}`]) {
        const h = inv.hosts[name]!;
        const r = await exec('ssh', [
          '-i',
          h.key,
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          `UserKnownHostsFile=${sandbox().vars.ssh_known_hosts}`,
          `${h.user}@${h.address}`,
          'id -un',
        ]);
        expect(r.code, `${name}: ${r.stderr}`).toBe(0);
        expect(r.stdout.trim()).toBe(h.user);
      }
      const keep = await up();
      expect(keep.code, keep.stderr).toBe(0);
      expect(inventory().groups.sandbox_hosts!.hosts).toHaveLength(more);
    } finally {
      const shrink = await up('--ssh-hosts', String(before));
      expect(shrink.code, shrink.stderr).toBe(0);
    }
    expect(inventory().groups.sandbox_hosts!.hosts).toHaveLength(before);
    expect(namespaces()).not.toMatch(new RegExp(`^helix-host${more}\\b`, 'm'));
    expect(await userExists(`helix${more}`)).toBe(false);
    expect(readFileSync(String(sandbox().vars.ssh_known_hosts), 'utf8')).not.toContain(`${sshHost(more).address} `);
  });

  it('refuses a count outside 1-100 before touching anything', async () => {
    const r = await up('--ssh-hosts', '0');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--ssh-hosts: the number of SSH hosts must be a whole number from 1 to 100/);
  });
});
