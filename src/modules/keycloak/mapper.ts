import { TaskError } from '../../runtime/errors.ts';
import { compareFields, ensure, type EnsureOptions, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import type { Task, TaskContext } from '../../runtime/task.ts';
import type { ProtocolMapperRepresentation } from './api.ts';
import { clientTarget } from './client.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/** A protocol mapper of a client, identified by its name within the client. */
export interface ProtocolMapperSpec {
  admin: KeycloakAdmin;
  realm: string;
  /** The client's `clientId` (not its internal id). */
  clientId: string;
  /** The mapper's name within the client: `audience-mapper`. */
  mapper: string;
  /** Mapper type: `oidc-audience-mapper`, `oidc-group-membership-mapper`, … */
  protocolMapper: string;
  /** @default 'openid-connect' */
  protocol?: string;
  /** Config keys to manage; keys Keycloak adds on its own are left as they are. */
  config: Record<string, string>;
}

export type KeycloakProtocolMapper = ProtocolMapperRepresentation & { id: string; name: string; clientUuid: string };

function wanted(d: ProtocolMapperSpec): Record<string, unknown> {
  return { protocolMapper: d.protocolMapper, protocol: d.protocol ?? 'openid-connect', config: d.config };
}

async function clientUuid(ctx: TaskContext, d: ProtocolMapperSpec): Promise<string | undefined> {
  return (await keycloakApi(ctx, d.admin).findClient(d.realm, d.clientId))?.id;
}

export const protocolMapperProvider: Provider<ProtocolMapperSpec, KeycloakProtocolMapper> = {
  kind: 'keycloak.protocolMapper',
  describe: (d) => `protocol mapper ${d.mapper} of Keycloak client ${d.clientId} in realm ${d.realm}`,
  id: (d) => `${clientTarget(d.realm, d.clientId)}/mapper/${d.mapper}`,
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.realm) report('realm is required');
    if (!d.clientId) report('clientId is required');
    if (!d.mapper) report('mapper (its name) is required');
    if (!d.protocolMapper) report('protocolMapper (the mapper type) is required');
    for (const [k, v] of Object.entries(d.config ?? {})) if (typeof v !== 'string') report(`config.${k}: must be a string`);
  },
  read: async (ctx, d) => {
    const id = await clientUuid(ctx, d);
    if (!id) return undefined;
    const found = (await keycloakApi(ctx, d.admin).listMappers(d.realm, id)).find((m) => m.name === d.mapper);
    return found?.id ? { ...found, id: found.id, name: d.mapper, clientUuid: id } : undefined;
  },
  diff: (d, live) => compareFields(wanted(d), live, { protocolMapper: { replace: true }, protocol: { replace: true } }),
  create: async (ctx, d) => {
    const id = await clientUuid(ctx, d);
    if (!id) throw new TaskError(ctx.path, `client ${d.clientId} does not exist in realm ${d.realm}`);
    await keycloakApi(ctx, d.admin).createMapper(d.realm, id, { name: d.mapper, ...wanted(d) } as ProtocolMapperRepresentation);
  },
  update: (ctx, d, live) => {
    const { clientUuid: uuid, ...rep } = live;
    return keycloakApi(ctx, d.admin).updateMapper(d.realm, uuid, { ...rep, config: { ...live.config, ...d.config } });
  },
  delete: (ctx, d, live) => keycloakApi(ctx, d.admin).deleteMapper(d.realm, live.clientUuid, live.id),
  predict: (d, live) => (live ? { ...live, config: { ...live.config, ...d.config } } : undefined),
};

type MapperOptions = ProtocolMapperSpec & EnsureOptions<any>;

/** Ensures a protocol mapper on a client matches the wish (or is absent). */
export function protocolMapper(
  name: string,
  options: ProtocolMapperSpec & EnsureOptions<KeycloakProtocolMapper> & { state?: 'present' },
): Task<KeycloakProtocolMapper>;
export function protocolMapper(name: string, options: ProtocolMapperSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function protocolMapper(name: string, options: MapperOptions): Task<KeycloakProtocolMapper | undefined>;
export function protocolMapper(name: string, options: MapperOptions): Task<any> {
  const [spec, opts] = splitEnsureOptions<ProtocolMapperSpec>(options);
  return ensure(name, protocolMapperProvider, spec, opts);
}

/** The result of a mapper helper: the mapper, or undefined with `state: 'absent'`. */
type MapperTask = Task<KeycloakProtocolMapper | undefined>;

type Common = Omit<ProtocolMapperSpec, 'mapper' | 'protocolMapper' | 'config'> & EnsureOptions<any> & { mapper?: string };

const claims = (idToken = true, accessToken = true, userinfo = true): Record<string, string> => ({
  'id.token.claim': String(idToken),
  'access.token.claim': String(accessToken),
  'userinfo.token.claim': String(userinfo),
});

/**
 * An audience mapper: tokens issued to the client carry `audience` in `aud` (oauth2-proxy
 * rejects ID tokens whose `aud` lacks its client id).
 */
export function audienceMapper(
  name: string,
  options: Common & {
    /** @default the clientId */
    audience?: string;
  },
): MapperTask {
  const { audience, mapper, ...rest } = options;
  return protocolMapper(name, {
    ...rest,
    mapper: mapper ?? 'audience-mapper',
    protocolMapper: 'oidc-audience-mapper',
    config: { 'included.client.audience': audience ?? options.clientId, 'id.token.claim': 'true', 'access.token.claim': 'true' },
  } as MapperOptions);
}

/** Group names in a `groups` claim (`full.path` false: `admins`, not `/admins`). */
export function groupMembershipMapper(
  name: string,
  options: Common & {
    /** @default 'groups' */
    claim?: string;
    /** @default false */
    fullPath?: boolean;
  },
): MapperTask {
  const { claim, fullPath, mapper, ...rest } = options;
  return protocolMapper(name, {
    ...rest,
    mapper: mapper ?? 'groups',
    protocolMapper: 'oidc-group-membership-mapper',
    config: { 'claim.name': claim ?? 'groups', 'full.path': String(fullPath ?? false), ...claims() },
  } as MapperOptions);
}

/** The user's realm roles in a claim (Keycloak's default place is `realm_access.roles`). */
export function realmRolesMapper(
  name: string,
  options: Common & {
    /** @default 'roles' */
    claim?: string;
  },
): MapperTask {
  const { claim, mapper, ...rest } = options;
  return protocolMapper(name, {
    ...rest,
    mapper: mapper ?? 'realm-roles',
    protocolMapper: 'oidc-usermodel-realm-role-mapper',
    config: { 'claim.name': claim ?? 'roles', multivalued: 'true', 'jsonType.label': 'String', ...claims() },
  } as MapperOptions);
}
