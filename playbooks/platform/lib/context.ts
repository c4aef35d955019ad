import { isAbsolute, resolve as resolvePath } from 'node:path';
import { ConfigError, Secret, type Env, type TaskContext } from 'helix';
import type { PgConnection } from 'helix/modules/postgres';
import type { PlatformVars } from '../component.ts';
import { decryptSops, sopsValue } from './sops.ts';

/** Labels every object the platform playbooks create carries. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'helix', 'app.kubernetes.io/part-of': 'platform' } as const;

/** Derived names and run-time value readers for one environment. */
export interface Platform {
  v: PlatformVars;
  env: Env<PlatformVars>;
  envName: string;
  /** Path relative to the inventory folder made absolute. */
  path(p: string): string;
  /** A value given as a secret reference, or as a key of the SOPS file (decrypted in memory, once per run). */
  secretValue(ctx: TaskContext, value: Secret | string, what: string): Secret;
  /** How helix reaches PostgreSQL for Devtron's databases. */
  pg(ctx: TaskContext): PgConnection;
  /** The password Devtron and the CNPG superuser share. */
  dbPassword(ctx: TaskContext): Secret;
  /** Namespaces the platform's objects live in. */
  namespaces: string[];
  /** Namespaces the play creates and the rollback removes (`managed_namespaces`, default: all of them). */
  managedNamespaces: string[];
  /** Devtron's database host: the CNPG `-rw` Service (never the transaction-mode Pooler). */
  devtronPgAddr: string;
}

export function platform(env: Env<PlatformVars>): Platform {
  const v = env.vars;
  const path = (p: string): string => (isAbsolute(p) ? p : resolvePath(env.inventoryDir, p));
  const secretValue = (ctx: TaskContext, value: Secret | string, what: string): Secret => {
    if (value instanceof Secret) return value;
    const file = v.secrets.sops_file;
    if (!file) throw new ConfigError(`${what} names the SOPS key "${value}" but secrets.sops_file is not set`, `platform/vars.${what}`);
    const doc = ctx.memo(`platform.sops:${path(file)}`, () =>
      decryptSops(path(file), v.secrets.sops_binary, v.secrets.age_key_file ? path(v.secrets.age_key_file) : undefined),
    );
    return sopsValue(doc, value, file);
  };
  const dbPassword = (ctx: TaskContext): Secret => {
    const given = v.database.password ?? v.postgres_password;
    if (!given) throw new ConfigError('database.password (or the shared postgres_password) is required', 'platform/vars.database.password');
    return secretValue(ctx, given, 'database.password');
  };
  const namespaces = [
    ...new Set([v.cnpg.namespace, v.devtron.namespace, v.traefik.namespace, v.argocd.namespace, v.prometheus.namespace, v.kyverno.exceptions_namespace]),
  ];
  return {
    v,
    env,
    envName: v.env_name ?? env.name,
    path,
    secretValue,
    dbPassword,
    pg: (ctx) => {
      const host = v.database.host ?? v.postgres_host;
      const user = v.database.user ?? v.postgres_user;
      if (!host || !user)
        throw new ConfigError('database.host and database.user (or the shared postgres_host/postgres_user) are required', 'platform/vars.database');
      return { host, port: v.database.port ?? v.postgres_port ?? 5432, user, password: dbPassword(ctx) };
    },
    namespaces,
    managedNamespaces: v.managed_namespaces ?? namespaces,
    devtronPgAddr: `${v.cnpg.cluster_name}-rw.${v.cnpg.namespace}.svc.cluster.local`,
  };
}

/**
 * The platform is the only writer of its objects: its applies take back fields someone else
 * changed by hand (server-side apply `force`), so a play repairs drift instead of stopping on
 * a field conflict. `helix verify platform` shows the drift before a play repairs it.
 */
export const OWNER = true;
