import { describe, expect, it } from 'vitest';
import { database, dropDatabase, type PgQuery } from '../../../src/modules/postgres/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { fakeContext } from '../helm/fake-helm.ts';

/** A fake server: databases with owners, roles; records statements. */
class FakePg implements PgQuery {
  dbs = new Map<string, string>();
  roles = new Set(['postgres', 'devtron']);
  statements: string[] = [];
  async query<R extends Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<{ rows: R[] }> {
    this.statements.push(sql);
    if (sql.startsWith('SELECT datname AS name, pg_get_userbyid')) {
      const owner = this.dbs.get(String(params[0]));
      return { rows: (owner ? [{ name: params[0], owner, encoding: 'UTF8' }] : []) as unknown as R[] };
    }
    if (sql.startsWith('SELECT 1 AS n FROM pg_roles')) return { rows: (this.roles.has(String(params[0])) ? [{ n: 1 }] : []) as unknown as R[] };
    let m = /^CREATE DATABASE "([^"]+)"(?: OWNER "([^"]+)")?/.exec(sql);
    if (m) this.dbs.set(m[1]!, m[2] ?? 'postgres');
    m = /^ALTER DATABASE "([^"]+)" OWNER TO "([^"]+)"/.exec(sql);
    if (m) this.dbs.set(m[1]!, m[2]!);
    m = /^DROP DATABASE IF EXISTS "([^"]+)"/.exec(sql);
    if (m) this.dbs.delete(m[1]!);
    return { rows: [] };
  }
}

const connection = { host: '127.0.0.1', port: 15432, user: 'postgres', password: new Secret('pg-password-123') };

type Row = { name: string; live?: string; owner?: string; expect: { action?: string; summary?: RegExp; reason?: RegExp; error?: RegExp } };
const rows: Row[] = [
  { name: 'missing: create', expect: { action: 'create', summary: /create database orchestrator$/ } },
  { name: 'missing with owner: create owned', owner: 'devtron', expect: { action: 'create', summary: /owned by devtron/ } },
  {
    name: 'second run plans nothing',
    live: 'postgres',
    expect: { reason: /database orchestrator exists on postgres:\/\/postgres@127\.0\.0\.1:15432\/postgres \(owner postgres\)/ },
  },
  { name: 'exists, no owner wanted: nothing', live: 'devtron', expect: { reason: /owner devtron/ } },
  { name: 'wrong owner: update', live: 'postgres', owner: 'devtron', expect: { action: 'update', summary: /owner postgres -> devtron/ } },
  { name: 'unknown owner role fails with the role name', owner: 'nobody', expect: { error: /owner role nobody does not exist/ } },
];

describe('postgres.database planning', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const pg = new FakePg();
      if (row.live) pg.dbs.set('orchestrator', row.live);
      const task = database('orchestrator', { connection, client: pg, ...(row.owner ? { owner: row.owner } : {}) });
      if (row.expect.error) {
        await expect(task.plan(fakeContext())).rejects.toThrow(row.expect.error);
        return;
      }
      const plan = await task.plan(fakeContext());
      if (row.expect.reason) {
        expect(plan.changes).toEqual([]);
        expect('reason' in plan && plan.reason).toMatch(row.expect.reason);
        return;
      }
      expect(plan.changes[0]).toMatchObject({ target: 'postgres:127.0.0.1:15432/orchestrator', action: row.expect.action });
      expect(plan.changes[0]!.summary).toMatch(row.expect.summary!);
      if ('apply' in plan) await plan.apply();
      expect((await task.plan(fakeContext())).changes).toEqual([]);
    });
  }

  it('quotes identifiers and never puts the password in SQL', async () => {
    const pg = new FakePg();
    const plan = await database('git_sensor', { connection, client: pg }).plan(fakeContext());
    if ('apply' in plan) await plan.apply();
    expect(pg.statements).toContain(`CREATE DATABASE "git_sensor" ENCODING 'UTF8' TEMPLATE template0`);
    expect(pg.statements.join('\n')).not.toContain('pg-password-123');
  });

  it('rejects names that are not plain identifiers before anything runs', () => {
    const problems: string[] = [];
    database('x"; DROP TABLE y; --', { connection }).validate?.((m) => problems.push(m));
    expect(problems[0]).toMatch(/not a plain PostgreSQL identifier/);
  });
});

describe('postgres.dropDatabase planning', () => {
  it('drops an existing database; plans nothing when it is gone', async () => {
    const pg = new FakePg();
    pg.dbs.set('lens', 'postgres');
    const task = dropDatabase('lens', { connection, client: pg });
    const plan = await task.plan(fakeContext());
    expect(plan.changes).toEqual([{ target: 'postgres:127.0.0.1:15432/lens', action: 'delete', summary: 'drop database lens and all its data' }]);
    if ('apply' in plan) await plan.apply();
    expect(pg.statements).toContain('DROP DATABASE IF EXISTS "lens" WITH (FORCE)');
    expect((await task.plan(fakeContext())).changes).toEqual([]);
  });
});
