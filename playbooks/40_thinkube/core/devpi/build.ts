import { createHash } from 'node:crypto';
import type { DevpiVars } from './component.ts';

/**
 * The image tag of a build: the source revision plus a hash of everything that shapes the
 * image, so a rebuild happens exactly when one of them changes (never `latest`).
 */
export function builtImageTag(v: DevpiVars): string | undefined {
  if (!v.build.enabled) return undefined;
  const rev = v.build.source_revision.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
  const h = createHash('sha256').update(v.build.source_repo_url).update(v.build.source_revision).update(v.build.kaniko_image).digest('hex').slice(0, 8);
  return `${rev}-${h}`;
}
