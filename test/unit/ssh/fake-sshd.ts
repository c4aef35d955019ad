import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { generateSshKeypair } from '../../../src/modules/github/keypair.ts';
import type { HostSpec } from '../../../src/runtime/env.ts';

const { Server, utils } = ssh2;

export interface FakeSshd {
  port: number;
  /** `ssh-ed25519 AAAA…` of the server's host key. */
  hostKey: string;
  /** Client key file the server accepts. */
  keyFile: string;
  /** Commands the server was asked to run, in order. */
  commands: string[];
  /** Connections accepted so far. */
  connections: number;
  spec(extra?: Partial<HostSpec>): HostSpec;
  /** Drops every client connection (as a host going away would). */
  dropClients(): void;
  close(): Promise<void>;
}

/**
 * An ed25519 key pair in OpenSSH formats. Made with helix's own generator: ssh2's
 * `utils.generateKeyPairSync('ed25519')` drops leading zero bytes of the public key, so about
 * 1 key in 256 cannot be parsed (mscdex/ssh2#1513).
 */
export function keyPair(): { public: string; private: string } {
  const k = generateSshKeypair('fake-sshd');
  return { public: k.publicKey, private: k.privateKey.reveal() };
}

/** An in-process SSH server (ssh2's) that runs exec requests with the local `sh -c`. */
export async function startFakeSshd(): Promise<FakeSshd> {
  const host = keyPair();
  const client = keyPair();
  const allowed = utils.parseKey(client.public);
  if (allowed instanceof Error) throw allowed;
  const dir = mkdtempSync(join(tmpdir(), 'hx-fake-sshd-'));
  const keyFile = join(dir, 'id_ed25519');
  writeFileSync(keyFile, client.private, { mode: 0o600 });
  const sockets = new Set<{ end(): void }>();
  const commands: string[] = [];
  let connections = 0;

  const server = new Server({ hostKeys: [host.private] }, (conn) => {
    connections++;
    sockets.add(conn);
    conn.on('close', () => sockets.delete(conn));
    conn.on('error', () => {});
    conn.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type || !ctx.key.data.equals(allowed.getPublicSSH())) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    conn.on('ready', () => {
      conn.on('session', (accept) => {
        const session = accept();
        session.on('exec', (acceptExec, _reject, info) => {
          commands.push(info.command);
          const stream = acceptExec();
          const child = spawn('/bin/sh', ['-c', info.command], { stdio: ['pipe', 'pipe', 'pipe'] });
          stream.pipe(child.stdin);
          child.stdin.on('error', () => {});
          child.stdout.pipe(stream, { end: false });
          child.stderr.pipe(stream.stderr, { end: false });
          stream.on('close', () => child.kill('SIGKILL'));
          child.on('close', (code) => {
            stream.exit(code ?? 128);
            stream.end();
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  const hostKey = host.public.split(' ').slice(0, 2).join(' ');
  return {
    port,
    hostKey,
    keyFile,
    commands,
    get connections() {
      return connections;
    },
    spec: (extra = {}) => ({
      address: '127.0.0.1',
      port,
      user: 'tester',
      key: keyFile,
      hostKeys: [hostKey],
      insecureSkipHostKeyCheck: false,
      vars: {},
      ...extra,
    }),
    dropClients: () => {
      for (const s of sockets) s.end();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.end();
        server.close(() => resolve());
      }),
  };
}
