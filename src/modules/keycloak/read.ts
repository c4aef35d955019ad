import { TaskError } from '../../runtime/errors.ts';
import { defineTask, noChange, noChangeUnknownResult, splitOptions, type Plan, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import type { ClientScopeRepresentation, GroupRepresentation, KeycloakApi, RoleRepresentation, UserRepresentation } from './api.ts';
import { userTarget } from './user.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

/**
 * Read-only Keycloak tasks: they plan no change and give what they read as their result, for
 * later tasks and conditions (what a playbook learns with `GET /admin/realms/<realm>/users?…`).
 * Managing an object is `keycloak.user`, `realmRole`, `group`…; these only look.
 *
 * In a check run, reading an object an earlier task plans to create gives an unknown result
 * (the tasks reading it say so) instead of "not found".
 */
interface ReadSpec {
  admin: KeycloakAdmin;
  realm: string;
}

function readTask<Out>(
  kind: string,
  name: string,
  spec: ReadSpec,
  common: TaskOptions<Out>,
  check: (report: (m: string) => void) => void,
  plan: (ctx: TaskContext, api: KeycloakApi) => Promise<Plan<Out>>,
): Task<Out> {
  return defineTask<Out>({
    kind,
    name,
    options: common,
    validate: (report) => {
      validateAdmin(spec.admin, report);
      if (!spec.realm) report('realm is required');
      check(report);
    },
    plan: (ctx) => plan(ctx, keycloakApi(ctx, spec.admin)),
  });
}

export interface FindUsersSpec extends ReadSpec {
  username: string;
  /** Only the user with exactly this username; otherwise Keycloak's substring search. @default true */
  exact?: boolean;
}

/** Users by username (`GET …/users?username=x&exact=true`): an empty list when there is none. */
export function findUsers(name: string, options: FindUsersSpec & TaskOptions<UserRepresentation[]>): Task<UserRepresentation[]> {
  const [spec, common] = splitOptions(options);
  const exact = spec.exact ?? true;
  return readTask(
    'keycloak.findUsers',
    name,
    spec,
    common,
    (report) => {
      if (!spec.username) report('username is required');
    },
    async (ctx, api) => {
      const found = await api.searchUsers(spec.realm, spec.username, exact);
      if (!found.length && ctx.plannedCreate(userTarget(spec.realm, spec.username))) {
        return noChangeUnknownResult(`user ${spec.username} in realm ${spec.realm} is created by an earlier task`);
      }
      return noChange(`read ${found.length} user(s) matching ${spec.username} in realm ${spec.realm}`, found);
    },
  );
}

export interface GetRealmRoleSpec extends ReadSpec {
  role: string;
  /** Fail when the role does not exist (Ansible's `status_code: 200`). @default false: undefined */
  required?: boolean;
}

/** A realm role by name (`GET …/roles/<name>`), or undefined when there is none. */
export function getRealmRole(name: string, options: GetRealmRoleSpec & TaskOptions<RoleRepresentation | undefined>): Task<RoleRepresentation | undefined> {
  const [spec, common] = splitOptions(options);
  const what = `realm role ${spec.role} in realm ${spec.realm}`;
  return readTask(
    'keycloak.getRealmRole',
    name,
    spec,
    common,
    (report) => {
      if (!spec.role) report('role (its name) is required');
    },
    async (ctx, api) => {
      const role = await api.getRealmRole(spec.realm, spec.role);
      if (role) return noChange(`read ${what}`, role);
      if (ctx.plannedCreate(`keycloak:${spec.realm}/role/${spec.role}`)) return noChangeUnknownResult(`${what} is created by an earlier task`);
      if (spec.required) throw new TaskError(ctx.path, `${what} does not exist`);
      return noChange(`${what} does not exist`, undefined);
    },
  );
}

export interface ListGroupsSpec extends ReadSpec {
  /** Only groups whose name contains this (Keycloak's `search`). */
  search?: string;
}

/** The realm's top-level groups (`GET …/groups`, `?search=`), with their ids. */
export function listGroups(name: string, options: ListGroupsSpec & TaskOptions<GroupRepresentation[]>): Task<GroupRepresentation[]> {
  const [spec, common] = splitOptions(options);
  return readTask(
    'keycloak.listGroups',
    name,
    spec,
    common,
    () => {},
    async (_ctx, api) => {
      const found = await api.listGroups(spec.realm, spec.search);
      return noChange(`read ${found.length} group(s) in realm ${spec.realm}${spec.search ? ` matching ${spec.search}` : ''}`, found);
    },
  );
}

/** The realm's client scopes (`GET …/client-scopes`), with their ids. */
export function listClientScopes(name: string, options: ReadSpec & TaskOptions<ClientScopeRepresentation[]>): Task<ClientScopeRepresentation[]> {
  const [spec, common] = splitOptions(options);
  return readTask(
    'keycloak.listClientScopes',
    name,
    spec,
    common,
    () => {},
    async (_ctx, api) => {
      const found = await api.listClientScopes(spec.realm);
      return noChange(`read ${found.length} client scope(s) in realm ${spec.realm}`, found);
    },
  );
}
