import pg from 'pg';
import { TargetError } from '../../runtime/errors.ts';
import type { Secret } from '../../runtime/secret.ts';
import type { TaskContext } from '../../runtime/task.ts';

/** How to reach a PostgreSQL server as a role allowed to create databases. */
export interface PgConnection {
  host: string;
  /** @default 5432 */
  port?: number;
  user: string;
  password: Secret;
  /** Maintenance database to connect to. @default 'postgres' */
  database?: string;
  /** TLS: false (plain), true (verify the server certificate), or 'no-verify'. @default false */
  ssl?: boolean | 'no-verify';
}

/** The seam the postgres tasks query through; unit tests pass a fake. */
export interface PgQuery {
  query<R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

export function describeConnection(c: PgConnection): string {
  return `postgres://${c.user}@${c.host}:${c.port ?? 5432}/${c.database ?? 'postgres'}`;
}

/**
 * One client per connection and run (`ctx.memo`), closed by the runtime when the run ends.
 * The password goes to the driver only; errors carry the masked server message.
 */
export function pgClient(ctx: TaskContext, c: PgConnection): PgQuery {
  const key = `postgres:${describeConnection(c)}`;
  const holder = ctx.memo(key, () => {
    const client = new pg.Client({
      host: c.host,
      port: c.port ?? 5432,
      user: c.user,
      password: c.password.reveal(),
      database: c.database ?? 'postgres',
      ssl: c.ssl === 'no-verify' ? { rejectUnauthorized: false } : c.ssl === true ? {} : false,
      connectionTimeoutMillis: 10_000,
      application_name: 'helix',
    });
    let connected: Promise<void> | undefined;
    return {
      query: async <R extends Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[] }> => {
        connected ??= client.connect().then(
          () => undefined,
          (e: unknown) => {
            connected = undefined;
            throw new TargetError(describeConnection(c), `cannot connect: ${(e as Error).message}`);
          },
        );
        await connected;
        try {
          const r = await client.query(sql, params ? [...params] : undefined);
          return { rows: r.rows as R[] };
        } catch (e) {
          throw new TargetError(describeConnection(c), (e as Error).message);
        }
      },
      close: async () => {
        if (connected) await client.end().catch(() => {});
      },
    };
  });
  return holder;
}

/** `"name"` with embedded quotes doubled: the only way a name reaches SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
