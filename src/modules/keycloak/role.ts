import { compareFields, ensure, type EnsureOptions, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import type { Task } from '../../runtime/task.ts';
import type { RoleRepresentation } from './api.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/** A realm role, identified by its name. */
export interface RealmRoleSpec {
  admin: KeycloakAdmin;
  realm: string;
  /** The role's name. */
  role: string;
  description?: string;
  attributes?: Record<string, string[]>;
}

export type KeycloakRole = RoleRepresentation & { name: string };

const wanted = (d: RealmRoleSpec) => ({ description: d.description, attributes: d.attributes });

export const realmRoleProvider: Provider<RealmRoleSpec, KeycloakRole> = {
  kind: 'keycloak.realmRole',
  describe: (d) => `realm role ${d.role} in Keycloak realm ${d.realm}`,
  id: (d) => `keycloak:${d.realm}/role/${d.role}`,
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.realm) report('realm is required');
    if (!d.role) report('role (its name) is required');
  },
  read: async (ctx, d) => {
    const rep = await keycloakApi(ctx, d.admin).getRealmRole(d.realm, d.role);
    return rep ? { ...rep, name: d.role } : undefined;
  },
  diff: (d, live) => compareFields(wanted(d), live),
  create: (ctx, d) => keycloakApi(ctx, d.admin).createRealmRole(d.realm, { name: d.role, ...wanted(d) }),
  update: (ctx, d, live) =>
    keycloakApi(ctx, d.admin).updateRealmRole(d.realm, d.role, { ...live, ...wanted(d), attributes: { ...live.attributes, ...d.attributes } }),
  delete: (ctx, d) => keycloakApi(ctx, d.admin).deleteRealmRole(d.realm, d.role),
  predict: (d, live) => ({ ...live, ...wanted(d), name: d.role }),
};

/** Ensures a realm role exists (or, with `state: 'absent'`, does not). */
export function realmRole(name: string, options: RealmRoleSpec & EnsureOptions<KeycloakRole> & { state?: 'present' }): Task<KeycloakRole>;
export function realmRole(name: string, options: RealmRoleSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function realmRole(name: string, options: RealmRoleSpec & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions<RealmRoleSpec>(options);
  return ensure(name, realmRoleProvider, spec, opts);
}
