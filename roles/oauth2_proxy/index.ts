/**
 * roles/oauth2_proxy: a Keycloak-protected reverse proxy with Redis sessions.
 * `keycloakClient` ensures the client and its audience mapper; `oauth2ProxyDeploy` deploys
 * the proxy with its secrets kept in a Kubernetes Secret.
 */
export { keycloakClient, keycloakClientAbsent, type KeycloakClientRole } from './keycloak_client.ts';
export { oauth2ProxyConfig, oauth2ProxyDeploy, type Oauth2ProxyDeploy, type Oauth2ProxySettings } from './deploy.ts';
