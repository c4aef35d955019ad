import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithTls } from '../../../src/runtime/fetch.ts';

describe('fetchWithTls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helix-tls-'));
  let server: Server;
  let url = '';

  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
    server = createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies certificates by default and refuses a self-signed one', async () => {
    await expect(fetchWithTls(true)(url)).rejects.toThrow(/fetch failed/);
  });

  it('skips verification only when the environment turns it off, without changing the global fetch', async () => {
    expect(await (await fetchWithTls(false)(url)).text()).toBe('ok');
    await expect(fetch(url)).rejects.toThrow(/fetch failed/);
  });
});
