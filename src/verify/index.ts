/**
 * helix's public API for readiness checks. A component's checks live in its own folder
 * (`playbooks/<…>/<component>/verify.ts`, default export `defineReadiness(...)`), and
 * `helix verify <component>` finds them the way `helix play` finds playbooks.
 *
 * ```ts
 * import { defineReadiness, fail, pass } from 'helix/verify';
 * ```
 */
export { KINDS, kubeReader, type KnownKind, type KubeReader, type Obj } from './kube.ts';
export { defineReadiness, readinessContext, runReadiness, type HelmReader, type Readiness, type ReadinessContext } from './readiness.ts';
export { fail, pass, warn, worst, type CheckResult, type Sections, type Status } from './report.ts';
export { backends, ciPolicyChecks, parseTerraformDirs, resources, stateKeys, terraformChecks, versionAllowsLockfile, type TfFile } from './terraform.ts';
