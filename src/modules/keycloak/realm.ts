import { compareFields, ensure, type EnsureOptions, type Provider, splitEnsureOptions } from '../../runtime/provider.ts';
import type { Task } from '../../runtime/task.ts';
import type { RealmRepresentation } from './api.ts';
import { type KeycloakAdmin, keycloakApi, validateAdmin } from './session.ts';

export interface RealmSpec {
  admin: KeycloakAdmin;
  realm: string;
  /** @default true */
  enabled?: boolean;
  displayName?: string;
  /**
   * Other top-level realm settings to manage (`loginWithEmailAllowed`, `accessTokenLifespan`,
   * `sslRequired`, …). Settings not named here are left as they are.
   */
  settings?: Omit<RealmRepresentation, 'realm' | 'id' | 'enabled' | 'displayName'>;
}

/** A realm as read: its representation. */
export type KeycloakRealm = RealmRepresentation & { realm: string };

function wanted(spec: RealmSpec): Record<string, unknown> {
  return { enabled: spec.enabled ?? true, displayName: spec.displayName, ...spec.settings };
}

export const realmProvider: Provider<RealmSpec, KeycloakRealm> = {
  kind: 'keycloak.realm',
  describe: (d) => `Keycloak realm ${d.realm}`,
  id: (d) => `keycloak:realm/${d.realm}`,
  validate: (d, report) => {
    validateAdmin(d.admin, report);
    if (!/^[A-Za-z0-9._-]+$/.test(d.realm ?? '')) report(`realm: "${d.realm}" is not a valid realm name`);
    if (d.realm === 'master') report('realm: helix does not manage the master realm');
  },
  read: async (ctx, d) => {
    const rep = await keycloakApi(ctx, d.admin).getRealm(d.realm);
    return rep ? { ...rep, realm: d.realm } : undefined;
  },
  diff: (d, live) => compareFields(wanted(d), live),
  create: (ctx, d) => keycloakApi(ctx, d.admin).createRealm({ realm: d.realm, ...wanted(d) }),
  update: (ctx, d, live) => keycloakApi(ctx, d.admin).updateRealm(d.realm, { ...live, ...wanted(d) }),
  delete: (ctx, d) => keycloakApi(ctx, d.admin).deleteRealm(d.realm),
  predict: (d, live) => ({ ...live, ...wanted(d), realm: d.realm }),
};

/** Ensures a realm exists with the given settings (or, with `state: 'absent'`, that it does not). */
export function realm(name: string, options: RealmSpec & EnsureOptions<KeycloakRealm>): Task<KeycloakRealm>;
export function realm(name: string, options: RealmSpec & EnsureOptions<undefined> & { state: 'absent' }): Task<undefined>;
export function realm(name: string, options: RealmSpec & EnsureOptions<any>): Task<any> {
  const [spec, opts] = splitEnsureOptions<RealmSpec>(options);
  return ensure(name, realmProvider, spec, opts);
}
