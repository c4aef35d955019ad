import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import * as http from '../../../src/modules/http/index.ts';
import { runTask } from '../../fixtures/task-harness.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function listen(server: Server, handler: Handler): Promise<string> {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `${server instanceof Object && 'setSecureContext' in server ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('http tasks against a real HTTP server', () => {
  const server = createServer();
  let base: string;
  const items = new Map<string, string>();
  const posts: string[] = [];
  let healthCalls = 0;

  beforeAll(async () => {
    base = await listen(server, (req, body, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/') {
        res.writeHead(302, { location: `/oauth2/start?rd=${encodeURIComponent('/')}` }).end('found');
      } else if (url.pathname === '/health') {
        healthCalls++;
        if (healthCalls < 3) res.writeHead(503).end('starting');
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      } else if (url.pathname === '/items' && req.method === 'POST') {
        const { name } = JSON.parse(body) as { name: string };
        posts.push(body);
        if (req.headers.authorization !== 'Bearer integration-http-token') {
          res.writeHead(401).end(`bad credentials: ${req.headers.authorization ?? 'none'}`);
          return;
        }
        items.set(name, body);
        res.writeHead(201).end();
      } else if (url.pathname.startsWith('/items/')) {
        const name = url.pathname.slice('/items/'.length);
        if (items.has(name)) res.writeHead(200).end(items.get(name));
        else res.writeHead(404).end('no such item');
      } else if (url.pathname === '/big') {
        res.writeHead(500).end('E'.repeat(3 * 1024 * 1024));
      } else if (url.pathname === '/hang') {
        // never answers
      } else {
        res.writeHead(404).end();
      }
    });
  });
  afterAll(() => close(server));

  it('asserts a redirect target without following it', async () => {
    const r = await runTask(http.assert('front', { url: `${base}/`, expect: { status: 302, redirectTo: '/oauth2/start?rd=%2F' } }));
    expect(r.outcome).toBe('ok');
    expect(r.result?.redirectTo).toBe(`${base}/oauth2/start?rd=%2F`);
    const wrong = await runTask(http.assert('front', { url: `${base}/`, expect: { redirectTo: '/login' } }));
    expect(wrong.error).toBe(
      `t/pb/front: GET ${base}/: expected a redirect to ${base}/login, got ${base}/oauth2/start?rd=%2F (saw status 302, Location ${base}/oauth2/start?rd=%2F, body "found")`,
    );
  });

  it('POST with a probe: check sends nothing, play creates, second play plans nothing', async () => {
    const token = new Secret('integration-http-token');
    const task = http.request('item', {
      url: `${base}/items`,
      method: 'POST',
      headers: { authorization: new Secret(`Bearer ${token.reveal()}`) },
      body: { name: 'a', password: token },
      expect: { status: 201 },
      unless: { url: `${base}/items/a`, expect: { status: 200 } },
    });
    const check = await runTask(task, { mode: 'check' });
    expect(check.changes).toEqual([{ target: `http:POST ${base}/items`, action: 'run', summary: `POST ${base}/items` }]);
    expect(posts).toEqual([]);
    const first = await runTask(task);
    expect(first.outcome).toBe('changed');
    expect(posts).toEqual(['{"name":"a","password":"integration-http-token"}']);
    const second = await runTask(task);
    expect(second.outcome).toBe('ok');
    expect(second.reason).toBe(`GET ${base}/items/a already answers status 200: POST not needed`);
    expect(JSON.stringify([check.events, first.events, second.events])).not.toContain('integration-http-token');
  });

  it('a failure shows the status and the masked body, never the secret', async () => {
    const wrong = new Secret('Bearer wrong-http-token-55');
    const r = await runTask(
      http.request('item', { url: `${base}/items`, method: 'POST', headers: { authorization: wrong }, body: { name: 'b' }, idempotent: false }),
    );
    expect(r.error).toBe(`t/pb/item: POST ${base}/items: expected a 2xx status, got 401 (saw status 401, body "bad credentials: ********")`);
  });

  it('cuts a large body in messages', async () => {
    const r = await runTask(http.assert('big', { url: `${base}/big` }));
    expect(r.error).toMatch(/expected a 2xx status, got 500 \(saw status 500, body "E{200}…"\)$/);
  });

  it('gives up on a server that does not answer', async () => {
    const r = await runTask(http.assert('hang', { url: `${base}/hang`, timeoutMs: 200 }));
    expect(r.error).toBe(`t/pb/hang: GET ${base}/hang: no answer within 200 ms`);
  });

  it('waits until a server is healthy', async () => {
    healthCalls = 0;
    const task = http.waitUntil('healthy', { url: `${base}/health`, expect: { status: 200, bodyMatch: /"status":"ok"/ }, intervalMs: 20 });
    const r = await runTask(task);
    expect(r.outcome).toBe('changed');
    expect(r.changes[0]?.summary).toBe(
      `wait until GET ${base}/health answers status 200, body matching /"status":"ok"/ (now: expected status 200, got 503; expected a body matching /"status":"ok"/ (saw status 503, body "starting"))`,
    );
    expect(healthCalls).toBe(3);
    expect((await runTask(task)).outcome).toBe('ok');
  });

  it('names a refused connection', async () => {
    const closed = createServer();
    const url = await listen(closed, () => {});
    await close(closed);
    const r = await runTask(http.assert('down', { url }));
    expect(r.error).toMatch(new RegExp(`^t/pb/down: GET ${url}: connect ECONNREFUSED`));
  });
});

describe('TLS verification against a self-signed HTTPS server', () => {
  let dir: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'helix-http-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=helix-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
    base = await listen(server, (_req, _body, res) => res.writeHead(200).end('secure hello'));
  });
  afterAll(async () => {
    await close(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies certificates by default and refuses a self-signed one', async () => {
    expect(base.startsWith('https://')).toBe(true);
    const r = await runTask(http.assert('tls', { url: base }));
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/self[- ]signed certificate/);
  });

  it('accepts it only when the environment turns verification off for that target', async () => {
    const r = await runTask(http.assert('tls', { url: base, expect: { bodyMatch: 'secure hello' } }), { env: { tlsUnverified: { '127.0.0.1': 'test' } } });
    expect(r.outcome).toBe('ok');
    const again = await runTask(http.assert('tls', { url: base }));
    expect(again.outcome).toBe('failed');
  });
});
