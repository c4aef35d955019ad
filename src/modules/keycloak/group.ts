import { TaskError } from '../../runtime/errors.ts';
import { compareFields, ensure, type EnsureOptions, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import type { Task } from '../../runtime/task.ts';
import type { GroupRepresentation } from './api.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/** A top-level group, identified by its name. */
export interface GroupSpec {
  admin: KeycloakAdmin;
  realm: string;
  /** The group's name. */
  group: string;
  attributes?: Record<string, string[]>;
  /** Exact set of realm roles granted to the group's members. */
  realmRoles?: string[];
}

export type KeycloakGroup = GroupRepresentation & { id: string; name: string; realmRoles: string[] };

const wanted = (d: GroupSpec) => ({ attributes: d.attributes, realmRoles: d.realmRoles });

export const groupProvider: Provider<GroupSpec, KeycloakGroup> = {
  kind: 'keycloak.group',
  describe: (d) => `group ${d.group} in Keycloak realm ${d.realm}`,
  id: (d) => `keycloak:${d.realm}/group/${d.group}`,
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!d.realm) report('realm is required');
    if (!d.group || d.group.includes('/')) report('group: a top-level group name is required (no "/")');
  },
  read: async (ctx, d) => {
    const api = keycloakApi(ctx, d.admin);
    const rep = await api.findGroup(d.realm, d.group);
    if (!rep?.id) return undefined;
    return { ...rep, id: rep.id, name: d.group, realmRoles: await api.groupRealmRoles(d.realm, rep.id) };
  },
  diff: (d, live) => compareFields(wanted(d), live, { realmRoles: { set: true } }),
  create: async (ctx, d) => {
    const api = keycloakApi(ctx, d.admin);
    const id = await api.createGroup(d.realm, { name: d.group, ...(d.attributes ? { attributes: d.attributes } : {}) });
    if (d.realmRoles?.length) await api.setGroupRealmRoles(d.realm, id, d.realmRoles, []);
  },
  update: async (ctx, d, live, changes) => {
    const api = keycloakApi(ctx, d.admin);
    if (changes.some((c) => c.field.startsWith('attributes.'))) {
      const { realmRoles: _r, ...rep } = live;
      await api.updateGroup(d.realm, live.id, { ...rep, attributes: { ...live.attributes, ...d.attributes } });
    }
    if (d.realmRoles) {
      const add = d.realmRoles.filter((r) => !live.realmRoles.includes(r));
      const remove = live.realmRoles.filter((r) => !d.realmRoles!.includes(r));
      await api.setGroupRealmRoles(d.realm, live.id, add, remove);
    }
  },
  delete: async (ctx, d, live) => {
    if (!live.id) throw new TaskError(ctx.path, `group ${d.group} has no id`);
    await keycloakApi(ctx, d.admin).deleteGroup(d.realm, live.id);
  },
  predict: (d, live) => (live ? { ...live, attributes: { ...live.attributes, ...d.attributes }, realmRoles: d.realmRoles ?? live.realmRoles } : undefined),
};

/** Ensures a top-level group exists with its attributes and realm roles (or is absent). */
export function group(name: string, options: GroupSpec & EnsureOptions<KeycloakGroup> & { state?: 'present' }): Task<KeycloakGroup>;
export function group(name: string, options: GroupSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function group(name: string, options: GroupSpec & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions<GroupSpec>(options);
  return ensure(name, groupProvider, spec, opts);
}
