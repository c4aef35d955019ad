/**
 * The `helm` task module: Helm releases through the real helm CLI.
 *
 * ```ts
 * import * as helm from 'helix/modules/helm';
 * helm.release('devtron', { chart: 'devtron-operator', repo: 'https://helm.devtron.ai', version: '0.23.3',
 *   namespace: 'devtroncd', values: { installer: { modules: ['cicd'] } } });
 * ```
 */
export { helmCli, kubeArgs, type HelmCli, type HelmResult } from './cli.ts';
export { readRelease, readReleaseManifest, readReleaseValues, type ReleaseFacts } from './facts.ts';
export { findHelm, HELM_VERSION, helmCachePath, installHelm } from './install.ts';
export { diffManifests, parseManifests, type ManifestDiff, type ManifestSet } from './manifest.ts';
export { chartRef, release, releaseDifferences, uninstall, type ReleaseOptions, type ReleaseResult, type UninstallOptions } from './release.ts';
export { revealValues, withValuesFile, type HelmValue, type HelmValues } from './values.ts';
