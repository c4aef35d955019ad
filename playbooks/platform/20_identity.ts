import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import type { PlatformVars } from './component.ts';
import { OWNER, platform } from './lib/context.ts';
import { identityConfig, namespace } from './lib/manifests.ts';

/**
 * Installation step 2, identity. Authentik and NetBird are deployed outside this component;
 * here the platform's namespaces are created and Authentik's OIDC client data (issuer,
 * client id, redirect URI, outpost address) is published for Devtron's SSO setup and Traefik.
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return [
    k8s.apply('namespaces', { force: OWNER, manifests: p.managedNamespaces.map(namespace) }),
    k8s.apply('identity-config', { force: OWNER, manifest: identityConfig(p.v) }),
  ];
});
