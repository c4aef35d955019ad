import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { sandboxDir } from '../../../src/runtime/paths.ts';
import { port } from '../../../src/port/index.ts';
import { helix, repo } from '../cli/run.ts';

/**
 * `delegate_to` a templated host, a loop over an earlier task's results and an `async` command
 * (test/fixtures/port/delegate, our own), ported and played with `node bin/helix.js play` on the
 * sandbox's SSH hosts: the play runs on host1 and writes on host2 and host3; the second play
 * changes nothing. The sandbox's hosts share one file system, each logging in as its own user:
 * the owner of each file says which host wrote it.
 */
const inventory = parse(readFileSync(join(sandboxDir(), 'inventory.yaml'), 'utf8')) as {
  hosts: Record<string, { address: string; port: number; user: string; key: string }>;
  vars: { ssh_known_hosts: string };
};

function onHost(name: string, argv: string[]): string {
  const h = inventory.hosts[name]!;
  const opts = [
    '-i',
    h.key,
    '-p',
    String(h.port),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    `UserKnownHostsFile=${inventory.vars.ssh_known_hosts}`,
  ];
  return execFileSync('ssh', [...opts, `${h.user}@${h.address}`, ...argv], { encoding: 'utf8', timeout: 30_000 });
}

describe('helix port: delegate_to, loops over results and async, played on the sandbox hosts', () => {
  const id = `${process.pid}-${Date.now().toString(36)}`;
  const dir = `/tmp/hx-port-delegate-${id}`;
  const work = mkdtempSync(join(tmpdir(), 'helix-port-delegate-'));
  const out = join(repo, 'test/.port-out', `it-delegate-${id}`);
  afterAll(() => {
    onHost('host2', ['rm', '-rf', `${dir}-a`]);
    onHost('host3', ['rm', '-rf', `${dir}-b`]);
    rmSync(work, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });

  it('writes on the delegated hosts, and a second play changes nothing', async () => {
    const src = readFileSync(join(repo, 'test/fixtures/port/delegate/site.yml'), 'utf8').replace('dir: /tmp/hx-port-delegate', `dir: ${dir}`);
    writeFileSync(join(work, 'site.yml'), src);
    const { report } = port(work, out, { component: 'port-delegate' });
    expect(report.totals).toMatchObject({ found: 4, mapped: 3, dropped: 1, todo: 0 });
    writeFileSync(join(out, 'inventory', 'local.yaml'), 'include: [sandbox]\ncomponents: {}\n');

    const first = await helix(['play', 'port-delegate', '--env', 'local'], { cwd: out });
    expect(first.code, first.out).toBe(0);
    for (const [h, key] of [
      ['host2', 'a'],
      ['host3', 'b'],
    ] as const) {
      expect(onHost(h, ['cat', `${dir}-${key}/marker`])).toBe(`${key} from host1\n`);
      // Written by the delegated host's user, not by host1's.
      expect(onHost(h, ['stat', '-c', '%U', `${dir}-${key}`, `${dir}-${key}/marker`])).toBe(`${inventory.hosts[h]!.user}\n`.repeat(2));
    }

    const second = await helix(['play', 'port-delegate', '--env', 'local', '--json'], { cwd: out });
    expect(second.code, second.out).toBe(0);
    const events = second.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { type: string });
    expect(events.filter((e) => e.type === 'task.changed')).toEqual([]);
  }, 300_000);
});
