import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../runtime/errors.ts';
import type { OnClusterSettings } from '../runtime/inventory.ts';
import { sandboxDir } from '../runtime/paths.ts';
import { addFile, buildImage, type ImageSpec, minimalEtc } from '../sandbox/images.ts';
import { run } from '../sandbox/proc.ts';
import { HOST_NAMES } from '../sandbox/versions.ts';
import { IMAGE_PATHS } from './objects.ts';

/**
 * The runner image of `helix image build`: this machine's Node binary with the shared
 * libraries it links (found with `ldd`), helix (bin, src, production node_modules) at `/helix`,
 * and the project's playbooks, roles and inventory. Built without Docker like the sandbox's
 * images (umoci), pushed with skopeo. Its tag names its content, so the CLI that submits a run
 * finds the image of exactly the playbooks it derived the run's RBAC from.
 * Secrets are never copied: the inventory holds only references, and a file of the project that
 * holds a private key stops the build.
 */

/** helix's own folder (bin/, src/, package.json), whatever the project is. */
export function helixRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** What the project contributes to the image. */
const PROJECT_DIRS = ['playbooks', 'roles', 'inventory'] as const;
const HELIX_FILES = ['bin', 'src', 'package.json', 'package-lock.json'] as const;

/**
 * The project's folder in the image. A project inside helix's checkout keeps its place relative
 * to helix (its playbooks import `../../src/index.ts`); any other project is `/project` (it
 * imports `helix`, which resolves to the helix that runs it).
 */
export function projectDirInImage(helix: string, project: string): string {
  const rel = relative(helix, project);
  if (rel === '') return IMAGE_PATHS.helix;
  if (rel.startsWith('..') || isAbsolute(rel)) return IMAGE_PATHS.project;
  return `${IMAGE_PATHS.helix}/${rel.split(sep).join('/')}`;
}

function* files(dir: string, base = dir): Generator<string> {
  if (!existsSync(dir)) return;
  if (statSync(dir).isFile()) {
    yield dir;
    return;
  }
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p, base);
    else if (e.isFile()) yield p;
  }
}

/** The files whose content makes the image: helix's sources and lock file, the project's folders. */
function contentFiles(helix: string, project: string): string[] {
  const out = HELIX_FILES.flatMap((f) => [...files(join(helix, f))]);
  for (const d of PROJECT_DIRS) out.push(...files(join(project, d)));
  if (relative(helix, project).startsWith('..') && existsSync(join(project, 'package.json'))) out.push(join(project, 'package.json'));
  return [...new Set(out)];
}

/** `<helix version>-<12 hex of the content, Node's version included>`. */
export function contentTag(helix: string, project: string): string {
  const h = createHash('sha256');
  h.update(`node ${process.version}\0`);
  for (const f of contentFiles(helix, project)) {
    h.update(`${relative(project, f)}\0`);
    h.update(readFileSync(f));
  }
  const version = (JSON.parse(readFileSync(join(helix, 'package.json'), 'utf8')) as { version: string }).version;
  return `${version}-${h.digest('hex').slice(0, 12)}`;
}

/** Files of the project and of helix's sources that hold a private key: the build refuses them. */
export function filesWithKeys(helix: string, project: string): string[] {
  // The header followed by a body: a key, not code that writes one (src/modules/github/keypair.ts).
  return contentFiles(helix, project).filter((f) => /-----BEGIN [A-Z ]*PRIVATE KEY-----\r?\n[A-Za-z0-9+/=]{40,}/.test(readFileSync(f, 'latin1')));
}

/** The shared libraries (and the loader) a dynamically linked binary needs, from `ldd`. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await run('ldd', [binary]);
  const libs: string[] = [];
  for (const line of stdout.split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

export interface RunnerImage {
  /** `registry/repo:tag`. */
  ref: string;
  tag: string;
  /** The project's folder in the image. */
  projectDir: string;
}

