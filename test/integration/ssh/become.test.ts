import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SshConnection } from '../../../src/modules/ssh/connection.ts';
import { SshTransport } from '../../../src/modules/ssh/transport.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { readSandboxInventory } from '../../support/sandbox.ts';

/**
 * `become` through sudo with a password that must never appear in any output. The sandbox
 * has no sudo user, so this test makes one (on the admin_workstation host, which shares
 * users and files with this machine): it installs sudo if missing, gives the login user a
 * password and a sudoers entry, and undoes both afterwards.
 */
const root = fileURLToPath(new URL('../../fixtures/sshproject', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const inventory = readSandboxInventory();
const name = inventory?.groups.admin_workstation?.hosts[0];
const host = name ? inventory?.hosts[name] : undefined;
const dir = mkdtempSync(join(tmpdir(), 'hx-become-'));
const extraFile = join(dir, 'extra.yaml');
const sudoers = '/etc/sudoers.d/helix-ssh-become-test';
const password = `hx-become-${randomBytes(12).toString('hex')}`;
const wrong = `hx-wrong-${randomBytes(12).toString('hex')}`;
let savedHash: string | undefined;

function sh(argv: string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function cli(args: string[], becomePassword: string): { code: number; output: string } {
  const r = spawnSync(process.execPath, [join(repo, 'bin/helix.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, HELIX_ROOT: root, HELIX_SSH_TEST_EXTRA_INVENTORY: extraFile, HELIX_SSH_TEST_BECOME_PW: becomePassword, NO_COLOR: '1' },
    timeout: 120_000,
  });
  return { code: r.status ?? -1, output: `${r.stdout}\n${r.stderr}` };
}

/** Runs a command as root on the host, over SSH with the become password. */
async function asRoot(argv: string[]): Promise<string> {
  const spec = {
    address: host!.address,
    port: host!.port ?? 22,
    user: host!.user,
    ...(host!.key ? { key: host!.key } : {}),
    hostKeys: host!.hostKeys ?? [],
    insecureSkipHostKeyCheck: false,
    vars: {},
  };
  const t = new SshTransport(name!, new SshConnection({ name: name!, spec }), new Secret(password));
  try {
    return (await t.check({ argv, become: { user: 'root' } }, argv.join(' '))).stdout;
  } finally {
    t.close();
  }
}

describe.skipIf(!host || process.getuid?.() !== 0)('become with a sudo password (sandbox admin_workstation)', () => {
  beforeAll(() => {
    const user = host!.user;
    if (spawnSync('sh', ['-c', 'command -v sudo']).status !== 0) {
      // A fresh machine may have no package lists yet.
      if (spawnSync('apt-get', ['install', '-y', '-q', 'sudo'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status !== 0) {
        sh(['apt-get', 'update', '-q']);
        sh(['apt-get', 'install', '-y', '-q', 'sudo']);
      }
    }
    savedHash = sh(['getent', 'shadow', user]).split(':')[1];
    sh(['chpasswd'], `${user}:${password}\n`);
    writeFileSync(sudoers, `${user} ALL=(ALL:ALL) ALL\n`, { mode: 0o440 });
    sh(['visudo', '-cf', sudoers]);
    writeFileSync(extraFile, stringify({ hosts: { [name!]: { ...host, becomePassword: { secret: { env: 'HELIX_SSH_TEST_BECOME_PW' } } } } }));
  });

  afterAll(async () => {
    try {
      await asRoot(['rm', '-f', '/etc/helix-become-test', '/root/helix-become-test.whoami']);
    } finally {
      rmSync(sudoers, { force: true });
      if (savedHash !== undefined) sh(['usermod', '-p', savedHash, host!.user]);
    }
  });

  it('writes a root-owned file and runs a command as root; the password never shows', async () => {
    await asRoot(['rm', '-f', '/etc/helix-become-test', '/root/helix-become-test.whoami']);
    const first = cli(['play', 'sshbecome', '--env', 'sandbox', '--diff', '--verbose'], password);
    expect(first.output).not.toContain(password);
    expect(first.code, first.output).toBe(0);
    expect(first.output).toMatch(/create file:host\d?[^ ]*:\/etc\/helix-become-test/);
    expect(await asRoot(['stat', '-c', '%U %G %a', '/etc/helix-become-test'])).toBe('root root 600\n');
    expect(await asRoot(['cat', '/root/helix-become-test.whoami'])).toBe('root\n');

    const second = cli(['play', 'sshbecome', '--env', 'sandbox', '--json'], password);
    expect(second.output).not.toContain(password);
    expect(second.code, second.output).toBe(0);
    const end = second.output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string; recap?: Record<string, { changed: number }> })
      .find((e) => e.type === 'run.end');
    expect(end?.recap?.[name!]?.changed).toBe(0);
  });

  it('a wrong password fails the host with a clear message, and shows neither password', () => {
    const r = cli(['play', 'sshbecome', '--env', 'sandbox'], wrong);
    expect(r.code).toBe(1);
    expect(r.output).toContain('become: sudo refused the password');
    expect(r.output).not.toContain(wrong);
    expect(r.output).not.toContain(password);
  });
});
