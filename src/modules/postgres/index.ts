/**
 * The `postgres` task module: databases on a PostgreSQL server, through the `pg` client.
 *
 * ```ts
 * import * as postgres from 'helix/modules/postgres';
 * postgres.database('orchestrator', { connection: { host, port, user: 'postgres', password } });
 * ```
 */
export { describeConnection, pgClient, quoteIdent, type PgConnection, type PgQuery } from './connection.ts';
export { database, dropDatabase, type DatabaseOptions, type DatabaseResult, type DropDatabaseOptions } from './database.ts';
export { listDatabases, readDatabase, roleExists, type DatabaseFacts } from './facts.ts';
