import { definePlaybook } from 'helix';
import { unverifiedTargets, verifiesTls } from 'helix/modules/http';
import { oauth2ProxyDeploy, type Oauth2ProxySettings } from '../../../../roles/oauth2_proxy/index.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';
import { NAMES, OAUTH2_PROXY_PORT, REDIS_PORT } from './names.ts';

/** The oauth2-proxy settings devpi uses; 88_test_devpi compares the cluster against them. */
export function oauth2ProxySettings(env: Parameters<typeof devpi>[0]): Oauth2ProxySettings {
  const d = devpi(env);
  return {
    namespace: d.ns,
    name: NAMES.oauth2Proxy,
    image: d.v.oauth2_proxy_image,
    issuerUrl: d.issuerUrl,
    clientId: d.v.oauth2_proxy_client_id,
    dashboardHost: d.v.devpi_dashboard_hostname,
    upstream: `${d.serviceUrl}/`,
    cookieDomain: d.v.domain_name,
    cookieSamesite: d.v.oauth2_proxy_cookie_samesite,
    allowedRoles: d.v.oauth2_proxy_allowed_roles,
    redisUrl: `redis://${NAMES.redis}.${d.ns}.svc.cluster.local:${REDIS_PORT}`,
    verifyTls: d.v.keycloak_validate_certs && verifiesTls(unverifiedTargets(env), d.v.keycloak_url),
    port: OAUTH2_PROXY_PORT,
    labels: d.labels,
    placement: d.placement,
  };
}

/** oauth2-proxy for the dashboard host, its secrets kept in Secret oauth2-proxy. */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  return [oauth2ProxyDeploy(oauth2ProxySettings(env), d.admin, d.v.keycloak_realm, { secretName: NAMES.redisConfig, key: 'password' })];
});
