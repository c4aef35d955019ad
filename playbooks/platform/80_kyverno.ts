import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';
import type { PlatformVars } from './component.ts';
import { OWNER, platform } from './lib/context.ts';
import { imagePolicy, policyException } from './lib/manifests.ts';

/**
 * Installation step 9, Kyverno: keyless image verification in Audit (mutateDigest off, as
 * Audit requires) until the inventory switches `kyverno.mode` to Enforce, and the emergency
 * PolicyException (honoured only with Kyverno's policyExceptions feature on for its namespace).
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return [
    k8s.apply('image-policy', { force: OWNER, manifest: imagePolicy(p.v) }),
    k8s.apply('emergency-exception', { force: OWNER, manifest: policyException(p.v), when: () => p.v.kyverno.emergency_exception.enabled }),
  ];
});
