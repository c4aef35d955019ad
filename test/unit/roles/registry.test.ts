import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { imageAbsent, imageExists, imagesAbsent } from '../../../roles/waiting_for_image.ts';
import { runTask } from '../../fixtures/task-harness.ts';

/** A registry at the HTTP seam: manifests by tag, deleted by digest (405 when deletes are off). */
const registry = { tags: new Map<string, string>(), deleteAllowed: true, requests: [] as string[] };
let server: Server;
let dir: string;
let host: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'helix-registry-'));
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
      join(dir, 'ca.crt'),
      '-days',
      '1',
      '-subj',
      '/CN=registry',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) }, (req, res) => {
    registry.requests.push(`${req.method} ${req.url}`);
    // Another repository asks for credentials, as Harbor does for a private project.
    if (!req.url!.startsWith('/v2/helix/devpi/')) return void res.writeHead(401).end();
    if (req.method === 'GET' && req.url!.startsWith('/v2/helix/devpi/tags/list')) {
      // Two tags a page, as a registry with a small page size answers `n`.
      const all = [...registry.tags.keys()].sort();
      const last = new URL(req.url!, 'https://x').searchParams.get('last');
      const page = all.filter((t) => !last || t > last).slice(0, 2);
      const more = all.filter((t) => !last || t > last).length > 2;
      const link = more ? { link: `</v2/helix/devpi/tags/list?n=2&last=${page.at(-1)}>; rel="next"` } : {};
      return void res.writeHead(200, { 'content-type': 'application/json', ...link }).end(JSON.stringify({ name: 'helix/devpi', tags: page }));
    }
    const ref = decodeURIComponent(req.url!.replace('/v2/helix/devpi/manifests/', ''));
    if (req.method === 'HEAD') {
      const digest = registry.tags.get(ref);
      res.writeHead(digest ? 200 : 404, digest ? { 'docker-content-digest': digest } : {}).end();
    } else if (req.method === 'DELETE') {
      if (!registry.deleteAllowed) return void res.writeHead(405).end('{"errors":[{"code":"UNSUPPORTED"}]}');
      for (const [tag, d] of registry.tags) if (d === ref) registry.tags.delete(tag);
      res.writeHead(202).end();
    } else res.writeHead(400).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  registry.tags = new Map([['v1-abc', 'sha256:1111111111111111111111111111111111111111111111111111111111111111']]);
  registry.deleteAllowed = true;
  registry.requests = [];
});

const task = () => imageAbsent('image', { registry: host, repository: 'helix/devpi', tag: 'v1-abc', caFile: join(dir, 'ca.crt') });

describe('imageAbsent: the built image is deleted by digest, once', () => {
  it('check predicts the delete and changes nothing', async () => {
    const r = await runTask(task(), { mode: 'check' });
    expect(r.changes.map((c) => `${c.action} ${c.target}`)).toEqual([`delete image:${host}/helix/devpi:v1-abc`]);
    expect(registry.requests).toEqual(['HEAD /v2/helix/devpi/manifests/v1-abc']);
    expect(registry.tags.size).toBe(1);
  });

  it('apply deletes the manifest by its digest; a second run finds it absent', async () => {
    const r = await runTask(task());
    expect(r.outcome).toBe('changed');
    expect(registry.requests.at(-1)).toBe(`DELETE /v2/helix/devpi/manifests/sha256:${'1'.repeat(64)}`);
    expect(registry.tags.size).toBe(0);
    const again = await runTask(task());
    expect(again.outcome).toBe('ok');
    expect(again.reason).toMatch(/already absent/);
  });

  it('a registry that refuses deletes fails the task with its answer', async () => {
    registry.deleteAllowed = false;
    const r = await runTask(task());
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/DELETE .*v1-abc: HTTP 405 .*UNSUPPORTED/);
  });

  it('an untrusted certificate fails: TLS is verified', async () => {
    const r = await runTask(imageAbsent('image', { registry: host, repository: 'helix/devpi', tag: 'v1-abc' }));
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/self[- ]signed certificate/);
  });
});

describe('imageExists: a read of the registry that steers the build', () => {
  const exists = (tag: string) => imageExists('built', { registry: host, repository: 'helix/devpi', tag, caFile: join(dir, 'ca.crt') });

  it('answers true for a tag the registry has and false for one it lacks, changing nothing', async () => {
    const yes = await runTask(exists('v1-abc'));
    const no = await runTask(exists('v2-def'));
    expect([yes.outcome, yes.result, yes.changes]).toEqual(['ok', true, []]);
    expect([no.outcome, no.result, no.changes]).toEqual(['ok', false, []]);
    expect(registry.requests.every((r) => r.startsWith('HEAD '))).toBe(true);
  });

  it('any other answer fails instead of guessing', async () => {
    const r = await runTask(imageExists('built', { registry: host, repository: 'helix/other', tag: 'x', caFile: join(dir, 'ca.crt') }));
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/HEAD .*helix\/other:x: HTTP 401/);
  });
});

describe('imagesAbsent: every tag of a pattern, for images helix did not push one by one', () => {
  const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
  const task = () => imagesAbsent('image', { registry: host, repository: 'helix/devpi', tagPattern: /^main-[0-9a-f]{4}-cfg$/, caFile: join(dir, 'ca.crt') });

  beforeEach(() => {
    registry.tags = new Map([
      ['main-aaaa-cfg', digest(2)],
      ['main-bbbb-cfg', digest(3)],
      ['main-cccc-cfg', digest(3)],
      ['main-dddd-old', digest(4)],
      ['other-eeee-cfg', digest(5)],
    ]);
  });

  it('check names each matching tag over every page and deletes nothing', async () => {
    const r = await runTask(task(), { mode: 'check' });
    expect(r.changes.map((c) => c.target)).toEqual(['aaaa', 'bbbb', 'cccc'].map((t) => `image:${host}/helix/devpi:main-${t}-cfg`));
    expect(registry.requests.filter((q) => q.startsWith('GET '))).toHaveLength(3);
    expect(registry.tags.size).toBe(5);
  });

  it('apply deletes each digest once and leaves the tags that do not match; a second run finds none', async () => {
    const r = await runTask(task());
    expect(r.outcome).toBe('changed');
    expect(registry.requests.filter((q) => q.startsWith('DELETE '))).toEqual([2, 3].map((n) => `DELETE /v2/helix/devpi/manifests/${digest(n)}`));
    expect([...registry.tags.keys()].sort()).toEqual(['main-dddd-old', 'other-eeee-cfg']);
    const again = await runTask(task());
    expect([again.outcome, again.changes]).toEqual(['ok', []]);
  });

  it('a repository the registry does not know is nothing to delete; an unreadable one fails', async () => {
    registry.tags = new Map();
    const none = await runTask(task());
    expect([none.outcome, none.changes]).toEqual(['ok', []]);
    const denied = await runTask(imagesAbsent('image', { registry: host, repository: 'helix/other', tagPattern: /./, caFile: join(dir, 'ca.crt') }));
    expect(denied.outcome).toBe('failed');
    expect(denied.error).toMatch(/tags\/list.*HTTP 401/);
  });
});
