import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DevpiVars } from './component.ts';

const IMAGE_DIR = fileURLToPath(new URL('./image/', import.meta.url));

let source: Record<string, string> | undefined;

/** This component's own image source (`image/`), path in the repository → content; read once. */
export function imageSource(): Record<string, string> {
  source ??= Object.fromEntries(
    readdirSync(IMAGE_DIR, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const path = join(e.parentPath, e.name);
        return [relative(IMAGE_DIR, path), readFileSync(path, 'utf8')];
      }),
  );
  return source;
}

/**
 * The image tag of a build: the source revision plus a hash of everything that shapes the
 * image (repository, revision, Kaniko, build args, and the pushed source when helix pushes
 * it), so a rebuild happens exactly when one of them changes (never `latest`).
 */
export function builtImageTag(v: DevpiVars): string | undefined {
  if (!v.build.enabled) return undefined;
  const rev = v.build.source_revision.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
  const h = createHash('sha256').update(v.build.source_repo_url).update(v.build.source_revision).update(v.build.kaniko_image);
  const args = Object.entries(v.build.build_args).sort(([a], [b]) => a.localeCompare(b));
  if (args.length) h.update(JSON.stringify(args));
  if (v.build.push_source) h.update(JSON.stringify(Object.entries(imageSource()).sort(([a], [b]) => a.localeCompare(b))));
  return `${rev}-${h.digest('hex').slice(0, 8)}`;
}
