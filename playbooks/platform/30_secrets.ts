import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import type { PlatformVars } from './component.ts';
import { OWNER, platform } from './lib/context.ts';
import { oidcClientSecret, superuserSecret } from './lib/manifests.ts';

/**
 * Installation step 3, secrets. Values come from the SOPS file (decrypted in memory when a
 * task needs them, never written to disk) or from inventory secret references, and go to
 * the cluster as Secrets: the OIDC client secret and the CNPG superuser Devtron connects as.
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return [
    k8s.apply('oidc-client-secret', {
      force: OWNER,
      manifest: (ctx) => oidcClientSecret(p.v, p.secretValue(ctx, p.v.identity.client_secret, 'identity.client_secret')),
    }),
    k8s.apply('database-superuser-secret', { force: OWNER, manifest: (ctx) => superuserSecret(p.v, p.dbPassword(ctx)) }),
  ];
});
