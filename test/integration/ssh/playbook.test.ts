import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateSshKeypair } from '../../../src/modules/github/keypair.ts';
import { SshConnection } from '../../../src/modules/ssh/connection.ts';
import { SshTransport, transportDefaults } from '../../../src/modules/ssh/transport.ts';
import { changeKey } from '../../../src/runtime/change.ts';
import { collect, EventBus, type RunEvent } from '../../../src/runtime/events.ts';
import { run, type RunOptions } from '../../../src/runtime/run.ts';
import { readSandboxInventory, type SandboxHost } from '../../support/sandbox.ts';
import { stopHost } from './hosts.ts';

const root = fileURLToPath(new URL('../../fixtures/sshproject', import.meta.url));
const inventory = readSandboxInventory();
const hostNames = inventory?.groups.sandbox_hosts?.hosts ?? [];
const extraDir = mkdtempSync(join(tmpdir(), 'hx-ssh-it-'));
const extraFile = join(extraDir, 'extra.yaml');

/** Writes the test's extra inventory layer (hosts redefined over the sandbox's). */
function extra(hosts: Record<string, Record<string, unknown>> = {}): void {
  writeFileSync(extraFile, Object.keys(hosts).length ? stringify({ hosts }) : '{}\n');
}

function host(name: string): SandboxHost {
  const h = inventory!.hosts[name];
  if (!h) throw new Error(`sandbox inventory has no host ${name}`);
  return h;
}

async function play(component: string, extraOpts: Partial<RunOptions> = {}, onEvent?: (e: RunEvent) => void) {
  const bus = new EventBus();
  const events = collect(bus);
  if (onEvent) bus.on(onEvent);
  const result = await run({ root, component, env: 'sandbox', selection: 'play', mode: 'apply', bus, ...extraOpts });
  const keys = result.changes.map((c) => `${c.host} ${changeKey(c.change)}`).sort();
  return { result, events, keys };
}

/** Runs a command on a sandbox host over a fresh connection (to look at what a run left). */
async function onHost(name: string, argv: string[]): Promise<string> {
  const h = host(name);
  const spec = {
    address: h.address,
    port: h.port ?? 22,
    user: h.user,
    ...(h.key ? { key: h.key } : {}),
    hostKeys: h.hostKeys ?? [],
    insecureSkipHostKeyCheck: false,
    vars: {},
  };
  const t = new SshTransport(name, new SshConnection({ name, spec }), undefined);
  try {
    return (await t.check({ argv }, argv.join(' '))).stdout;
  } finally {
    t.close();
  }
}

describe.skipIf(hostNames.length < 3)('ssh playbooks on the sandbox hosts', () => {
  beforeAll(async () => {
    process.env.HELIX_SSH_TEST_EXTRA_INVENTORY = extraFile;
    transportDefaults.connectTimeoutMs = 3000;
    extra();
    const clean = await play('sshclean');
    expect(clean.result.ok).toBe(true);
  });
  afterAll(() => {
    extra();
  });

  it('first run changes, --check predicted it exactly, the second run changes nothing', async () => {
    const check = await play('sshdemo', { mode: 'check' });
    expect(check.result.ok).toBe(true);
    const first = await play('sshdemo');
    expect(first.result.ok).toBe(true);
    expect(first.keys).toEqual(check.keys);
    for (const name of hostNames) {
      const mine = first.keys.filter((k) => k.startsWith(`${name} `));
      expect(mine).toHaveLength(10);
      expect(mine.some((k) => k.includes('run exec:') && k.endsWith('/handlers/restart-app'))).toBe(true);
      expect(first.result.recap[name]).toMatchObject({ failed: 0, changed: 7 });
    }
    const h1 = hostNames[0]!;
    expect(await onHost(h1, ['sh', '-c', 'cat ~/helix-demo/app.conf'])).toBe(
      `# helix-demo on ${h1}, managed by helix\nname = helix-demo\nport = 8080\nowner = ${host(h1).user}\n`,
    );
    expect(await onHost(h1, ['sh', '-c', 'cat ~/helix-demo/static/sub/site.css ~/helix-demo/initialized; stat -c %a ~/helix-demo/app.conf'])).toBe(
      'body { color: teal; }\ninitialized\n640\n',
    );

    const second = await play('sshdemo');
    expect(second.result.ok).toBe(true);
    expect(second.keys).toEqual([]);
    for (const name of hostNames) expect(second.result.recap[name]).toMatchObject({ changed: 0, failed: 0, ok: 7 });
    const again = await play('sshdemo', { mode: 'check' });
    expect(again.keys).toEqual([]);

    // Timings for the record (not asserted): a no-op task is one cached read away.
    const oks = second.events.flatMap((e) => (e.type === 'task.ok' && !e.path.endsWith('/facts') ? [e.durationMs] : []));
    const end = second.events.find((e) => e.type === 'run.end');
    console.log(
      `ssh no-op run on ${hostNames.length} hosts: ${oks.length} host-tasks after facts, mean ${(oks.reduce((a, b) => a + b, 0) / oks.length).toFixed(1)} ms, ` +
        `max ${Math.max(...oks)} ms; whole run ${end?.type === 'run.end' ? end.durationMs : '?'} ms`,
    );
  });

  it('refuses a host whose key changed; the other hosts carry on', async () => {
    const victim = hostNames[0]!;
    const wrong = generateSshKeypair('wrong').publicKey.split(' ').slice(0, 2).join(' ');
    extra({ [victim]: { ...host(victim), hostKeys: [wrong] } });
    try {
      const { result, events } = await play('sshdemo');
      expect(result.ok).toBe(false);
      const failed = events.filter((e) => e.type === 'task.failed');
      expect(failed.map((e) => e.type === 'task.failed' && e.host)).toEqual([victim]);
      expect(failed[0]?.type === 'task.failed' && failed[0].error).toMatch(/host key CHANGED: the host offered ssh-ed25519 SHA256:/);
      for (const name of hostNames.slice(1)) expect(result.recap[name]).toMatchObject({ failed: 0, ok: 7 });
    } finally {
      extra();
    }
  });

  it('a host stopped mid-run fails alone while the others finish', async () => {
    await play('sshclean');
    const victim = hostNames[1]!;
    const h = host(victim);
    let restore: (() => void) | undefined;
    try {
      const { result, events } = await play('sshdemo', {}, (e) => {
        if (!restore && e.type === 'task.changed' && e.host === victim && e.path.endsWith('/app-dir')) restore = stopHost(victim, h.address, h.port ?? 22);
      });
      expect(restore).toBeDefined();
      expect(result.ok).toBe(false);
      expect(result.recap[victim]).toMatchObject({ failed: 1, unreachable: 1 });
      const unreachable = events.filter((e) => e.type === 'host.unreachable');
      expect(unreachable.map((e) => e.type === 'host.unreachable' && e.host)).toEqual([victim]);
      expect(unreachable[0]?.type === 'host.unreachable' && unreachable[0].error).toMatch(/unreachable/);
      for (const name of hostNames.filter((n) => n !== victim)) {
        expect(result.recap[name]).toMatchObject({ failed: 0, changed: 7 });
      }
      // The victim ran nothing after it failed.
      expect(events.some((e) => e.type === 'task.start' && e.host === victim && e.path.endsWith('/initialize'))).toBe(false);
    } finally {
      restore?.();
    }
    const after = await play('sshdemo');
    expect(after.result.ok).toBe(true);
  });
});
