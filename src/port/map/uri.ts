import { type MapCx, type Mapped, todo } from './context.ts';
import { mapKeycloakUri } from './keycloak.ts';

/**
 * `uri`: Keycloak admin API patterns become keycloak tasks; any other request needs
 * helix/modules/http, which this port generates code for only once it exists.
 */
export function mapUri(cx: MapCx): Mapped {
  const kc = mapKeycloakUri(cx);
  if (kc) return kc;
  todo('module-missing', 'uri: helix/modules/http is not available yet');
}
