import { group, type Group, type Task } from 'helix';
import * as keycloak from 'helix/modules/keycloak';

export interface KeycloakClientRole extends Group {
  readonly client: Task<keycloak.KeycloakClient>;
}

/**
 * oauth2-proxy's confidential Keycloak client (original: oauth2_proxy/tasks/keycloak_setup).
 * Read by clientId, created when absent, updated when it drifted (redirect URIs, flags,
 * PKCE): a 409 is never success. The audience mapper is corrected the same way.
 *
 * @param o.admin Keycloak admin connection (the admin's password is a Secret).
 * @param o.realm Realm of the client.
 * @param o.clientId @default 'oauth2-proxy-<app>'
 * @param o.dashboardHost The host oauth2-proxy protects; redirect URI `https://<host>/oauth2/callback`.
 * @param o.name Group name in task paths. @default 'keycloak-client'
 */
export function keycloakClient(o: {
  admin: keycloak.KeycloakAdmin;
  realm: string;
  clientId: string;
  dashboardHost: string;
  name?: string;
}): KeycloakClientRole {
  const origin = `https://${o.dashboardHost}`;
  const client = keycloak.client('client', {
    admin: o.admin,
    realm: o.realm,
    clientId: o.clientId,
    name: `oauth2-proxy for ${o.dashboardHost}`,
    enabled: true,
    publicClient: false,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    redirectUris: [`${origin}/oauth2/callback`],
    webOrigins: [origin],
    rootUrl: origin,
    baseUrl: `${origin}/`,
    pkce: 'S256',
    attributes: { 'post.logout.redirect.uris': `${origin}/*` },
  });
  const audience = keycloak.audienceMapper('audience-mapper', { admin: o.admin, realm: o.realm, clientId: o.clientId });
  return { ...group(o.name ?? 'keycloak-client', [client, audience]), client };
}

/** Removes the client (by its internal id, in its realm; "not found" is success). */
export function keycloakClientAbsent(o: { admin: keycloak.KeycloakAdmin; realm: string; clientId: string; name?: string }): Task<undefined> {
  return keycloak.client(o.name ?? 'keycloak-client', { admin: o.admin, realm: o.realm, clientId: o.clientId, state: 'absent' });
}
