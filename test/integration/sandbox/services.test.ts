import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { postgresBin } from '../../../src/sandbox/components/postgres.ts';
import { exec, has, sandbox, secret, v } from './helpers.ts';

describe.skipIf(!has('redis'))('sandbox: Redis', () => {
  it('answers PING and stores a value', async () => {
    const url = v('redis_url');
    expect((await exec('redis-cli', ['-u', url, 'PING'])).stdout.trim()).toBe('PONG');
    const key = `helix-sandbox-test-${process.pid}`;
    await exec('redis-cli', ['-u', url, 'SET', key, 'v1']);
    expect((await exec('redis-cli', ['-u', url, 'GET', key])).stdout.trim()).toBe('v1');
    await exec('redis-cli', ['-u', url, 'DEL', key]);
  });
});

describe.skipIf(!has('postgres'))('sandbox: PostgreSQL', () => {
  const psql = () => join(postgresBin()!, 'psql');
  const conn = () => ['-h', v('postgres_host'), '-p', String(sandbox().vars.postgres_port), '-U', v('postgres_user'), '-d', v('postgres_database')];

  it('accepts the generated password over TCP and runs a query', async () => {
    const r = await exec(psql(), [...conn(), '-tAc', 'SELECT 40 + 2'], { env: { ...process.env, PGPASSWORD: secret('postgres_password') } });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('42');
  });

  it('rejects a wrong password (scram-sha-256, not trust)', async () => {
    const r = await exec(psql(), [...conn(), '-tAc', 'SELECT 1'], { env: { ...process.env, PGPASSWORD: 'wrong-password' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/password authentication failed/);
  });
});

describe.skipIf(!has('devpi'))('sandbox: devpi', () => {
  it('answers /+api in offline mode', async () => {
    const res = await fetch(`${v('devpi_url')}/+api`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { login: string } };
    expect(body.result.login).toBe(`${v('devpi_url')}/+login`);
  });

  it('logs root in with the generated password and creates an index with devpi-client', async () => {
    const client = v('devpi_client');
    expect(existsSync(client)).toBe(true);
    const home = mkdtempSync(join(tmpdir(), 'helix-devpi-'));
    const env = { ...process.env, HOME: home, DEVPI_CLIENTDIR: join(home, 'client') };
    expect((await exec(client, ['use', v('devpi_url')], { env })).code).toBe(0);
    const login = await exec(client, ['login', 'root', '--password', secret('devpi_root_password')], { env });
    expect(login.code, login.stderr + login.stdout).toBe(0);
    const index = `root/t${process.pid}`;
    const created = await exec(client, ['index', '-c', index, 'bases='], { env });
    expect(created.code, created.stderr + created.stdout).toBe(0);
    const res = await fetch(`${v('devpi_url')}/${index}`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(200);
    await exec(client, ['index', '-y', '--delete', index], { env });
    const bad = await exec(client, ['login', 'root', '--password', 'wrong'], { env });
    expect(bad.code).not.toBe(0);
  });

  it('has no root/pypi mirror (offline, no upstream)', async () => {
    const res = await fetch(`${v('devpi_url')}/root/pypi`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
  });
});
