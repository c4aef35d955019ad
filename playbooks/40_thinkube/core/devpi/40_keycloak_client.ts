import { definePlaybook, type Step } from 'helix';
import * as keycloak from 'helix/modules/keycloak';
import { keycloakClient } from '../../../../roles/oauth2_proxy/index.ts';
import { devpi } from './common.ts';
import type { DevpiVars } from './component.ts';

/**
 * oauth2-proxy's Keycloak client and audience mapper, corrected on drift. The realm is
 * created only where the environment says devpi owns it (the sandbox).
 */
export default definePlaybook<DevpiVars>((env) => {
  const d = devpi(env);
  const steps: Step[] = [];
  if (d.v.keycloak_manage_realm) {
    steps.push(keycloak.realm('realm', { admin: d.admin, realm: d.v.keycloak_realm, displayName: d.v.keycloak_realm }));
  }
  steps.push(keycloakClient({ admin: d.admin, realm: d.v.keycloak_realm, clientId: d.v.oauth2_proxy_client_id, dashboardHost: d.v.devpi_dashboard_hostname }));
  return steps;
});
