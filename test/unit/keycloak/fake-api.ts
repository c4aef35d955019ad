import { randomUUID } from 'node:crypto';
import type { KeycloakApi } from '../../../src/modules/keycloak/api.ts';
import type {
  ClientRepresentation,
  ClientScopeRepresentation,
  GroupRepresentation,
  ProtocolMapperRepresentation,
  RealmRepresentation,
  RoleRepresentation,
  UserRepresentation,
} from '../../../src/modules/keycloak/api.ts';
import { TargetError } from '../../../src/runtime/errors.ts';
import { Secret } from '../../../src/runtime/secret.ts';

interface RealmData {
  rep: RealmRepresentation;
  clients: Map<
    string,
    ClientRepresentation & { mappers: (ProtocolMapperRepresentation & { id: string })[]; defaultScopes: string[]; optionalScopes: string[] }
  >;
  scopes: Map<string, ClientScopeRepresentation & { id: string }>;
  roles: Map<string, RoleRepresentation>;
  groups: Map<string, GroupRepresentation & { id: string; roles: string[] }>;
  users: Map<string, UserRepresentation & { id: string; password?: string; groups: string[] }>;
}

const clone = <T>(v: T): T => structuredClone(v);

/** An in-memory Keycloak admin API (the module's IO seam), with a log of the calls made. */
export class FakeKeycloak implements KeycloakApi {
  readonly url = 'https://kc.test';
  readonly realms = new Map<string, RealmData>();
  readonly calls: string[] = [];

