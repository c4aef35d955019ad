import { defineTask, type Input, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { describeConnection, type PgConnection, pgClient, type PgQuery, quoteIdent } from './connection.ts';
import { readDatabase, roleExists } from './facts.ts';

export interface DatabaseOptions {
  connection: Input<PgConnection>;
  /** Owner role; the database is created owned by the connecting role when absent. */
  owner?: string;
  /** @default 'UTF8' (only used on create) */
  encoding?: string;
  /** The query seam (tests pass a fake). */
  client?: PgQuery;
}

export interface DatabaseResult {
  name: string;
  owner: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;

/**
 * A PostgreSQL database that must exist (with an owner, when given). Created with
 * `CREATE DATABASE`; an existing database is never recreated or altered except its owner.
 */
export function database(name: string, options: DatabaseOptions & TaskOptions<DatabaseResult>): Task<DatabaseResult> {
  const [own, common] = splitOptions(options);
  return defineTask<DatabaseResult>({
    kind: 'postgres.database',
    name,
    options: common,
    validate: (report) => {
      if (!NAME.test(name)) report(`"${name}" is not a plain PostgreSQL identifier`);
      if (own.owner !== undefined && !NAME.test(own.owner)) report(`owner "${own.owner}" is not a plain PostgreSQL identifier`);
    },
    plan: async (ctx) => {
      const conn = resolve(own.connection, ctx);
      const db = own.client ?? pgClient(ctx, conn);
      const target = `postgres:${conn.host}:${conn.port ?? 5432}/${name}`;
      const live = await readDatabase(db, name);
      if (live && (own.owner === undefined || live.owner === own.owner)) {
        return noChange(`database ${name} exists on ${describeConnection(conn)} (owner ${live.owner})`, { name, owner: live.owner });
      }
      if (own.owner && !(await roleExists(db, own.owner))) {
        throw new Error(`owner role ${own.owner} does not exist on ${describeConnection(conn)}`);
      }
      if (live) {
        return {
          changes: [{ target, action: 'update', summary: `owner ${live.owner} -> ${own.owner}` }],
          predicted: { name, owner: own.owner! },
          apply: async () => {
            await db.query(`ALTER DATABASE ${quoteIdent(name)} OWNER TO ${quoteIdent(own.owner!)}`);
            return { name, owner: own.owner! };
          },
        };
      }
      const encoding = own.encoding ?? 'UTF8';
      return {
        changes: [{ target, action: 'create', summary: `create database ${name}${own.owner ? ` owned by ${own.owner}` : ''}` }],
        predicted: { name, owner: own.owner ?? conn.user },
        apply: async () => {
          // CREATE DATABASE takes no bind parameters: identifiers are quoted, the encoding checked.
          if (!/^[A-Za-z0-9_]+$/.test(encoding)) throw new Error(`invalid encoding ${encoding}`);
          await db.query(`CREATE DATABASE ${quoteIdent(name)}${own.owner ? ` OWNER ${quoteIdent(own.owner)}` : ''} ENCODING '${encoding}' TEMPLATE template0`);
          const now = await readDatabase(db, name);
          return { name, owner: now?.owner ?? own.owner ?? conn.user };
        },
      };
    },
  });
}

export interface DropDatabaseOptions {
  connection: Input<PgConnection>;
  /** Terminate other sessions first (`WITH (FORCE)`, PostgreSQL 13+). @default true */
  force?: boolean;
  client?: PgQuery;
}

/** Removes a database with everything in it. Only for explicit purges. */
export function dropDatabase(name: string, options: DropDatabaseOptions & TaskOptions<void>): Task<void> {
  const [own, common] = splitOptions(options);
  return defineTask<void>({
    kind: 'postgres.dropDatabase',
    name: `drop-${name}`,
    options: common,
    validate: (report) => {
      if (!NAME.test(name)) report(`"${name}" is not a plain PostgreSQL identifier`);
    },
    plan: async (ctx) => {
      const conn = resolve(own.connection, ctx);
      const db = own.client ?? pgClient(ctx, conn);
      const live = await readDatabase(db, name);
      if (!live) return noChange(`database ${name} does not exist on ${describeConnection(conn)}`, undefined);
      return {
        changes: [{ target: `postgres:${conn.host}:${conn.port ?? 5432}/${name}`, action: 'delete', summary: `drop database ${name} and all its data` }],
        predicted: undefined,
        apply: async () => {
          await db.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}${own.force === false ? '' : ' WITH (FORCE)'}`);
        },
      };
    },
  });
}
