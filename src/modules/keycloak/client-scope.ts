import { TaskError } from '../../runtime/errors.ts';
import { compareFields, ensure, type EnsureOptions, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import type { Task, TaskContext } from '../../runtime/task.ts';
import type { ClientScopeRepresentation } from './api.ts';
import { clientTarget } from './client.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/** A realm's client scope, identified by its name. */
export interface ClientScopeSpec {
  admin: KeycloakAdmin;
  realm: string;
  /** The scope's name (what clients request: `groups`). */
  scope: string;
  description?: string;
  /** @default 'openid-connect' */
  protocol?: string;
  /** Attributes to manage (`include.in.token.scope`: `true`). */
  attributes?: Record<string, string>;
}

export type KeycloakClientScope = ClientScopeRepresentation & { id: string; name: string };

const wanted = (d: ClientScopeSpec) => ({ description: d.description, protocol: d.protocol ?? 'openid-connect', attributes: d.attributes });

export const clientScopeProvider: Provider<ClientScopeSpec, KeycloakClientScope> = {
  kind: 'keycloak.clientScope',
  describe: (d) => `client scope ${d.scope} in Keycloak realm ${d.realm}`,
  id: (d) => `keycloak:${d.realm}/client-scope/${d.scope}`,
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.realm) report('realm is required');
    if (!d.scope || /\s/.test(d.scope)) report('scope: a name without spaces is required');
  },
  read: async (ctx, d) => {
    const rep = await keycloakApi(ctx, d.admin).findClientScope(d.realm, d.scope);
    return rep?.id ? { ...rep, id: rep.id, name: d.scope } : undefined;
  },
  diff: (d, live) => compareFields(wanted(d), live, { protocol: { replace: true } }),
  create: (ctx, d) => keycloakApi(ctx, d.admin).createClientScope(d.realm, { name: d.scope, ...wanted(d) }),
  update: (ctx, d, live) =>
    keycloakApi(ctx, d.admin).updateClientScope(d.realm, live.id, { ...live, ...wanted(d), attributes: { ...live.attributes, ...d.attributes } }),
  delete: (ctx, d, live) => keycloakApi(ctx, d.admin).deleteClientScope(d.realm, live.id),
  predict: (d, live) => (live ? { ...live, ...wanted(d), attributes: { ...live.attributes, ...d.attributes } } : undefined),
};

/** Ensures a client scope exists (or is absent). Add mappers to it through the admin console or a client mapper. */
export function clientScope(name: string, options: ClientScopeSpec & EnsureOptions<KeycloakClientScope> & { state?: 'present' }): Task<KeycloakClientScope>;
export function clientScope(name: string, options: ClientScopeSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function clientScope(name: string, options: ClientScopeSpec & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions<ClientScopeSpec>(options);
  return ensure(name, clientScopeProvider, spec, opts);
}

/** Client scopes attached to a client, as default or optional scopes. */
export interface ClientScopesSpec {
  admin: KeycloakAdmin;
  realm: string;
  clientId: string;
  /** Scopes every token of the client gets. Scopes not listed (Keycloak's `profile`, `email`…) stay attached. */
  default?: string[];
  /** Scopes the client may request. */
  optional?: string[];
}

export interface KeycloakClientScopes {
  clientUuid: string;
  default: string[];
  optional: string[];
}

async function scopesOf(ctx: TaskContext, d: ClientScopesSpec): Promise<KeycloakClientScopes | undefined> {
  const api = keycloakApi(ctx, d.admin);
  const client = await api.findClient(d.realm, d.clientId);
  if (!client?.id) return undefined;
  const names = async (optional: boolean) => (await api.listClientScopesOf(d.realm, client.id!, optional)).flatMap((s) => (s.name ? [s.name] : []));
  return { clientUuid: client.id, default: await names(false), optional: await names(true) };
}

async function attach(ctx: TaskContext, d: ClientScopesSpec, clientUuid: string, names: readonly string[], optional: boolean, add: boolean): Promise<void> {
  const api = keycloakApi(ctx, d.admin);
  for (const name of names) {
    const scope = await api.findClientScope(d.realm, name);
    if (!scope?.id) throw new TaskError(ctx.path, `client scope ${name} does not exist in realm ${d.realm}`);
    if (add) await api.addClientScopeTo(d.realm, clientUuid, scope.id, optional);
    else await api.removeClientScopeFrom(d.realm, clientUuid, scope.id, optional);
  }
}

/**
 * Attachment of the listed scopes to a client. Present: each listed scope is attached (others
 * are left alone). Absent: the listed scopes are detached.
 */
export const clientScopesProvider: Provider<ClientScopesSpec, KeycloakClientScopes> = {
  kind: 'keycloak.clientScopes',
  describe: (d) => `client scopes of Keycloak client ${d.clientId} in realm ${d.realm}`,
  id: (d) => `${clientTarget(d.realm, d.clientId)}/scopes`,
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.default?.length && !d.optional?.length) report('give default or optional scopes');
  },
  read: async (ctx, d) => {
    // "Absent" means none of the listed scopes is attached (or the client does not exist).
    const live = await scopesOf(ctx, d);
    const any = (d.default ?? []).some((s) => live?.default.includes(s)) || (d.optional ?? []).some((s) => live?.optional.includes(s));
    return any ? live : undefined;
  },
  diff: (d, live) => {
    const missing = (want: string[] | undefined, have: string[]) => (want ?? []).filter((s) => !have.includes(s));
    const out = [];
    const md = missing(d.default, live.default);
    const mo = missing(d.optional, live.optional);
    if (md.length) out.push({ field: 'default', before: live.default, after: [...live.default, ...md] });
    if (mo.length) out.push({ field: 'optional', before: live.optional, after: [...live.optional, ...mo] });
    return out;
  },
  create: async (ctx, d) => {
    const live = await scopesOf(ctx, d);
    if (!live) throw new TaskError(ctx.path, `client ${d.clientId} does not exist in realm ${d.realm}`);
    await attach(
      ctx,
      d,
      live.clientUuid,
      (d.default ?? []).filter((s) => !live.default.includes(s)),
      false,
      true,
    );
    await attach(
      ctx,
      d,
      live.clientUuid,
      (d.optional ?? []).filter((s) => !live.optional.includes(s)),
      true,
      true,
    );
  },
  update: async (ctx, d, live) => {
    await attach(
      ctx,
      d,
      live.clientUuid,
      (d.default ?? []).filter((s) => !live.default.includes(s)),
      false,
      true,
    );
    await attach(
      ctx,
      d,
      live.clientUuid,
      (d.optional ?? []).filter((s) => !live.optional.includes(s)),
      true,
      true,
    );
  },
  delete: async (ctx, d, live) => {
    await attach(
      ctx,
      d,
      live.clientUuid,
      (d.default ?? []).filter((s) => live.default.includes(s)),
      false,
      false,
    );
    await attach(
      ctx,
      d,
      live.clientUuid,
      (d.optional ?? []).filter((s) => live.optional.includes(s)),
      true,
      false,
    );
  },
};

/** Ensures the listed client scopes are attached to a client (default or optional). */
export function clientScopes(name: string, options: ClientScopesSpec & EnsureOptions<any>): Task<KeycloakClientScopes | undefined> {
  const [spec, opts] = splitEnsureOptions<ClientScopesSpec>(options);
  return ensure(name, clientScopesProvider, spec, opts);
}