  realm(name: string): RealmData {
    const r = this.realms.get(name);
    if (!r) throw new TargetError(`keycloak ${this.url}`, `realm ${name}: HTTP 404`);
    return r;
  }
  #log(call: string): void {
    this.calls.push(call);
  }
  writes(): string[] {
    return this.calls.filter((c) => !/^(get|find|list|group(Realm)?Roles|userGroups|password)/.test(c));
  }
  clientById(realm: string, id: string) {
    const c = [...this.realm(realm).clients.values()].find((x) => x.id === id);
    if (!c) throw new TargetError(`keycloak ${this.url}`, `client ${id}: HTTP 404`);
    return c;
  }
  addRealm(name: string, rep: RealmRepresentation = {}): void {
    this.realms.set(name, {
      rep: { realm: name, enabled: true, ...rep },
      clients: new Map(),
      scopes: new Map(),
      roles: new Map(),
      groups: new Map(),
      users: new Map(),
    });
  }

  async getRealm(realm: string) {
    this.#log(`getRealm ${realm}`);
    const r = this.realms.get(realm);
    return r ? clone(r.rep) : undefined;
  }
  async createRealm(rep: RealmRepresentation) {
    this.#log(`createRealm ${rep.realm}`);
    if (this.realms.has(rep.realm!)) throw new TargetError(`keycloak ${this.url}`, 'HTTP 409');
    this.addRealm(rep.realm!, rep);
  }
  async updateRealm(realm: string, rep: RealmRepresentation) {
    this.#log(`updateRealm ${realm}`);
    this.realm(realm).rep = { ...this.realm(realm).rep, ...clone(rep) };
  }
  async deleteRealm(realm: string) {
    this.#log(`deleteRealm ${realm}`);
    this.realms.delete(realm);
  }

  async findClient(realm: string, clientId: string) {
    this.#log(`findClient ${realm} ${clientId}`);
    const c = this.realms.get(realm)?.clients.get(clientId);
    if (!c) return undefined;
    const { mappers: _m, defaultScopes: _d, optionalScopes: _o, ...rep } = clone(c);
    return rep;
  }
  async createClient(realm: string, rep: ClientRepresentation) {
    this.#log(`createClient ${realm} ${rep.clientId}`);
    const r = this.realm(realm);
    if (r.clients.has(rep.clientId!)) throw new TargetError(`keycloak ${this.url}`, `create client ${rep.clientId}: HTTP 409`);
    const id = randomUUID();
    r.clients.set(rep.clientId!, {
      ...clone(rep),
      id,
      attributes: { 'backchannel.logout.session.required': 'true', ...rep.attributes },
      secret: rep.publicClient ? undefined : (rep.secret ?? `generated-${randomUUID()}`),
      mappers: [],
      defaultScopes: ['profile', 'email'],
      optionalScopes: [],
    });
    return id;
  }
  async updateClient(realm: string, id: string, rep: ClientRepresentation) {
    this.#log(`updateClient ${realm} ${id}`);
    const c = this.clientById(realm, id);
    Object.assign(c, clone(rep), { attributes: { ...c.attributes, ...rep.attributes } });
  }
  async deleteClient(realm: string, id: string) {
    this.#log(`deleteClient ${realm} ${id}`);
    const r = this.realm(realm);
    for (const [k, c] of r.clients) if (c.id === id) r.clients.delete(k);
  }
  async getClientSecret(realm: string, id: string) {
    this.#log(`getClientSecret ${realm} ${id}`);
    const s = this.clientById(realm, id).secret;
    return s ? new Secret(s) : undefined;
  }

  async listMappers(realm: string, id: string) {
    this.#log(`listMappers ${realm} ${id}`);
    return clone(this.clientById(realm, id).mappers);
  }
  async createMapper(realm: string, id: string, rep: ProtocolMapperRepresentation) {
    this.#log(`createMapper ${realm} ${rep.name}`);
    const c = this.clientById(realm, id);
    if (c.mappers.some((m) => m.name === rep.name)) throw new TargetError(`keycloak ${this.url}`, 'HTTP 409');
    c.mappers.push({ ...clone(rep), id: randomUUID(), config: { 'introspection.token.claim': 'true', ...rep.config } });
  }
  async updateMapper(realm: string, id: string, rep: ProtocolMapperRepresentation & { id: string }) {
    this.#log(`updateMapper ${realm} ${rep.name}`);
    const c = this.clientById(realm, id);
    c.mappers = c.mappers.map((m) => (m.id === rep.id ? clone(rep) : m));
  }
  async deleteMapper(realm: string, id: string, mapperId: string) {
    this.#log(`deleteMapper ${realm} ${mapperId}`);
    const c = this.clientById(realm, id);
    c.mappers = c.mappers.filter((m) => m.id !== mapperId);
  }

  async findClientScope(realm: string, name: string) {
    this.#log(`findClientScope ${realm} ${name}`);
    const s = this.realms.get(realm)?.scopes.get(name);
    return s ? clone(s) : undefined;
  }
  async createClientScope(realm: string, rep: ClientScopeRepresentation) {
    this.#log(`createClientScope ${realm} ${rep.name}`);
    this.realm(realm).scopes.set(rep.name!, { ...clone(rep), id: randomUUID() });
  }
  async updateClientScope(realm: string, id: string, rep: ClientScopeRepresentation) {
    this.#log(`updateClientScope ${realm} ${rep.name}`);
    this.realm(realm).scopes.set(rep.name!, { ...clone(rep), id });
  }
  async deleteClientScope(realm: string, id: string) {
    this.#log(`deleteClientScope ${realm} ${id}`);
    const r = this.realm(realm);
    for (const [k, s] of r.scopes) if (s.id === id) r.scopes.delete(k);
  }
  #scopeName(realm: string, id: string): string {
    return [...this.realm(realm).scopes.values()].find((s) => s.id === id)?.name ?? id;
  }
  async listClientScopesOf(realm: string, id: string, optional: boolean) {
    this.#log(`listClientScopesOf ${realm} ${id}`);
    const c = this.clientById(realm, id);
    return (optional ? c.optionalScopes : c.defaultScopes).map((name) => ({ name }));
  }
  async addClientScopeTo(realm: string, id: string, scopeId: string, optional: boolean) {
    this.#log(`addClientScopeTo ${realm} ${scopeId}`);
    const c = this.clientById(realm, id);
    (optional ? c.optionalScopes : c.defaultScopes).push(this.#scopeName(realm, scopeId));
  }
  async removeClientScopeFrom(realm: string, id: string, scopeId: string, optional: boolean) {
    this.#log(`removeClientScopeFrom ${realm} ${scopeId}`);
    const c = this.clientById(realm, id);
    const name = this.#scopeName(realm, scopeId);
    if (optional) c.optionalScopes = c.optionalScopes.filter((s) => s !== name);
    else c.defaultScopes = c.defaultScopes.filter((s) => s !== name);
  }

  async listClientScopes(realm: string) {
    this.#log(`listClientScopes ${realm}`);
    return [...this.realm(realm).scopes.values()].map(clone);
  }
  async listGroups(realm: string, search?: string) {
    this.#log(`listGroups ${realm} ${search ?? ''}`);
    return [...this.realm(realm).groups.values()].filter((g) => search === undefined || g.name!.includes(search)).map(({ roles: _r, ...rep }) => clone(rep));
  }
  async searchUsers(realm: string, username: string, exact: boolean) {
    this.#log(`searchUsers ${realm} ${username}`);
    const want = username.toLowerCase();
    return [...this.realm(realm).users.values()]
      .filter((u) => (exact ? u.username === want : u.username!.includes(want)))
      .map(({ password: _p, groups: _g, ...rep }) => clone(rep));
  }
  async getRealmRole(realm: string, name: string) {
    this.#log(`getRealmRole ${realm} ${name}`);
    const r = this.realms.get(realm)?.roles.get(name);
    return r ? clone(r) : undefined;
  }
  async createRealmRole(realm: string, rep: RoleRepresentation) {
    this.#log(`createRealmRole ${realm} ${rep.name}`);
    this.realm(realm).roles.set(rep.name!, { ...clone(rep), id: randomUUID() });
  }
  async updateRealmRole(realm: string, name: string, rep: RoleRepresentation) {
    this.#log(`updateRealmRole ${realm} ${name}`);
    this.realm(realm).roles.set(name, clone(rep));
  }
  async deleteRealmRole(realm: string, name: string) {
    this.#log(`deleteRealmRole ${realm} ${name}`);
    this.realm(realm).roles.delete(name);
  }

  async findGroup(realm: string, name: string) {
    this.#log(`findGroup ${realm} ${name}`);
    const g = this.realms.get(realm)?.groups.get(name);
    if (!g) return undefined;
    const { roles: _r, ...rep } = clone(g);
    return rep;
  }
  async createGroup(realm: string, rep: GroupRepresentation) {
    this.#log(`createGroup ${realm} ${rep.name}`);
    const id = randomUUID();
    this.realm(realm).groups.set(rep.name!, { ...clone(rep), id, roles: [] });
    return id;
  }
  #group(realm: string, id: string) {
    const g = [...this.realm(realm).groups.values()].find((x) => x.id === id);
    if (!g) throw new TargetError(`keycloak ${this.url}`, 'group: HTTP 404');
    return g;
  }
  async updateGroup(realm: string, id: string, rep: GroupRepresentation) {
    this.#log(`updateGroup ${realm} ${rep.name}`);
    Object.assign(this.#group(realm, id), clone(rep));
  }
  async deleteGroup(realm: string, id: string) {
    this.#log(`deleteGroup ${realm} ${id}`);
    const r = this.realm(realm);
    for (const [k, g] of r.groups) if (g.id === id) r.groups.delete(k);
  }
  async groupRealmRoles(realm: string, id: string) {
    this.#log(`groupRealmRoles ${realm} ${id}`);
    return [...this.#group(realm, id).roles];
  }
  async setGroupRealmRoles(realm: string, id: string, add: readonly string[], remove: readonly string[]) {
    this.#log(`setGroupRealmRoles ${realm} +${add.join(',')} -${remove.join(',')}`);
    const g = this.#group(realm, id);
    g.roles = [...g.roles.filter((r) => !remove.includes(r)), ...add];
  }

  async findUser(realm: string, username: string) {
    this.#log(`findUser ${realm} ${username}`);
    const u = this.realms.get(realm)?.users.get(username.toLowerCase());
    if (!u) return undefined;
    const { password: _p, groups: _g, ...rep } = clone(u);
    return rep;
  }
  async createUser(realm: string, rep: UserRepresentation) {
    this.#log(`createUser ${realm} ${rep.username}`);
    const id = randomUUID();
    this.realm(realm).users.set(rep.username!.toLowerCase(), { ...clone(rep), username: rep.username!.toLowerCase(), id, groups: [] });
    return id;
  }
  #user(realm: string, id: string) {
    const u = [...this.realm(realm).users.values()].find((x) => x.id === id);
    if (!u) throw new TargetError(`keycloak ${this.url}`, 'user: HTTP 404');
    return u;
  }
  async updateUser(realm: string, id: string, rep: UserRepresentation) {
    this.#log(`updateUser ${realm} ${rep.username}`);
    Object.assign(this.#user(realm, id), clone(rep));
  }
  async deleteUser(realm: string, id: string) {
    this.#log(`deleteUser ${realm} ${id}`);
    const r = this.realm(realm);
    for (const [k, u] of r.users) if (u.id === id) r.users.delete(k);
  }
  async setPassword(realm: string, id: string, password: Secret) {
    this.#log(`setPassword ${realm} ${id}`);
    this.#user(realm, id).password = password.reveal();
  }
  async passwordWorks(realm: string, username: string, password: Secret) {
    this.#log(`passwordWorks ${realm} ${username}`);
    const u = this.realms.get(realm)?.users.get(username.toLowerCase());
    return u?.password === password.reveal() && u.enabled !== false;
  }
  async userGroups(realm: string, id: string) {
    this.#log(`userGroups ${realm} ${id}`);
    return [...this.#user(realm, id).groups];
  }
  async setUserGroups(realm: string, id: string, add: readonly string[], remove: readonly string[]) {
    this.#log(`setUserGroups ${realm} +${add.join(',')} -${remove.join(',')}`);
    const u = this.#user(realm, id);
    u.groups = [...u.groups.filter((g) => !remove.includes(g)), ...add];
  }
}
