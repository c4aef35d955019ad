import { compareFields, ensure, type EnsureOptions, type FieldChange, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import { isSecret, type Secret } from '../../runtime/secret.ts';
import type { Task } from '../../runtime/task.ts';
import type { UserRepresentation } from './api.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/** A user, identified by its username (Keycloak stores usernames in lower case). */
export interface UserSpec {
  admin: KeycloakAdmin;
  realm: string;
  username: string;
  email?: string;
  /** @default true when `email` is given */
  emailVerified?: boolean;
  /** Keycloak's default user profile requires a first and last name before a user can log in. @default username */
  firstName?: string;
  /** @default username */
  lastName?: string;
  /** @default true */
  enabled?: boolean;
  attributes?: Record<string, string[]>;
  /**
   * The password (a secret). It cannot be read back: helix checks it by logging in as the
   * user (password grant on the realm's `admin-cli`) and sets it when that fails.
   */
  password?: Secret;
  /** Exact set of top-level groups the user is a member of. */
  groups?: string[];
}

export type KeycloakUser = UserRepresentation & {
  id: string;
  username: string;
  groups: string[];
  /** Whether the wanted password works; undefined when no password is wanted. */
  passwordWorks?: boolean;
};

function wanted(d: UserSpec): Record<string, unknown> {
  return {
    email: d.email?.toLowerCase(),
    emailVerified: d.emailVerified ?? (d.email ? true : undefined),
    firstName: d.firstName ?? d.username,
    lastName: d.lastName ?? d.username,
    enabled: d.enabled ?? true,
    attributes: d.attributes,
    groups: d.groups,
  };
}

function representation(d: UserSpec, live?: KeycloakUser): UserRepresentation {
  const { groups: _g, passwordWorks: _p, ...rest } = live ?? ({} as Partial<KeycloakUser>);
  const rep: Record<string, unknown> = { ...rest, username: d.username };
  for (const [k, v] of Object.entries(wanted(d))) if (v !== undefined && k !== 'groups') rep[k] = v;
  if (d.attributes) rep.attributes = { ...live?.attributes, ...d.attributes };
  return rep as UserRepresentation;
}

export const userProvider: Provider<UserSpec, KeycloakUser> = {
  kind: 'keycloak.user',
  describe: (d) => `user ${d.username} in Keycloak realm ${d.realm}`,
  id: (d) => userTarget(d.realm, d.username),
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.realm) report('realm is required');
    if (!d.username) report('username is required');
    if (d.password !== undefined && !isSecret(d.password)) report('password: must be a secret reference, not a plain string');
  },
  read: async (ctx, d) => {
    const api = keycloakApi(ctx, d.admin);
    const rep = await api.findUser(d.realm, d.username);
    if (!rep?.id) return undefined;
    const user: KeycloakUser = { ...rep, id: rep.id, username: rep.username ?? d.username, groups: await api.userGroups(d.realm, rep.id) };
    if (d.password) user.passwordWorks = await api.passwordWorks(d.realm, d.username, d.password);
    return user;
  },
  diff: (d, live) => {
    const out: FieldChange[] = compareFields(wanted(d), live, { groups: { set: true } });
    if (d.password && live.passwordWorks === false) out.push({ field: 'password', secret: true });
    return out;
  },
  create: async (ctx, d) => {
    const api = keycloakApi(ctx, d.admin);
    const id = await api.createUser(d.realm, representation(d));
    if (d.password) await api.setPassword(d.realm, id, d.password);
    if (d.groups?.length) await api.setUserGroups(d.realm, id, d.groups, []);
  },
  update: async (ctx, d, live, changes) => {
    const api = keycloakApi(ctx, d.admin);
    if (changes.some((c) => c.field !== 'password' && c.field !== 'groups')) {
      await api.updateUser(d.realm, live.id, representation(d, live));
    }
    if (d.password && changes.some((c) => c.field === 'password')) await api.setPassword(d.realm, live.id, d.password);
    if (d.groups) {
      const add = d.groups.filter((g) => !live.groups.includes(g));
      const remove = live.groups.filter((g) => !d.groups!.includes(g));
      await api.setUserGroups(d.realm, live.id, add, remove);
    }
  },
  delete: (ctx, d, live) => keycloakApi(ctx, d.admin).deleteUser(d.realm, live.id),
  predict: (d, live) =>
    live
      ? {
          ...live,
          ...representation(d, live),
          id: live.id,
          username: live.username,
          groups: d.groups ?? live.groups,
          ...(d.password ? { passwordWorks: true } : {}),
        }
      : undefined,
};

/**
 * Ensures a user exists with its profile, password and groups (for tests and bootstrap
 * accounts; people belong in an identity provider). `state: 'absent'` deletes it by id.
 */
export function user(name: string, options: UserSpec & EnsureOptions<KeycloakUser> & { state?: 'present' }): Task<KeycloakUser>;
export function user(name: string, options: UserSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function user(name: string, options: UserSpec & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions<UserSpec>(options);
  return ensure(name, userProvider, spec, opts);
}

/** The change target of a user (Keycloak keeps user names in lower case). */
export function userTarget(realm: string, username: string): string {
  return `keycloak:${realm}/user/${username.toLowerCase()}`;
}
