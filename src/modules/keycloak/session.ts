import { unverifiedTargets } from '../../runtime/env.ts';
import { TargetError } from '../../runtime/errors.ts';
import type { Secret } from '../../runtime/secret.ts';
import type { TaskContext } from '../../runtime/task.ts';
import { connectAdminClient } from './admin-client.ts';
import type { KeycloakApi } from './api.ts';

/** How to reach Keycloak's admin API: values the playbook takes from its environment. */
export interface KeycloakAdmin {
  /** Base URL of Keycloak, without `/admin`: `https://auth.example.com`. */
  url: string;
  username: string;
  password: Secret;
  /** Realm the admin user logs in to. @default 'master' */
  loginRealm?: string;
  /** Client used for the password grant. @default 'admin-cli' */
  clientId?: string;
}

/** The memo key of the admin session for one (url, realm, user): one login per run. */
export function sessionKey(admin: KeycloakAdmin): string {
  return `keycloak:${admin.url.replace(/\/+$/, '')}|${admin.loginRealm ?? 'master'}|${admin.username}`;
}

/**
 * The admin API session for this run, created on first use and shared by every Keycloak task
 * with the same URL and user. It logs in lazily and refreshes its token when it expires.
 */
export function keycloakApi(ctx: TaskContext, admin: KeycloakAdmin): KeycloakApi {
  return ctx.memo(sessionKey(admin), () => connectAdminClient(admin, unverifiedTargets(ctx.env)));
}

export function validateAdmin(admin: KeycloakAdmin | undefined, report: (message: string) => void): void {
  if (!admin) {
    report('admin: the Keycloak admin connection is required');
    return;
  }
  try {
    const u = new URL(admin.url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') report(`admin.url: must be http(s), not ${u.protocol}`);
  } catch {
    report(`admin.url: "${admin.url}" is not a URL`);
  }
  if (!admin.username) report('admin.username is required');
  if (!admin.password) report('admin.password is required (a secret reference)');
}

/** A target error about this Keycloak. */
export function keycloakError(url: string, message: string, cause?: unknown): TargetError {
  return new TargetError(`keycloak ${url}`, message, cause === undefined ? undefined : { cause });
}
