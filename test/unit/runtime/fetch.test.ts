import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchWithTls, requestInitWithTls, verifiesTls } from '../../../src/runtime/fetch.ts';

describe('fetchWithTls: verification is turned off per target only', () => {
  const dir = mkdtempSync(join(tmpdir(), 'helix-tls-'));
  const servers: Server[] = [];
  /** Two self-signed servers on localhost: `a` (listed as unverified in the tests) and `b`. */
  let a = '';
  let b = '';

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const tls = { key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) };
    const listen = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
      const server = createServer(tls, handler);
      servers.push(server);
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      return `https://localhost:${(server.address() as AddressInfo).port}`;
    };
    b = await listen((_req, res) => res.end('b'));
    a = await listen((req, res) => {
      if (req.url === '/to-b') res.writeHead(302, { location: `${b}/` }).end();
      else res.end('a');
    });
  });
  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const target = (url: string): string => new URL(url).host;

  it('verifies certificates by default and refuses a self-signed one', async () => {
    await expect(fetchWithTls([])(`${a}/`)).rejects.toThrow(/fetch failed/);
  });

  it('skips verification for the listed target only, without changing the global fetch', async () => {
    const f = fetchWithTls([target(a)]);
    expect(await (await f(`${a}/`)).text()).toBe('a');
    // Another target (same host, other port) through the same fetch is still verified.
    await expect(f(`${b}/`)).rejects.toThrow(/fetch failed/);
    // A redirect from the listed target to another one is verified too: the check is per connection.
    await expect(f(`${a}/to-b`)).rejects.toThrow(/fetch failed/);
    await expect(fetch(`${a}/`)).rejects.toThrow(/fetch failed/);
  });

  it('a host listed without a port covers its every port; request options for libraries do the same', async () => {
    const f = fetchWithTls(['localhost']);
    expect(await (await f(`${b}/`)).text()).toBe('b');
    const init = requestInitWithTls([target(b)]);
    expect(await (await fetch(`${b}/`, init)).text()).toBe('b');
    await expect(fetch(`${a}/`, init)).rejects.toThrow(/fetch failed/);
    expect(requestInitWithTls([])).toEqual({});
  });

  it('verifiesTls matches host, or host and port (default ports included)', () => {
    const rows: [string[], string, boolean][] = [
      [[], 'https://kc.example.test/realms', true],
      [['kc.example.test'], 'https://KC.example.test:8443/realms', false],
      [['kc.example.test:443'], 'https://kc.example.test/realms', false],
      [['kc.example.test:443'], 'https://kc.example.test:8443/realms', true],
      [['kc.example.test'], 'https://auth.kc.example.test/', true],
      [['127.0.0.1:8443'], 'https://127.0.0.1:8443/', false],
    ];
    for (const [unverified, url, verified] of rows) expect([unverified, url, verifiesTls(unverified, url)]).toEqual([unverified, url, verified]);
  });
});
