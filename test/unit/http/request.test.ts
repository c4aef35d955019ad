import { describe, expect, it } from 'vitest';
import { Secret } from '../../../src/index.ts';
import * as http from '../../../src/modules/http/index.ts';
import { runTask, validate } from '../../fixtures/task-harness.ts';
import { fakeHttp } from './fake-client.ts';

const url = 'https://api.example/v1/things';

describe('http.request plans from its method and idempotence declaration', () => {
  const rows: {
    name: string;
    options: Partial<http.RequestTaskOptions>;
    answers: Parameters<typeof fakeHttp>[0];
    expect: { outcome: 'ok' | 'changed' | 'failed'; reason?: RegExp; error?: RegExp; notIdempotent?: boolean; checkSent: string[]; applySent?: string[] };
  }[] = [
    {
      name: 'GET answering as expected: read while planning, no change',
      options: { expect: { status: 200, bodyMatch: /ready/ } },
      answers: { [`GET ${url}`]: { status: 200, body: 'all ready' } },
      expect: { outcome: 'ok', reason: /^GET https:\/\/api\.example\/v1\/things answered 200 as expected$/, checkSent: [`GET ${url}`] },
    },
    {
      name: 'GET answering otherwise fails with what was seen',
      options: { expect: { status: 200 } },
      answers: { [`GET ${url}`]: { status: 503, body: 'upstream down' } },
      expect: {
        outcome: 'failed',
        error: /GET https:\/\/api\.example\/v1\/things: expected status 200, got 503 \(saw status 503, body "upstream down"\)$/,
        checkSent: [`GET ${url}`],
      },
    },
    {
      name: 'POST whose probe already answers: second run plans nothing',
      options: { method: 'POST', body: { name: 'x' }, unless: { url: `${url}/x`, expect: { status: 200 } } },
      answers: { [`GET ${url}/x`]: { status: 200 } },
      expect: { outcome: 'ok', reason: /^GET https:\/\/api\.example\/v1\/things\/x already answers status 200: POST not needed$/, checkSent: [`GET ${url}/x`] },
    },
    {
      name: 'POST whose probe does not answer: planned, sent only when applying',
      options: { method: 'POST', body: { name: 'x' }, expect: { status: 201 }, unless: { url: `${url}/x`, expect: { status: 200 } } },
      answers: { [`GET ${url}/x`]: { status: 404 }, [`POST ${url}`]: { status: 201 } },
      expect: { outcome: 'changed', checkSent: [`GET ${url}/x`], applySent: [`GET ${url}/x`, `POST ${url}`] },
    },
    {
      name: 'DELETE unless a function says it is gone',
      options: { method: 'DELETE', unless: async () => true },
      answers: {},
      expect: { outcome: 'ok', reason: /^the unless condition holds: DELETE https:\/\/api\.example\/v1\/things not needed$/, checkSent: [] },
    },
    {
      name: 'PUT declared not idempotent: always sent, and said so',
      options: { method: 'PUT', body: 'x', idempotent: false },
      answers: { [`PUT ${url}`]: { status: 204 } },
      expect: { outcome: 'changed', notIdempotent: true, checkSent: [], applySent: [`PUT ${url}`] },
    },
    {
      name: 'a redirect is asserted, not followed',
      options: { expect: { redirectTo: '/login?next=%2F' } },
      answers: { [`GET ${url}`]: { status: 302, redirectTo: '/login?next=%2F' } },
      expect: { outcome: 'ok', checkSent: [`GET ${url}`] },
    },
    {
      name: 'an unreachable server fails the task',
      options: {},
      answers: { [`GET ${url}`]: 'unreachable' },
      expect: { outcome: 'failed', error: /^t\/pb\/req: GET https:\/\/api\.example\/v1\/things: connect ECONNREFUSED/, checkSent: [`GET ${url}`] },
    },
  ];

  it.each(rows)('$name', async ({ options, answers, expect: want }) => {
    const fake = fakeHttp(answers);
    const task = http.request('req', { url, ...options });
    const check = await runTask(task, { mode: 'check', memo: fake.memo });
    expect(check.outcome).toBe(want.outcome);
    expect(fake.sent()).toEqual(want.checkSent);
    if (want.reason) expect(check.reason).toMatch(want.reason);
    if (want.error) expect(check.error).toMatch(want.error);
    if (want.outcome !== 'changed') return;
    const method = options.method ?? 'GET';
    expect(check.changes).toEqual([{ target: `http:${method} ${url}`, action: 'run', summary: `${method} ${url}` }]);
    expect(check.notIdempotent).toBe(want.notIdempotent ?? false);
    const applyFake = fakeHttp(answers);
    const real = await runTask(task, { memo: applyFake.memo });
    expect(real.outcome).toBe('changed');
    expect(real.changes).toEqual(check.changes);
    expect(applyFake.sent()).toEqual(want.applySent);
  });

  it('fails when the response to a change is not the expected one, with a cut, masked body', async () => {
    const token = new Secret('http-unit-token-987');
    const body = `error: token http-unit-token-987 rejected ${'x'.repeat(500)}`;
    const fake = fakeHttp({ [`POST ${url}`]: { status: 401, body } });
    const r = await runTask(http.request('req', { url, method: 'POST', headers: { authorization: token }, idempotent: false }), { memo: fake.memo });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(/expected a 2xx status, got 401 \(saw status 401, body "error: token \*{8} rejected x+…"\)$/);
    expect(r.error!.length).toBeLessThan(400);
    expect(JSON.stringify(r.events)).not.toContain('http-unit-token-987');
    expect(fake.calls[0]?.headers.authorization).toBe(token);
  });

  it('sends a JSON body, revealing Secrets only into the request', async () => {
    const pw = new Secret('json-body-password');
    const fake = fakeHttp({ [`POST ${url}`]: { status: 201 } });
    await runTask(http.request('req', { url, method: 'POST', body: { user: 'a', password: pw }, idempotent: false }), { memo: fake.memo });
    const call = fake.calls[0]!;
    expect(call.headers['content-type']).toBe('application/json');
    expect(call.body).toBeInstanceOf(Secret);
    expect((call.body as Secret).reveal()).toBe('{"user":"a","password":"json-body-password"}');
  });

  it('verifies TLS unless the environment turns it off for that very target', async () => {
    const on = fakeHttp({ [`GET ${url}`]: { status: 200 } });
    await runTask(http.request('req', { url }), { memo: on.memo });
    expect(on.calls[0]?.tlsVerify).toBe(true);
    const host = new URL(url).hostname;
    const rows: [Record<string, string>, boolean][] = [
      [{ [host]: 'inventory' }, false],
      [{ [`${host}:443`]: 'inventory' }, false],
      [{ [`${host}:8443`]: 'inventory' }, true],
      [{ 'other.example.com': 'inventory' }, true],
    ];
    for (const [tlsUnverified, verified] of rows) {
      const off = fakeHttp({ [`GET ${url}`]: { status: 200 } });
      await runTask(http.request('req', { url }), { memo: off.memo, env: { tlsUnverified } });
      expect([tlsUnverified, off.calls[0]?.tlsVerify]).toEqual([tlsUnverified, verified]);
    }
  });
});

