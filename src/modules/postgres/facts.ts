import type { PgQuery } from './connection.ts';

export interface DatabaseFacts {
  name: string;
  owner: string;
  encoding: string;
}

/** The database `name`, or undefined when the server has none. */
export async function readDatabase(db: PgQuery, name: string): Promise<DatabaseFacts | undefined> {
  const { rows } = await db.query<{ name: string; owner: string; encoding: string }>(
    'SELECT datname AS name, pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding FROM pg_database WHERE datname = $1',
    [name],
  );
  return rows[0];
}

/** Every non-template database's name. */
export async function listDatabases(db: PgQuery): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT datname AS name FROM pg_database WHERE NOT datistemplate ORDER BY datname');
  return rows.map((r) => r.name);
}

/** True when the role exists. */
export async function roleExists(db: PgQuery, name: string): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>('SELECT 1 AS n FROM pg_roles WHERE rolname = $1', [name]);
  return rows.length > 0;
}
