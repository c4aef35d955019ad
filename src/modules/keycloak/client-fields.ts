import { ConfigError } from '../../runtime/errors.ts';
import { isSecret, Secret } from '../../runtime/secret.ts';
import type { ClientRepresentation } from './api.ts';
import type { ClientSpec } from './client.ts';

/** The fields of `keycloak.client` a representation can give (everything but the connection). */
export type ClientFields = Omit<ClientSpec, 'admin' | 'realm'>;

const PLAIN = [
  'clientId',
  'name',
  'description',
  'enabled',
  'publicClient',
  'standardFlowEnabled',
  'implicitFlowEnabled',
  'directAccessGrantsEnabled',
  'serviceAccountsEnabled',
  'redirectUris',
  'webOrigins',
  'rootUrl',
  'baseUrl',
] as const;

/**
 * A client given as the admin API's representation (the JSON body a playbook POSTs to
 * `…/clients`) as the fields `keycloak.client` manages. Fields it does not manage are refused,
 * every one named, while the playbook is built: nothing a caller asked for is silently left out.
 */
export function clientFields(rep: ClientRepresentation | Record<string, unknown>): ClientFields {
  const r = rep as Record<string, unknown>;
  const unmanaged = Object.keys(r).filter((k) => !(PLAIN as readonly string[]).includes(k) && !['protocol', 'attributes', 'secret'].includes(k));
  if (r.protocol !== undefined && r.protocol !== 'openid-connect') unmanaged.push(`protocol ${String(r.protocol)}`);
  if (unmanaged.length) throw new ConfigError(`keycloak client ${String(r.clientId ?? '')}: keycloak.client does not manage ${unmanaged.join(', ')}`);
  if (typeof r.clientId !== 'string' || !r.clientId) throw new ConfigError('keycloak client: clientId is required');
  const out: Record<string, unknown> = {};
  for (const k of PLAIN) if (r[k] !== undefined) out[k] = r[k];
  if (r.attributes !== undefined) {
    const { 'pkce.code.challenge.method': pkce, ...rest } = r.attributes as Record<string, unknown>;
    if (pkce !== undefined && pkce !== 'S256' && pkce !== 'plain')
      throw new ConfigError(`keycloak client ${r.clientId}: pkce.code.challenge.method must be S256 or plain`);
    if (pkce !== undefined) out.pkce = pkce;
    if (Object.keys(rest).length) out.attributes = Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, String(v)]));
  }
  if (r.secret !== undefined) out.secret = isSecret(r.secret) ? r.secret : new Secret(String(r.secret), `keycloak client ${r.clientId} secret`);
  return out as unknown as ClientFields;
}