describe('http.request validation', () => {
  const secret = new Secret('http-validation-secret');
  const rows: { name: string; options: Record<string, unknown>; problems: RegExp[] }[] = [
    { name: 'valid GET', options: { url }, problems: [] },
    { name: 'valid POST with a probe', options: { url, method: 'POST', unless: { expect: { status: 200 } } }, problems: [] },
    {
      name: 'POST without a declaration',
      options: { url, method: 'POST' },
      problems: [/POST changes state: declare how it is idempotent with unless .*, or idempotent: false/],
    },
    { name: 'PUT idempotent: true', options: { url, method: 'PUT', idempotent: true }, problems: [/idempotent: true is not a declaration/] },
    { name: 'both unless and idempotent: false', options: { url, method: 'PATCH', idempotent: false, unless: () => false }, problems: [/contradicts/] },
    { name: 'GET with a declaration', options: { url, unless: () => true }, problems: [/GET is read-only: it needs no unless or idempotent/] },
    { name: 'GET with a body', options: { url, body: 'x' }, problems: [/GET takes no body/] },
    { name: 'not a URL', options: { url: 'api.example/x' }, problems: [/url "api.example\/x" is not a URL/] },
    { name: 'not http', options: { url: 'ftp://x/y' }, problems: [/is not http or https/] },
    { name: 'a secret in the URL', options: { url: `${url}?token=${secret.reveal()}` }, problems: [/url contains a secret value/] },
    { name: 'unknown method', options: { url, method: 'BREW' }, problems: [/method BREW is not one of/] },
    {
      name: 'bad expectation',
      options: { url, expect: { status: 42, body: 'x' } },
      problems: [/expect.body is not an expectation/, /expect.status must be an HTTP status code/],
    },
    { name: 'probe without expect', options: { url, method: 'POST', unless: { url } }, problems: [/unless.expect is required/] },
    {
      name: 'probe that changes state',
      options: { url, method: 'POST', unless: { method: 'POST', expect: {} } },
      problems: [/unless.method must be GET or HEAD/],
    },
  ];

  it.each(rows)('$name', ({ options, problems }) => {
    const found = validate(http.request('req', options as unknown as http.RequestTaskOptions));
    expect(found).toHaveLength(problems.length);
    problems.forEach((p, i) => expect(found[i]).toMatch(p));
    expect(found.join('\n')).not.toContain('http-validation-secret');
  });
});
