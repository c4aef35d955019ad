import KeycloakAdminClient, { NetworkError } from '@keycloak/keycloak-admin-client';
import { HelixError } from '../../runtime/errors.ts';
import { fetchWithTls, requestInitWithTls } from '../../runtime/fetch.ts';
import { markSecret, Secret } from '../../runtime/secret.ts';
import type { KeycloakApi } from './api.ts';
import { type KeycloakAdmin, keycloakError } from './session.ts';

/**
 * The real `KeycloakApi`, over @keycloak/keycloak-admin-client. Logs in on first use
 * (password grant of the admin user), refreshes the token when it expires and logs in
 * again when the refresh token has expired too.
 */
export function connectAdminClient(admin: KeycloakAdmin, unverified: readonly string[]): KeycloakApi {
  const url = admin.url.replace(/\/+$/, '');
  const loginRealm = admin.loginRealm ?? 'master';
  const clientId = admin.clientId ?? 'admin-cli';
  const fail = (op: string, error: unknown): never => {
    throw describeFailure(url, op, error);
  };

  let ready: Promise<{ kc: KeycloakAdminClient; tokens: KeycloakAdminClient }> | undefined;
  const client = (): Promise<KeycloakAdminClient> => {
    ready ??= (async () => {
      const requestOptions = requestInitWithTls(unverified);
      const tokens = new KeycloakAdminClient({ baseUrl: url, realmName: loginRealm, requestOptions, timeout: 30_000 });
      const kc = new KeycloakAdminClient({ baseUrl: url, realmName: loginRealm, requestOptions, timeout: 30_000 });
      const login = async (): Promise<void> => {
        try {
          await tokens.auth({ grantType: 'password', clientId, username: admin.username, password: admin.password.reveal() });
        } catch (error) {
          fail(`admin login as ${admin.username} (realm ${loginRealm}, client ${clientId})`, error);
        }
        if (tokens.accessToken) markSecret(tokens.accessToken);
        if (tokens.refreshToken) markSecret(tokens.refreshToken);
      };
      await login();
      kc.registerTokenProvider({
        getAccessToken: async () => {
          try {
            const token = await tokens.getAccessToken();
            if (token) markSecret(token);
            return token;
          } catch {
            await login();
            return tokens.accessToken;
          }
        },
      });
      return { kc, tokens };
    })();
    ready.catch(() => (ready = undefined));
    return ready.then((r) => r.kc);
  };

  /** Runs one admin call; maps its failure to a TargetError naming the operation. */
  const call = async <T>(op: string, fn: (kc: KeycloakAdminClient) => Promise<T>): Promise<T> => {
    const kc = await client();
    try {
      return await fn(kc);
    } catch (error) {
      return fail(op, error);
    }
  };
  /** Like `call`, but "not found" (the object or its realm) resolves `undefined`. */
  const find = async <T>(op: string, fn: (kc: KeycloakAdminClient) => Promise<T | undefined | null>): Promise<T | undefined> => {
    const kc = await client();
    try {
      return (await fn(kc)) ?? undefined;
    } catch (error) {
      if (status(error) === 404) return undefined;
      return fail(op, error);
    }
  };
  /** Like `call`, but "not found" counts as done (a delete of something already gone). */
  const gone = async (op: string, fn: (kc: KeycloakAdminClient) => Promise<unknown>): Promise<void> => {
    const kc = await client();
    try {
      await fn(kc);
    } catch (error) {
      if (status(error) === 404) return;
      fail(op, error);
    }
  };

  const scopeOps = (optional: boolean) =>
    optional
      ? ({ list: 'listOptionalClientScopes', add: 'addOptionalClientScope', del: 'delOptionalClientScope' } as const)
      : ({ list: 'listDefaultClientScopes', add: 'addDefaultClientScope', del: 'delDefaultClientScope' } as const);

  const realmRoleReps = async (kc: KeycloakAdminClient, realm: string, names: readonly string[]) =>
    Promise.all(
      names.map(async (name) => {
        const role = await kc.roles.findOneByName({ realm, name });
        if (!role?.id) throw new HelixError(`realm role "${name}" does not exist in realm ${realm}`);
        return { id: role.id, name };
      }),
    );

  return {
    url,

    close: async () => {
      const session = await ready?.catch(() => undefined);
      ready = undefined;
      const refreshToken = session?.tokens.refreshToken;
      if (!refreshToken) return;
      // Log the admin session out instead of leaving it to expire.
      await fetchWithTls(unverified)(`${url}/realms/${encodeURIComponent(loginRealm)}/protocol/openid-connect/logout`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, refresh_token: refreshToken }),
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
    },

    getRealm: (realm) => find(`read realm ${realm}`, (kc) => kc.realms.findOne({ realm })),
    createRealm: (rep) => call(`create realm ${rep.realm}`, async (kc) => void (await kc.realms.create(rep))),
    updateRealm: (realm, rep) => call(`update realm ${realm}`, (kc) => kc.realms.update({ realm }, rep)),
    deleteRealm: (realm) => gone(`delete realm ${realm}`, (kc) => kc.realms.del({ realm })),

    findClient: (realm, clientId) =>
      find(`read client ${clientId} in realm ${realm}`, async (kc) => {
        const found = await kc.clients.find({ realm, clientId, max: 2 });
        const rep = found.find((c) => c.clientId === clientId);
        if (rep?.secret) markSecret(rep.secret);
        return rep;
      }),
    createClient: (realm, rep) => call(`create client ${rep.clientId} in realm ${realm}`, async (kc) => (await kc.clients.create({ realm, ...rep })).id),
    updateClient: (realm, id, rep) => call(`update client ${rep.clientId} in realm ${realm}`, (kc) => kc.clients.update({ realm, id }, rep)),
    deleteClient: (realm, id) => gone(`delete client ${id} in realm ${realm}`, (kc) => kc.clients.del({ realm, id })),
    getClientSecret: (realm, id) =>
      find(`read the secret of client ${id} in realm ${realm}`, async (kc) => {
        const cred = await kc.clients.getClientSecret({ realm, id });
        return cred.value ? new Secret(cred.value, `keycloak ${url} realm ${realm} client ${id}`) : undefined;
      }),

    listMappers: (realm, id) => call(`list protocol mappers of client ${id} in realm ${realm}`, (kc) => kc.clients.listProtocolMappers({ realm, id })),
    createMapper: (realm, id, rep) => call(`create protocol mapper ${rep.name} in realm ${realm}`, (kc) => kc.clients.addProtocolMapper({ realm, id }, rep)),
    updateMapper: (realm, id, rep) =>
      call(`update protocol mapper ${rep.name} in realm ${realm}`, (kc) => kc.clients.updateProtocolMapper({ realm, id, mapperId: rep.id }, rep)),
    deleteMapper: (realm, id, mapperId) =>
      gone(`delete protocol mapper ${mapperId} in realm ${realm}`, (kc) => kc.clients.delProtocolMapper({ realm, id, mapperId })),

    findClientScope: (realm, name) =>
      find(`read client scope ${name} in realm ${realm}`, async (kc) => (await kc.clientScopes.find({ realm })).find((s) => s.name === name)),
    createClientScope: (realm, rep) =>
      call(`create client scope ${rep.name} in realm ${realm}`, async (kc) => void (await kc.clientScopes.create({ realm, ...rep }))),
    updateClientScope: (realm, id, rep) => call(`update client scope ${rep.name} in realm ${realm}`, (kc) => kc.clientScopes.update({ realm, id }, rep)),
    listClientScopes: (realm) => call(`list client scopes in realm ${realm}`, (kc) => kc.clientScopes.find({ realm })),
    deleteClientScope: (realm, id) => gone(`delete client scope ${id} in realm ${realm}`, (kc) => kc.clientScopes.del({ realm, id })),
    listClientScopesOf: (realm, id, optional) =>
      call(`list client scopes of client ${id} in realm ${realm}`, (kc) => kc.clients[scopeOps(optional).list]({ realm, id })),
    addClientScopeTo: (realm, id, clientScopeId, optional) =>
      call(`add client scope ${clientScopeId} to client ${id} in realm ${realm}`, (kc) => kc.clients[scopeOps(optional).add]({ realm, id, clientScopeId })),
    removeClientScopeFrom: (realm, id, clientScopeId, optional) =>
      gone(`remove client scope ${clientScopeId} from client ${id} in realm ${realm}`, (kc) =>
        kc.clients[scopeOps(optional).del]({ realm, id, clientScopeId }),
      ),

    getRealmRole: (realm, name) => find(`read realm role ${name} in realm ${realm}`, (kc) => kc.roles.findOneByName({ realm, name })),
    createRealmRole: (realm, rep) => call(`create realm role ${rep.name} in realm ${realm}`, async (kc) => void (await kc.roles.create({ realm, ...rep }))),
    updateRealmRole: (realm, name, rep) => call(`update realm role ${name} in realm ${realm}`, (kc) => kc.roles.updateByName({ realm, name }, rep)),
    deleteRealmRole: (realm, name) => gone(`delete realm role ${name} in realm ${realm}`, (kc) => kc.roles.delByName({ realm, name })),

    findGroup: (realm, name) =>
      find(`read group ${name} in realm ${realm}`, async (kc) => {
        const found = await kc.groups.find({ realm, search: name, exact: true, briefRepresentation: false });
        return found.find((g) => g.name === name);
      }),
    createGroup: (realm, rep) => call(`create group ${rep.name} in realm ${realm}`, async (kc) => (await kc.groups.create({ realm, ...rep })).id),
    updateGroup: (realm, id, rep) => call(`update group ${rep.name} in realm ${realm}`, (kc) => kc.groups.update({ realm, id }, rep)),
    listGroups: (realm, search) =>
      call(`list groups in realm ${realm}`, (kc) => kc.groups.find({ realm, ...(search !== undefined ? { search } : {}), briefRepresentation: false })),
    deleteGroup: (realm, id) => gone(`delete group ${id} in realm ${realm}`, (kc) => kc.groups.del({ realm, id })),
    groupRealmRoles: (realm, id) =>
      call(`read realm roles of group ${id} in realm ${realm}`, async (kc) =>
        (await kc.groups.listRealmRoleMappings({ realm, id })).flatMap((r) => (r.name ? [r.name] : [])),
      ),
    setGroupRealmRoles: (realm, id, add, remove) =>
      call(`change realm roles of group ${id} in realm ${realm}`, async (kc) => {
        if (add.length) await kc.groups.addRealmRoleMappings({ realm, id, roles: await realmRoleReps(kc, realm, add) });
        if (remove.length) await kc.groups.delRealmRoleMappings({ realm, id, roles: await realmRoleReps(kc, realm, remove) });
      }),

    findUser: (realm, username) =>
      find(`read user ${username} in realm ${realm}`, async (kc) =>
        (await kc.users.find({ realm, username, exact: true })).find((u) => u.username === username.toLowerCase()),
      ),
    searchUsers: (realm, username, exact) => call(`search users ${username} in realm ${realm}`, (kc) => kc.users.find({ realm, username, exact })),
    createUser: (realm, rep) => call(`create user ${rep.username} in realm ${realm}`, async (kc) => (await kc.users.create({ realm, ...rep })).id),
    updateUser: (realm, id, rep) => call(`update user ${rep.username} in realm ${realm}`, (kc) => kc.users.update({ realm, id }, rep)),
    deleteUser: (realm, id) => gone(`delete user ${id} in realm ${realm}`, (kc) => kc.users.del({ realm, id })),
    setPassword: (realm, id, password) =>
      call(`set the password of user ${id} in realm ${realm}`, (kc) =>
        kc.users.resetPassword({ realm, id, credential: { type: 'password', value: password.reveal(), temporary: false } }),
      ),
    passwordWorks: async (realm, username, password) => {
      const op = `check the password of user ${username} in realm ${realm}`;
      let res: Response;
      try {
        res = await fetchWithTls(unverified)(`${url}/realms/${encodeURIComponent(realm)}/protocol/openid-connect/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', username, password: password.reveal() }),
          signal: AbortSignal.timeout(30_000),
        });
      } catch (error) {
        return fail(op, error);
      }
      const body = (await res.json().catch(() => ({}))) as { access_token?: string; refresh_token?: string; error?: string };
      if (body.access_token) markSecret(body.access_token);
      if (body.refresh_token) markSecret(body.refresh_token);
      if (res.ok) return true;
      if ((res.status === 401 || res.status === 400) && body.error === 'invalid_grant') return false;
      throw keycloakError(url, `${op}: HTTP ${res.status}${body.error ? ` (${body.error})` : ''}`);
    },
    userGroups: (realm, id) =>
      call(`read groups of user ${id} in realm ${realm}`, async (kc) =>
        (await kc.users.listGroups({ realm, id, briefRepresentation: true })).flatMap((g) => (g.name ? [g.name] : [])),
      ),
    setUserGroups: (realm, id, add, remove) =>
      call(`change groups of user ${id} in realm ${realm}`, async (kc) => {
        const groupId = async (name: string): Promise<string> => {
          const g = (await kc.groups.find({ realm, search: name, exact: true })).find((x) => x.name === name);
          if (!g?.id) throw new HelixError(`group "${name}" does not exist in realm ${realm}`);
          return g.id;
        };
        for (const name of add) await kc.users.addToGroup({ realm, id, groupId: await groupId(name) });
        for (const name of remove) await kc.users.delFromGroup({ realm, id, groupId: await groupId(name) });
      }),
  };
}

function status(error: unknown): number | undefined {
  return error instanceof NetworkError ? error.response.status : undefined;
}

/**
 * A TargetError for a failed admin call: the operation, the HTTP status and Keycloak's short
 * error text (`Client already exists`), never the response body; or why it was unreachable.
 */
function describeFailure(url: string, op: string, error: unknown): Error {
  if (error instanceof HelixError) return keycloakError(url, `${op}: ${error.message}`);
  if (error instanceof NetworkError) {
    const code = error.response.status;
    const short = error.message && !/^(Network response was not OK|Unable to determine)/.test(error.message) ? `: ${error.message.slice(0, 200)}` : '';
    const hint =
      code === 409
        ? ' (it already exists: it was created by someone else since helix read it)'
        : code === 401 || error.message === 'invalid_grant'
          ? ' (not authenticated: check the admin user and password)'
          : code === 403
            ? ' (the admin user lacks the permission)'
            : '';
    return keycloakError(url, `${op}: HTTP ${code}${short}${hint}`);
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (error instanceof TypeError && cause) {
    return keycloakError(url, `${op}: cannot connect (${cause.code ?? cause.message ?? 'network error'})`);
  }
  if (error instanceof Error && error.name === 'TimeoutError') return keycloakError(url, `${op}: timed out (unreachable?)`);
  return keycloakError(url, `${op}: ${error instanceof Error ? error.message : String(error)}`);
}
