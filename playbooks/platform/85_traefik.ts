import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import type { PlatformVars } from './component.ts';
import { OWNER, platform } from './lib/context.ts';
import { dashboardRoute, forwardAuthMiddleware } from './lib/manifests.ts';

/**
 * Installation step 10, ingress and SSO: the ForwardAuth Middleware to the Authentik outpost
 * and Devtron's dashboard IngressRoute through it (Devtron's Dex callback and webhooks bypass it).
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return [
    k8s.apply('forward-auth', { force: OWNER, manifest: forwardAuthMiddleware(p.v) }),
    k8s.apply('dashboard-route', { force: OWNER, manifest: dashboardRoute(p.v) }),
  ];
});
