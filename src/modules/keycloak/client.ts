import { compareFields, ensure, type EnsureOptions, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import { isSecret, Secret } from '../../runtime/secret.ts';
import type { Task } from '../../runtime/task.ts';
import type { ClientRepresentation } from './api.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/** An OpenID Connect client of a realm, identified by its `clientId`. */
export interface ClientSpec {
  admin: KeycloakAdmin;
  realm: string;
  clientId: string;
  name?: string;
  description?: string;
  /** @default true */
  enabled?: boolean;
  /** A public client has no secret. @default false (confidential) */
  publicClient?: boolean;
  /** Authorization code flow. @default true */
  standardFlowEnabled?: boolean;
  /** @default false */
  implicitFlowEnabled?: boolean;
  /** Resource owner password grant. @default false */
  directAccessGrantsEnabled?: boolean;
  /** @default false */
  serviceAccountsEnabled?: boolean;
  /** Exact set of valid redirect URIs (order does not matter). */
  redirectUris?: string[];
  /** Exact set of allowed CORS origins (`+` = the redirect URIs' origins). */
  webOrigins?: string[];
  rootUrl?: string;
  baseUrl?: string;
  /** Require PKCE with this code challenge method (attribute `pkce.code.challenge.method`). */
  pkce?: 'S256' | 'plain';
  /** Client attributes to manage (`post.logout.redirect.uris`: `+`); others are left as they are. */
  attributes?: Record<string, string>;
  /** A fixed client secret. When absent, Keycloak generates one and helix keeps it. */
  secret?: Secret;
}

/** A client as read: its internal `id` (the UUID the admin API addresses it by) and representation. */
export type KeycloakClient = Omit<ClientRepresentation, 'secret'> & {
  id: string;
  clientId: string;
  realm: string;
  /** The client secret, when it is confidential (never shown). */
  secret?: Secret;
};

/** The change target of a client (also what `clientSecret` asks `plannedCreate` about). */
export function clientTarget(realm: string, clientId: string): string {
  return `keycloak:${realm}/client/${clientId}`;
}

/** The managed properties, with defaults, in representation form. */
function wanted(d: ClientSpec): Record<string, unknown> {
  const attributes = { ...d.attributes, ...(d.pkce ? { 'pkce.code.challenge.method': d.pkce } : {}) };
  return {
    protocol: 'openid-connect',
    name: d.name,
    description: d.description,
    enabled: d.enabled ?? true,
    publicClient: d.publicClient ?? false,
    standardFlowEnabled: d.standardFlowEnabled ?? true,
    implicitFlowEnabled: d.implicitFlowEnabled ?? false,
    directAccessGrantsEnabled: d.directAccessGrantsEnabled ?? false,
    serviceAccountsEnabled: d.serviceAccountsEnabled ?? false,
    redirectUris: d.redirectUris,
    webOrigins: d.webOrigins,
    rootUrl: d.rootUrl,
    baseUrl: d.baseUrl,
    attributes: Object.keys(attributes).length ? attributes : undefined,
    secret: d.secret,
  };
}

/** The representation to send: the live one (if any) with the managed properties set. */
function representation(d: ClientSpec, live?: KeycloakClient): ClientRepresentation {
  const w = wanted(d);
  const { secret: _liveSecret, realm: _realm, ...liveRep } = live ?? ({} as Partial<KeycloakClient>);
  const rep: Record<string, unknown> = { ...liveRep, clientId: d.clientId };
  for (const [k, v] of Object.entries(w)) if (v !== undefined && k !== 'secret' && k !== 'attributes') rep[k] = v;
  rep.attributes = { ...live?.attributes, ...(w.attributes as Record<string, string> | undefined) };
  if (d.secret) rep.secret = d.secret.reveal();
  if (!d.publicClient && !live) rep.clientAuthenticatorType = 'client-secret';
  return rep as ClientRepresentation;
}

function fromRep(realm: string, rep: ClientRepresentation): KeycloakClient {
  const { secret, ...rest } = rep;
  return {
    ...rest,
    id: rep.id ?? '',
    clientId: rep.clientId ?? '',
    realm,
    ...(secret ? { secret: new Secret(secret, `keycloak client ${rep.clientId} in realm ${realm}`) } : {}),
  };
}

export const clientProvider: Provider<ClientSpec, KeycloakClient> = {
  kind: 'keycloak.client',
  describe: (d) => `Keycloak client ${d.clientId} in realm ${d.realm}`,
  id: (d) => clientTarget(d.realm, d.clientId),
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.realm) report('realm is required');
    if (!d.clientId) report('clientId is required');
    for (const uri of d.redirectUris ?? []) {
      if (!/^(https?:\/\/|\/|\*$|\+$)/.test(uri)) report(`redirectUris: "${uri}" is not an absolute URL or path`);
    }
    if (d.publicClient && d.secret) report('secret: a public client has no secret');
    if (d.secret !== undefined && !isSecret(d.secret)) report('secret: must be a secret reference, not a plain string');
  },
  read: async (ctx, d) => {
    const rep = await keycloakApi(ctx, d.admin).findClient(d.realm, d.clientId);
    return rep ? fromRep(d.realm, rep) : undefined;
  },
  diff: (d, live) =>
    compareFields(wanted(d), live, {
      redirectUris: { set: true },
      webOrigins: { set: true },
      secret: { secret: true },
    }),
  create: async (ctx, d) => {
    await keycloakApi(ctx, d.admin).createClient(d.realm, representation(d));
  },
  update: (ctx, d, live) => keycloakApi(ctx, d.admin).updateClient(d.realm, live.id, representation(d, live)),
  delete: (ctx, d, live) => keycloakApi(ctx, d.admin).deleteClient(d.realm, live.id),
  predict: (d, live) => (live ? fromRep(d.realm, { ...representation(d, live), id: live.id }) : undefined),
};

/**
 * Ensures an OpenID Connect client exists in a realm and matches the wish: created when
 * absent, updated when it drifted (redirect URIs, flows, attributes), deleted by its internal
 * id with `state: 'absent'`. The result carries the internal `id`.
 */
export function client(name: string, options: ClientSpec & EnsureOptions<KeycloakClient> & { state?: 'present' }): Task<KeycloakClient>;
export function client(name: string, options: ClientSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function client(name: string, options: ClientSpec & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions<ClientSpec>(options);
  return ensure(name, clientProvider, spec, opts);
}
