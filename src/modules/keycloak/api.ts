import type ClientRepresentation from '@keycloak/keycloak-admin-client/lib/defs/clientRepresentation.js';
import type ClientScopeRepresentation from '@keycloak/keycloak-admin-client/lib/defs/clientScopeRepresentation.js';
import type GroupRepresentation from '@keycloak/keycloak-admin-client/lib/defs/groupRepresentation.js';
import type ProtocolMapperRepresentation from '@keycloak/keycloak-admin-client/lib/defs/protocolMapperRepresentation.js';
import type RealmRepresentation from '@keycloak/keycloak-admin-client/lib/defs/realmRepresentation.js';
import type RoleRepresentation from '@keycloak/keycloak-admin-client/lib/defs/roleRepresentation.js';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js';
import type { Secret } from '../../runtime/secret.ts';

export type {
  ClientRepresentation,
  ClientScopeRepresentation,
  GroupRepresentation,
  ProtocolMapperRepresentation,
  RealmRepresentation,
  RoleRepresentation,
  UserRepresentation,
};

/**
 * The Keycloak admin operations helix uses: the IO seam of this module (unit tests fake it).
 * `find*`/`get*` resolve `undefined` when the object or its realm does not exist; every other
 * failure throws a `TargetError` with the HTTP status and Keycloak's short error text, never a
 * raw response body. `delete*` treat "not found" as done.
 */
export interface KeycloakApi {
  /** Base URL, for messages. */
  readonly url: string;
  /** Ends the admin session (called once when the run ends). */
  close?(): Promise<void>;

  getRealm(realm: string): Promise<RealmRepresentation | undefined>;
  createRealm(rep: RealmRepresentation): Promise<void>;
  updateRealm(realm: string, rep: RealmRepresentation): Promise<void>;
  deleteRealm(realm: string): Promise<void>;

  findClient(realm: string, clientId: string): Promise<ClientRepresentation | undefined>;
  createClient(realm: string, rep: ClientRepresentation): Promise<string>;
  updateClient(realm: string, id: string, rep: ClientRepresentation): Promise<void>;
  /** By internal id (the UUID), never by clientId. */
  deleteClient(realm: string, id: string): Promise<void>;
  getClientSecret(realm: string, id: string): Promise<Secret | undefined>;

  listMappers(realm: string, clientUuid: string): Promise<ProtocolMapperRepresentation[]>;
  createMapper(realm: string, clientUuid: string, rep: ProtocolMapperRepresentation): Promise<void>;
  updateMapper(realm: string, clientUuid: string, rep: ProtocolMapperRepresentation & { id: string }): Promise<void>;
  deleteMapper(realm: string, clientUuid: string, mapperId: string): Promise<void>;

  findClientScope(realm: string, name: string): Promise<ClientScopeRepresentation | undefined>;
  createClientScope(realm: string, rep: ClientScopeRepresentation): Promise<void>;
  updateClientScope(realm: string, id: string, rep: ClientScopeRepresentation): Promise<void>;
  deleteClientScope(realm: string, id: string): Promise<void>;
  /** Every client scope of the realm. */
  listClientScopes(realm: string): Promise<ClientScopeRepresentation[]>;
  /** Names of the client's default (`optional: false`) or optional client scopes. */
  listClientScopesOf(realm: string, clientUuid: string, optional: boolean): Promise<ClientScopeRepresentation[]>;
  addClientScopeTo(realm: string, clientUuid: string, scopeId: string, optional: boolean): Promise<void>;
  removeClientScopeFrom(realm: string, clientUuid: string, scopeId: string, optional: boolean): Promise<void>;

  getRealmRole(realm: string, name: string): Promise<RoleRepresentation | undefined>;
  createRealmRole(realm: string, rep: RoleRepresentation): Promise<void>;
  updateRealmRole(realm: string, name: string, rep: RoleRepresentation): Promise<void>;
  deleteRealmRole(realm: string, name: string): Promise<void>;

  /** A top-level group by exact name. */
  findGroup(realm: string, name: string): Promise<GroupRepresentation | undefined>;
  createGroup(realm: string, rep: GroupRepresentation): Promise<string>;
  updateGroup(realm: string, id: string, rep: GroupRepresentation): Promise<void>;
  deleteGroup(realm: string, id: string): Promise<void>;
  /** Top-level groups, all or those whose name contains `search`. */
  listGroups(realm: string, search?: string): Promise<GroupRepresentation[]>;
  groupRealmRoles(realm: string, groupId: string): Promise<string[]>;
  setGroupRealmRoles(realm: string, groupId: string, add: readonly string[], remove: readonly string[]): Promise<void>;

  /** A user by exact username. */
  findUser(realm: string, username: string): Promise<UserRepresentation | undefined>;
  /** Users by exact username, or whose username contains it (`exact: false`). */
  searchUsers(realm: string, username: string, exact: boolean): Promise<UserRepresentation[]>;
  createUser(realm: string, rep: UserRepresentation): Promise<string>;
  updateUser(realm: string, id: string, rep: UserRepresentation): Promise<void>;
  deleteUser(realm: string, id: string): Promise<void>;
  setPassword(realm: string, userId: string, password: Secret): Promise<void>;
  /** True when the user can log in with this password (a password grant on the realm's `admin-cli`). */
  passwordWorks(realm: string, username: string, password: Secret): Promise<boolean>;
  userGroups(realm: string, userId: string): Promise<string[]>;
  setUserGroups(realm: string, userId: string, add: readonly string[], remove: readonly string[]): Promise<void>;
}
