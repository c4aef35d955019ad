import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../src/runtime/kube/config.ts';
import { kubeTransport } from '../../../src/runtime/kube/transport.ts';
import { mask } from '../../../src/runtime/secret.ts';

const dir = mkdtempSync(join(tmpdir(), 'helix-kube-'));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** A kubeconfig with one context whose user is given as YAML lines. */
function kubeconfig(name: string, server: string, user: string[], cluster: string[] = []): string {
  return write(
    name,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: c',
      '  cluster:',
      `    server: ${server}`,
      ...cluster.map((l) => `    ${l}`),
      'users:',
      '- name: u',
      '  user:',
      ...user.map((l) => `    ${l}`),
      'contexts:',
      '- name: ctx',
      '  context: { cluster: c, user: u }',
      'current-context: ctx',
      '',
    ].join('\n'),
  );
}

describe('kubeconfig reader', () => {
  it('reads certificates from files relative to the kubeconfig and from base64 data', () => {
    write('ca.pem', 'CA PEM');
    write('client.pem', 'CERT PEM');
    const file = kubeconfig(
      'files',
      'https://k:6443',
      ['client-certificate: client.pem', `client-key-data: ${Buffer.from('KEY PEM').toString('base64')}`],
      ['certificate-authority: ca.pem', 'tls-server-name: api.internal'],
    );
    const c = loadKubeConfig({ kubeconfig: file }, {});
    expect(c).toMatchObject({
      server: 'https://k:6443',
      ca: 'CA PEM',
      cert: 'CERT PEM',
      key: 'KEY PEM',
      tlsServerName: 'api.internal',
      insecureSkipTlsVerify: false,
    });
    expect(c.legacy).toBeUndefined();
  });

  it('masks a static token; keeps an exec plugin with its folder; hands auth-providers to client-node', () => {
    const t = loadKubeConfig({ kubeconfig: kubeconfig('token', 'https://k', ['token: s3cr3t-token-value']) }, {});
    expect(t.token).toBe('s3cr3t-token-value');
    expect(mask('Bearer s3cr3t-token-value')).toBe('Bearer ********');
    const e = loadKubeConfig(
      { kubeconfig: kubeconfig('exec', 'https://k', ['exec:', '  command: ./cred.sh', '  args: [a]', '  env: [{ name: X, value: "1" }]']) },
      {},
    );
    expect(e.exec).toMatchObject({ command: './cred.sh', args: ['a'], env: { X: '1' }, dir });
    const o = loadKubeConfig({ kubeconfig: kubeconfig('oidc', 'https://k', ['auth-provider:', '  name: oidc', '  config: {}']) }, {});
    expect(o.legacy?.reason).toBe('an auth-provider');
  });

  it('reports a malformed kubeconfig as a config error', () => {
    expect(() => loadKubeConfig({ kubeconfig: write('bad', 'clusters: 3\n') }, {})).toThrow(/cannot load kubeconfig .*clusters must be a list/);
    expect(() => loadKubeConfig({ kubeconfig: write('nocluster', 'contexts: [{ name: a, context: { cluster: x } }]\ncurrent-context: a\n') }, {})).toThrow(
      /context "a" names no cluster/,
    );
  });
});

describe('kube transport', () => {
  const seen: { auth?: string | undefined; impersonate?: string | undefined; remote: number }[] = [];
  let reject401 = 0;
  const server = http.createServer((req, res) => {
    seen.push({ auth: req.headers.authorization, impersonate: req.headers['impersonate-user'] as string | undefined, remote: req.socket.remotePort ?? 0 });
    if (reject401 > 0) {
      reject401--;
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Unauthorized"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  let url = '';
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => void server.close());

  it('sends the token and impersonation headers, and reuses one connection', async () => {
    seen.length = 0;
    const k = kubeTransport(loadKubeConfig({ kubeconfig: kubeconfig('t2', url, ['token: abc-token-1', 'as: alice']) }, {}));
    const a = await k.transport({ method: 'GET', path: '/api', query: { x: '1' } });
    await k.transport({ method: 'GET', path: '/api' });
    k.close();
    expect(a).toEqual({ status: 200, body: { path: '/api?x=1' } });
    expect(seen.map((s) => s.auth)).toEqual(['Bearer abc-token-1', 'Bearer abc-token-1']);
    expect(seen[0]?.impersonate).toBe('alice');
    expect(seen[0]?.remote).toBe(seen[1]?.remote);
  });

  it('runs an exec plugin once, reuses its token, and runs it again after a 401', async () => {
    seen.length = 0;
    const count = join(dir, 'count');
    writeFileSync(count, '');
    const script = write(
      'cred.sh',
      `#!/bin/sh\necho x >> ${count}\nn=$(wc -l < ${count} | tr -d ' ')\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"tok-'$n'"}}'\n`,
    );
    chmodSync(script, 0o755);
    const k = kubeTransport(
      loadKubeConfig({ kubeconfig: kubeconfig('e2', url, ['exec:', '  apiVersion: client.authentication.k8s.io/v1', '  command: ./cred.sh']) }, {}),
    );
    await k.transport({ method: 'GET', path: '/a' });
    await k.transport({ method: 'GET', path: '/b' });
    reject401 = 1;
    const after = await k.transport({ method: 'GET', path: '/c' });
    k.close();
    expect(after.status).toBe(200);
    expect(seen.map((s) => s.auth)).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    expect(readFileSync(count, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('sends basic auth', async () => {
    seen.length = 0;
    const k = kubeTransport(loadKubeConfig({ kubeconfig: kubeconfig('b', url, ['username: bob', 'password: pw-for-bob']) }, {}));
    await k.transport({ method: 'GET', path: '/' });
    k.close();
    expect(seen[0]?.auth).toBe(`Basic ${Buffer.from('bob:pw-for-bob').toString('base64')}`);
  });
});
