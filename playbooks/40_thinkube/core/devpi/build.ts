import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from 'helix';
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
 * it), so a rebuild happens exactly when one of them changes (never `latest`). With automatic
 * rebuilds (`build.rebuild_schedule`) the revision is a branch that moves without helix: the
 * tag names the tree it points at (`<branch>-<tree>-<config>`), the same tag the rebuild
 * workflow computes, so a play after a rebuild finds its image and Deployment in place.
 */
export function builtImageTag(v: DevpiVars): string | undefined {
  if (!v.build.enabled) return undefined;
  const rev = revisionTag(v);
  if (v.build.rebuild_schedule) return `${rev}-${sourceTree(v).slice(0, 12)}-${buildConfigHash(v)}`;
  const h = createHash('sha256').update(v.build.source_repo_url).update(v.build.source_revision).update(v.build.kaniko_image);
  const args = Object.entries(v.build.build_args).sort(([a], [b]) => a.localeCompare(b));
  if (args.length) h.update(JSON.stringify(args));
  if (v.build.push_source) h.update(JSON.stringify(Object.entries(imageSource()).sort(([a], [b]) => a.localeCompare(b))));
  return `${rev}-${h.digest('hex').slice(0, 8)}`;
}

/** The tags automatic rebuilds give the branch's trees under today's build configuration (`<branch>-<tree>-<config>`). */
export function rebuildTagPattern(v: DevpiVars): RegExp {
  const rev = revisionTag(v).replace(/[.]/g, '\\.');
  return new RegExp(`^${rev}-[0-9a-f]{12}-${buildConfigHash(v)}$`);
}

/** The source revision as the start of an image tag (helix's and the rebuild workflow's). */
export function revisionTag(v: DevpiVars): string {
  return v.build.source_revision.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
}

/** What shapes an image beside its source tree: the repository, Kaniko and the build args. */
export function buildConfigHash(v: DevpiVars): string {
  const args = Object.entries(v.build.build_args).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256')
    .update(JSON.stringify([v.build.source_repo_url, v.build.kaniko_image, args]))
    .digest('hex')
    .slice(0, 8);
}

const trees = new Map<string, string>();

/**
 * The tree the source branch points at, read once per run: a shallow fetch of the branch
 * into a throw-away repository, over SSH with `git_ssh_key` and only the host keys of
 * `git_known_hosts` (as helix's pushes). A read, made while the play is prepared: the tag of
 * every manifest depends on it. A branch that cannot be read stops the run before any change.
 */
export function sourceTree(v: DevpiVars): string {
  const url = v.build.source_repo_url;
  const branch = v.build.source_revision;
  const key = `${url}#${branch}`;
  const known = trees.get(key);
  if (known) return known;
  const dir = mkdtempSync(join(tmpdir(), 'helix-devpi-tree-'));
  try {
    const ssh = ['ssh', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
    if (v.git_ssh_key) ssh.push('-i', v.git_ssh_key, '-o', 'IdentitiesOnly=yes');
    if (v.git_known_hosts) ssh.push('-o', `UserKnownHostsFile=${v.git_known_hosts}`, '-o', 'GlobalKnownHostsFile=/dev/null');
    const env = { ...process.env, GIT_SSH_COMMAND: ssh.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' '), GIT_TERMINAL_PROMPT: '0' };
    const git = (args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 }).trim();
    git(['init', '--quiet', '--bare']);
    try {
      git(['fetch', '--quiet', '--depth=1', url, `refs/heads/${branch}`]);
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? (error as Error).message).trim();
      throw new ConfigError(`build.rebuild_schedule: cannot read branch ${branch} of ${url}: ${stderr.split('\n').at(-1)}`);
    }
    const tree = git(['rev-parse', 'FETCH_HEAD^{tree}']);
    trees.set(key, tree);
    return tree;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