/** The image of this project for the inventory's `onCluster.image` repository (nothing built). */
export function runnerImage(settings: Pick<OnClusterSettings, 'image'>, project: string): RunnerImage {
  const helix = helixRoot();
  const tag = contentTag(helix, project);
  return { ref: `${settings.image}:${tag}`, tag, projectDir: projectDirInImage(helix, project) };
}

/** The spec `buildImage` makes the layout from. */
export function runnerSpec(image: RunnerImage, project: string): ImageSpec {
  const helix = helixRoot();
  const repo = image.ref.slice(0, image.ref.lastIndexOf(':'));
  return {
    name: repo.slice(repo.indexOf('/') + 1),
    tag: image.tag,
    rootfs: async (dir) => {
      const node = realpathSync(process.execPath);
      addFile(dir, node, IMAGE_PATHS.node.slice(1));
      for (const lib of await sharedLibraries(node)) addFile(dir, realpathSync(lib), lib.slice(1));
      addFile(dir, '/etc/ssl/certs/ca-certificates.crt', 'etc/ssl/certs/ca-certificates.crt');
      minimalEtc(dir);
      const into = join(dir, IMAGE_PATHS.helix.slice(1));
      for (const f of HELIX_FILES) cpSync(join(helix, f), join(into, f), { recursive: true });
      // The install's node_modules (a symlink in a worktree), without helix's compile caches, then
      // pruned to the production dependencies by npm, offline.
      const modules = realpathSync(join(helix, 'node_modules'));
      cpSync(modules, join(into, 'node_modules'), {
        recursive: true,
        verbatimSymlinks: true,
        filter: (src) => src !== join(modules, '.cache'),
      });
      await run('npm', ['prune', '--omit=dev', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
        cwd: into,
        timeoutMs: 10 * 60_000,
      });
      const projectInto = join(dir, image.projectDir.slice(1));
      mkdirSync(projectInto, { recursive: true });
      for (const d of PROJECT_DIRS) if (existsSync(join(project, d))) cpSync(join(project, d), join(projectInto, d), { recursive: true });
      if (image.projectDir === IMAGE_PATHS.project && existsSync(join(project, 'package.json')))
        cpSync(join(project, 'package.json'), join(projectInto, 'package.json'));
    },
    entrypoint: [IMAGE_PATHS.node, `${IMAGE_PATHS.helix}/bin/helix.js`],
    env: ['PATH=/usr/local/bin', 'HOME=/tmp', `HELIX_ROOT=${image.projectDir}`, 'NO_COLOR=1'],
    workdir: image.projectDir,
    inputs: [image.ref],
  };
}

/** skopeo's cert dir for the registry: the inventory's, or the sandbox CA for the sandbox registry. */
export function registryCertDir(settings: Pick<OnClusterSettings, 'image' | 'registryCertDir'>): string | undefined {
  if (settings.registryCertDir) return settings.registryCertDir;
  return settings.image.startsWith(`${HOST_NAMES.registry}/`) ? join(sandboxDir(), 'registry-certs') : undefined;
}

/** True when the registry has the image. */
export async function imagePushed(ref: string, certDir: string | undefined): Promise<boolean> {
  try {
    await run('skopeo', ['inspect', '--raw', ...(certDir ? ['--cert-dir', certDir] : []), `docker://${ref}`], { timeoutMs: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** Builds the image (cached by tag) and pushes it; returns the OCI layout source it pushed. */
export async function buildAndPush(image: RunnerImage, project: string, certDir: string | undefined): Promise<{ layout: string; pushed: boolean }> {
  const keys = filesWithKeys(helixRoot(), project);
  if (keys.length) throw new ConfigError(`refusing to put private keys in the runner image: ${keys.join(', ')}`, 'image build');
  const source = await buildImage(runnerSpec(image, project));
  if (await imagePushed(image.ref, certDir)) return { layout: source, pushed: false };
  await run('skopeo', ['copy', '--quiet', ...(certDir ? ['--dest-cert-dir', certDir] : []), source, `docker://${image.ref}`], { timeoutMs: 15 * 60_000 });
  return { layout: source, pushed: true };
}
