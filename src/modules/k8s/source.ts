import { ConfigError } from '../../runtime/errors.ts';
import { type Input, isStatic, resolve, type TaskContext } from '../../runtime/task.ts';
import { parseManifests, type PathLike, readManifestDir, readManifestFile } from './manifest.ts';
import type { Manifest } from './types.ts';

/**
 * Where a task's manifests come from: exactly one of an object or YAML text, a list of
 * them, a file (one or many `---` documents) or a folder of `*.yaml|yml|json` files.
 */
export interface ManifestSource {
  manifest?: Input<Manifest | string>;
  manifests?: Input<readonly (Manifest | string)[]>;
  file?: PathLike;
  dir?: PathLike;
}

const KEYS = ['manifest', 'manifests', 'file', 'dir'] as const;

export function sourceProblem(src: ManifestSource): string | undefined {
  const given = KEYS.filter((k) => src[k] !== undefined);
  if (given.length === 1) return undefined;
  return given.length === 0 ? 'give one of manifest, manifests, file or dir' : `give only one of ${given.join(', ')}`;
}

/** Known without running anything (so validation and preflight can check it). */
export function isStaticSource(src: ManifestSource): boolean {
  if (src.manifest !== undefined) return isStatic(src.manifest);
  if (src.manifests !== undefined) return isStatic(src.manifests);
  return true;
}

function expand(items: readonly (Manifest | string)[], label: string): unknown[] {
  return items.flatMap((m, i) => (typeof m === 'string' ? parseManifests(m, `${label}[${i}]`) : [m]));
}

/** The raw documents of a source (checked by the caller). */
export function loadSource(src: ManifestSource, ctx?: TaskContext): unknown[] {
  const value = <T>(input: Input<T>): T => {
    if (isStatic(input)) return input;
    if (!ctx) throw new ConfigError('the manifest depends on run-time values');
    return resolve(input, ctx);
  };
  if (src.manifest !== undefined) {
    const m = value(src.manifest);
    return typeof m === 'string' ? parseManifests(m, 'manifest') : [m];
  }
  if (src.manifests !== undefined) return expand(value(src.manifests), 'manifests');
  if (src.file !== undefined) return readManifestFile(src.file);
  if (src.dir !== undefined) return readManifestDir(src.dir);
  throw new ConfigError('give one of manifest, manifests, file or dir');
}
