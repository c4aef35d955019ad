import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SshConnection } from '../../../src/modules/ssh/connection.ts';
import { fingerprint, parseKeyText } from '../../../src/modules/ssh/hostkeys.ts';
import { SshTransport } from '../../../src/modules/ssh/transport.ts';
import { TargetError } from '../../../src/runtime/errors.ts';
import type { HostSpec } from '../../../src/runtime/env.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { type FakeSshd, keyPair, startFakeSshd } from './fake-sshd.ts';

let sshd: FakeSshd;
beforeAll(async () => {
  sshd = await startFakeSshd();
});
afterAll(async () => {
  await sshd.close();
});

function transport(spec: HostSpec, extra: { workers?: boolean; logs?: string[]; connectTimeoutMs?: number } = {}): SshTransport {
  const connection = new SshConnection({
    name: 'h1',
    spec,
    connectTimeoutMs: extra.connectTimeoutMs ?? 3000,
    knownHostsFiles: [],
    ...(extra.workers !== undefined ? { workers: extra.workers } : {}),
    log: (m, level) => extra.logs?.push(`${level}: ${m}`),
  });
  return new SshTransport('h1', connection, spec.becomePassword);
}

describe.each([
  ['workers', true],
  ['a channel per command', false],
])('SSH transport (%s)', (_name, workers) => {
  it('runs argv with env, cwd and stdin over one connection', async () => {
    const t = transport(sshd.spec(), { workers });
    const before = sshd.connections;
    try {
      const r = await t.run({
        argv: ['sh', '-c', 'printf "%s|%s|" "$A" "$(pwd)"; cat; echo err >&2; exit 3'],
        env: { A: "x 'y'" },
        cwd: '/tmp',
        stdin: 'in\0put',
      });
      expect(r).toEqual({ code: 3, stdout: "x 'y'|/tmp|in\0put", stderr: 'err\n' });
      const many = await Promise.all(Array.from({ length: 20 }, (_, i) => t.run({ argv: ['echo', String(i)] })));
      expect(many.map((m) => m.stdout)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}\n`));
      const big = 'x'.repeat(300_000);
      expect((await t.run({ argv: ['cat'], stdin: big })).stdout.length).toBe(big.length);
      expect((await t.run({ argv: ['head', '-c', '1'], stdin: big })).stdout).toBe('x');
      expect((await t.run({ argv: ['echo', 'still in sync'] })).stdout).toBe('still in sync\n');
      expect(sshd.connections - before).toBe(1);
    } finally {
      t.close();
    }
  });

  it('reconnects after losing the connection between commands, and fails a command cut off as unreachable', async () => {
    const t = transport(sshd.spec(), { workers });
    try {
      await t.run({ argv: ['true'] });
      sshd.dropClients();
      await new Promise((r) => setTimeout(r, 100));
      expect((await t.run({ argv: ['echo', 'back'] })).stdout).toBe('back\n');
      const running = t.run({ argv: ['sleep', '5'] });
      setTimeout(() => sshd.dropClients(), 200);
      await expect(running).rejects.toThrow(/unreachable: connection lost/);
    } finally {
      t.close();
    }
  });
});

describe('SSH connection', () => {
  it('refuses a changed host key, naming both fingerprints', async () => {
    const other = keyPair().public;
    const t = transport(sshd.spec({ hostKeys: [other] }));
    const error = await t.run({ argv: ['true'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TargetError);
    const message = (error as Error).message;
    expect(message).toContain('host key CHANGED');
    expect(message).toContain(fingerprint(parseKeyText(sshd.hostKey, 'x')!.blob!));
    expect(message).toContain(parseKeyText(other, 'x')!.fingerprint);
    // A refused key is a failure of its own, not an unreachable host (the engine matches /unreachable|connect/).
    expect(message).not.toMatch(/unreachable|connect/i);
    t.close();
  });

  it('refuses an unknown host (no hostKeys, nothing in known_hosts)', async () => {
    const t = transport(sshd.spec({ hostKeys: [] }));
    await expect(t.run({ argv: ['true'] })).rejects.toThrow(/host key is unknown: the host offered ssh-ed25519 SHA256:/);
    t.close();
  });

  it('skips host key checking only when told, with a warning', async () => {
    const logs: string[] = [];
    const t = transport(sshd.spec({ hostKeys: [], insecureSkipHostKeyCheck: true }), { logs });
    expect((await t.run({ argv: ['echo', 'ok'] })).stdout).toBe('ok\n');
    expect(logs.join()).toMatch(/warn: host key checking is OFF for h1/);
    t.close();
  });

  it('reports a refused port, a silent server and a rejected key as unreachable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = transport(sshd.spec({ port }));
    await expect(refused.run({ argv: ['true'] })).rejects.toThrow(/unreachable: ECONNREFUSED/);

    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const quiet = transport(sshd.spec({ port: (silent.address() as AddressInfo).port }), { connectTimeoutMs: 300 });
    const started = Date.now();
    await expect(quiet.run({ argv: ['true'] })).rejects.toThrow(/unreachable: no SSH (handshake|session) within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
    silent.close();

    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const wrong = join(mkdtempSync(join(tmpdir(), 'hx-key-')), 'id');
    writeFileSync(wrong, keyPair().private, { mode: 0o600 });
    const denied = transport(sshd.spec({ key: wrong }));
    await expect(denied.run({ argv: ['true'] })).rejects.toThrow(/unreachable: authentication as tester failed/);
  });

  it('sends the become password on stdin only', async () => {
    const password = new Secret('become-pw-on-stdin-only');
    // A channel per command, so the command line is the exec request the server records.
    const t = transport(sshd.spec({ becomePassword: password }), { workers: false });
    await t.run({ argv: ['true'], become: { user: 'root' } }).catch(() => undefined);
    expect(sshd.commands.join('\n')).not.toContain('become-pw-on-stdin-only');
    expect(sshd.commands.some((c) => c.includes('sudo -H -S'))).toBe(true);
    t.close();
  });

  it('fails commands after close', async () => {
    const t = transport(sshd.spec());
    await t.run({ argv: ['true'] });
    t.close();
    await expect(t.run({ argv: ['true'] })).rejects.toThrow(/connection is closed/);
  });
});
