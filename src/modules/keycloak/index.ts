/**
 * Keycloak through its admin API (@keycloak/keycloak-admin-client). Every resource follows
 * the provider contract of `runtime/provider.ts`: read, diff, create, update, delete; drift is
 * corrected, "already exists" is never taken for success, deletes go by internal id.
 */
export type { KeycloakApi } from './api.ts';
export { client, clientProvider, clientTarget, type ClientSpec, type KeycloakClient } from './client.ts';
export { clientFields, type ClientFields } from './client-fields.ts';
export { clientSecret, type ClientSecretSpec } from './client-secret.ts';
export {
  clientScope,
  clientScopeProvider,
  clientScopes,
  clientScopesProvider,
  type ClientScopeSpec,
  type ClientScopesSpec,
  type KeycloakClientScope,
  type KeycloakClientScopes,
} from './client-scope.ts';
export { group, groupProvider, type GroupSpec, type KeycloakGroup } from './group.ts';
export {
  audienceMapper,
  groupMembershipMapper,
  protocolMapper,
  protocolMapperProvider,
  realmRolesMapper,
  type KeycloakProtocolMapper,
  type ProtocolMapperSpec,
} from './mapper.ts';
export {
  findUsers,
  getRealmRole,
  listClientScopes,
  listGroups,
  type FindUsersSpec,
  type GetRealmRoleSpec,
  type ListGroupsSpec,
} from './read.ts';
export { realm, realmProvider, type KeycloakRealm, type RealmSpec } from './realm.ts';
export { realmRole, realmRoleProvider, type KeycloakRole, type RealmRoleSpec } from './role.ts';
export { keycloakApi, sessionKey, type KeycloakAdmin } from './session.ts';
export { user, userProvider, userTarget, type KeycloakUser, type UserSpec } from './user.ts';
