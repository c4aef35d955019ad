import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from '../runtime/paths.ts';
import { run } from './proc.ts';
import { HOST_NAMES, VERSIONS } from './versions.ts';

/**
 * OCI images made on this machine, without a Docker engine: a root filesystem put together
 * from files the host already has (Debian's static binaries, our Go builds), written as an
 * OCI layout with Debian's `umoci` and pushed to the sandbox registry with Debian's `skopeo`.
 * Each image is cached under `cacheDir()/images/<name>/<tag>/` keyed by a digest of its recipe.
 */
export interface ImageSpec {
  /** Repository below the registry, e.g. `helix/pause`. */
  name: string;
  tag: string;
  /** Fills an empty folder with the image's root filesystem. */
  rootfs: (dir: string) => Promise<void> | void;
  entrypoint?: readonly string[];
  cmd?: readonly string[];
  user?: string;
  env?: readonly string[];
  workdir?: string;
  /** Anything else the recipe depends on (source versions), folded into the cache key. */
  inputs?: readonly string[];
}

export function imageRef(spec: Pick<ImageSpec, 'name' | 'tag'>): string {
  return `${HOST_NAMES.registry}/${spec.name}:${spec.tag}`;
}

function recipeDigest(spec: ImageSpec): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([spec.name, spec.tag, spec.entrypoint, spec.cmd, spec.user, spec.env, spec.workdir, spec.inputs, spec.rootfs.toString()]));
  return h.digest('hex').slice(0, 16);
}

/** Builds the image's OCI layout once per recipe and returns `oci:<layout>:<tag>`. */
export async function buildImage(spec: ImageSpec): Promise<string> {
  const base = join(cacheDir(), 'images', spec.name.replaceAll('/', '_'), spec.tag);
  const layout = join(base, 'oci');
  const stamp = join(base, '.complete');
  const digest = recipeDigest(spec);
  const source = `oci:${layout}:${spec.tag}`;
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === digest) return source;
  rmSync(base, { recursive: true, force: true });
  mkdirSync(base, { recursive: true });
  const rootfs = join(base, 'rootfs');
  mkdirSync(rootfs);
  await spec.rootfs(rootfs);
  await run('umoci', ['init', '--layout', layout]);
  await run('umoci', ['new', '--image', `${layout}:${spec.tag}`]);
  await run('umoci', ['insert', '--image', `${layout}:${spec.tag}`, rootfs, '/']);
  const config = ['--config.workingdir', spec.workdir ?? '/'];
  for (const e of spec.entrypoint ?? []) config.push('--config.entrypoint', e);
  for (const c of spec.cmd ?? []) config.push('--config.cmd', c);
  for (const e of spec.env ?? []) config.push('--config.env', e);
  if (spec.user) config.push('--config.user', spec.user);
  await run('umoci', ['config', '--image', `${layout}:${spec.tag}`, '--author', 'helix sandbox', ...config]);
  await run('umoci', ['gc', '--layout', layout]);
  rmSync(rootfs, { recursive: true, force: true });
  writeFileSync(stamp, `${digest}\n`);
  return source;
}

/** Copies an OCI layout's image to the sandbox registry (TLS verified with the sandbox CA). */
export async function pushImage(source: string, ref: string, certDir: string): Promise<void> {
  await run('skopeo', ['copy', '--quiet', '--dest-cert-dir', certDir, source, `docker://${ref}`], { timeoutMs: 10 * 60_000 });
}

/** True when the registry has the tag (a manifest answers). */
export async function imageInRegistry(ref: string, certDir: string): Promise<boolean> {
  try {
    await run('skopeo', ['inspect', '--raw', '--cert-dir', certDir, `docker://${ref}`], { timeoutMs: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Copies a host file into a root filesystem folder, creating its parents. */
export function addFile(rootfs: string, src: string, dst: string): void {
  const target = join(rootfs, dst);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(src, target); // keeps the mode
}

/** The smallest /etc a process expects: root and nobody, and their groups. */
export function minimalEtc(rootfs: string): void {
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  mkdirSync(join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
}

/** The pause image: Debian's statically linked catatonit in pause mode (what podman uses too). */
export const PAUSE: ImageSpec = {
  name: 'helix/pause',
  tag: VERSIONS.pause,
  rootfs: (dir) => addFile(dir, '/usr/bin/catatonit', 'catatonit'),
  entrypoint: ['/catatonit', '-P'],
  user: '65535:65535',
  inputs: ['catatonit'],
};

/** Debian's static busybox with its applets linked in /bin: a shell, wget, nc, httpd for tests. */
export const BUSYBOX: ImageSpec = {
  name: 'helix/busybox',
  tag: '1.35.0',
  rootfs: async (dir) => {
    addFile(dir, '/bin/busybox', 'bin/busybox');
    minimalEtc(dir);
    const { stdout } = await run('/bin/busybox', ['--list']);
    for (const applet of stdout.split('\n').filter((a) => a && a !== 'busybox')) symlinkSync('busybox', join(dir, 'bin', applet));
  },
  cmd: ['/bin/sh'],
  env: ['PATH=/bin'],
  inputs: ['busybox-static'],
};

/** Images every sandbox registry holds. */
export const BASE_IMAGES: readonly ImageSpec[] = [PAUSE, BUSYBOX];
