import { describe, expect, it } from 'vitest';
import * as http from '../../../src/modules/http/index.ts';
import { runTask, validate } from '../../fixtures/task-harness.ts';
import { fakeHttp } from './fake-client.ts';

const url = 'https://devpi.example/';

describe('http.assert', () => {
  const rows: {
    name: string;
    expect?: http.Expectation;
    answer: NonNullable<Parameters<typeof fakeHttp>[0]>[string];
    outcome: 'ok' | 'failed';
    message: RegExp;
  }[] = [
    {
      name: 'status as expected (every run plans nothing)',
      expect: { status: 200 },
      answer: { status: 200 },
      outcome: 'ok',
      message: /^GET https:\/\/devpi\.example\/ answers status 200$/,
    },
    { name: 'any 2xx by default', answer: { status: 204 }, outcome: 'ok', message: /answers a 2xx status$/ },
    {
      name: 'redirect to the login page',
      expect: { status: 302, redirectTo: /\/oauth2\/start\?rd=/ },
      answer: { status: 302, redirectTo: '/oauth2/start?rd=%2F' },
      outcome: 'ok',
      message: /answers status 302, redirect to \/\\\/oauth2\\\/start\\\?rd=\//,
    },
    {
      name: 'a redirect elsewhere fails with the Location seen',
      expect: { redirectTo: 'https://devpi.example/oauth2/start' },
      answer: { status: 302, redirectTo: 'https://evil.example/' },
      outcome: 'failed',
      message:
        /expected a redirect to https:\/\/devpi\.example\/oauth2\/start, got https:\/\/evil\.example\/ \(saw status 302, Location https:\/\/evil\.example\/\)$/,
    },
    {
      name: 'no redirect where one is expected',
      expect: { redirectTo: '/login' },
      answer: { status: 200, body: 'welcome' },
      outcome: 'failed',
      message: /expected a 3xx status, got 200; expected a redirect to https:\/\/devpi\.example\/login, got no Location/,
    },
    {
      name: 'body match',
      expect: { bodyMatch: 'devpi-server' },
      answer: { status: 200, body: '<h1>devpi-server 6</h1>' },
      outcome: 'ok',
      message: /body containing "devpi-server"$/,
    },
    {
      name: 'body mismatch',
      expect: { bodyMatch: /"status":\s*"ok"/ },
      answer: { status: 200, body: '{"status": "degraded"}' },
      outcome: 'failed',
      message: /expected a body matching \/"status":\\s\*"ok"\/ \(saw status 200, body "\{\\"status\\": \\"degraded\\"\}"\)$/,
    },
  ];

  it.each(rows)('$name', async ({ expect: e, answer, outcome, message }) => {
    const fake = fakeHttp({ [`GET ${url}`]: answer });
    const r = await runTask(http.assert('front', { url, ...(e ? { expect: e } : {}) }), { mode: 'check', memo: fake.memo });
    expect(r.outcome).toBe(outcome);
    expect(r.changes).toEqual([]);
    expect(outcome === 'ok' ? r.reason : r.error).toMatch(message);
  });

  it('rejects a state-changing method', () => {
    expect(validate(http.assert('a', { url, method: 'POST' as 'GET' }))).toEqual(['http.assert sends GET or HEAD only']);
  });
});

describe('http.waitUntil', () => {
  it('plans nothing when the answer is already right (second run)', async () => {
    const fake = fakeHttp({ [`GET ${url}`]: { status: 200 } });
    const r = await runTask(http.waitUntil('up', { url, expect: { status: 200 } }), { mode: 'check', memo: fake.memo });
    expect(r.outcome).toBe('ok');
    expect(r.reason).toBe('GET https://devpi.example/ answers status 200');
  });

  it('plans a wait, and polls until the answer is right', async () => {
    const answers = { [`GET ${url}`]: ['unreachable' as const, { status: 503 }, { status: 200, body: 'up' }] };
    const check = await runTask(http.waitUntil('up', { url, intervalMs: 5 }), { mode: 'check', memo: fakeHttp(answers).memo });
    expect(check.changes).toEqual([
      {
        target: `http:GET ${url}`,
        action: 'run',
        summary: `wait until GET ${url} answers a 2xx status (now: connect ECONNREFUSED 127.0.0.1:9 (ECONNREFUSED))`,
      },
    ]);
    const fake = fakeHttp(answers);
    const real = await runTask(http.waitUntil('up', { url, intervalMs: 5 }), { memo: fake.memo });
    expect(real.outcome).toBe('changed');
    expect(real.result?.body).toBe('up');
    expect(fake.calls).toHaveLength(3);
  });

  it('fails after the timeout with the last answer', async () => {
    const fake = fakeHttp({ [`GET ${url}`]: { status: 502, body: 'bad gateway' } });
    const r = await runTask(http.waitUntil('up', { url, timeoutMs: 60, intervalMs: 10 }), { memo: fake.memo });
    expect(r.outcome).toBe('failed');
    expect(r.error).toMatch(
      /did not answer a 2xx status within 60 ms \(\d+ attempts\); last: expected a 2xx status, got 502 \(saw status 502, body "bad gateway"\)$/,
    );
  });

  it('validates its timing', () => {
    expect(validate(http.waitUntil('up', { url, timeoutMs: -1, intervalMs: 0 }))).toEqual([
      'timeoutMs must be a positive number of milliseconds',
      'intervalMs must be a positive number of milliseconds',
    ]);
  });
});
