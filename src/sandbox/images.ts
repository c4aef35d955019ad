import { createHash } from 'node:crypto';
import { appendFileSync, chownSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from '../runtime/paths.ts';
import { goBuild, OAUTH2_PROXY_BUILD } from './build.ts';
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

/** A root filesystem for one static binary: the binary, Debian's CA bundle, the smallest /etc. */
export function staticBinaryRootfs(dir: string, binary: string, dst: string): void {
  addFile(dir, binary, dst);
  addFile(dir, '/etc/ssl/certs/ca-certificates.crt', 'etc/ssl/certs/ca-certificates.crt');
  minimalEtc(dir);
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

/** Debian's archive, as this machine's apt reaches it: the root filesystems below come from it. */
export const DEBIAN = {
  suite: 'bookworm',
  sources: ['deb http://deb.debian.org/debian bookworm main', 'deb http://deb.debian.org/debian-security bookworm-security main'],
} as const;

/**
 * A Debian root filesystem with the given packages and nothing else (`mmdebstrap`, variant
 * essential: no apt, no init), documentation stripped, users for the pods' numeric UIDs added.
 */
export async function debianRootfs(
  dir: string,
  packages: readonly string[],
  users: readonly { name: string; uid: number; home: string }[] = [],
): Promise<void> {
  await run(
    'mmdebstrap',
    [
      '--quiet',
      '--variant=essential',
      `--include=${packages.join(',')}`,
      ...['doc', 'man', 'info', 'locale'].map((d) => `--dpkgopt=path-exclude=/usr/share/${d}/*`),
      DEBIAN.suite,
      dir,
      ...DEBIAN.sources,
    ],
    { timeoutMs: 20 * 60_000 },
  );
  for (const u of users) {
    appendFileSync(join(dir, 'etc', 'passwd'), `${u.name}:x:${u.uid}:${u.uid}::${u.home}:/usr/sbin/nologin\n`);
    appendFileSync(join(dir, 'etc', 'group'), `${u.name}:x:${u.uid}:\n`);
    mkdirSync(join(dir, u.home), { recursive: true });
    chownSync(join(dir, u.home), u.uid, u.uid);
  }
}

/** Redis from Debian for oauth2-proxy's session store (the role's pod runs it as UID 999). */
export const REDIS: ImageSpec = {
  name: 'helix/redis',
  tag: '7.0-bookworm',
  rootfs: (dir) => debianRootfs(dir, ['redis-server'], [{ name: 'helix-redis', uid: 999, home: '/data' }]),
  cmd: ['redis-server'],
  user: '999:999',
  workdir: '/data',
  inputs: ['debian redis-server'],
};

/** oauth2-proxy, our static build from the Go module proxy, with Debian's CA bundle. */
export const OAUTH2_PROXY: ImageSpec = {
  name: 'helix/oauth2-proxy',
  tag: `v${VERSIONS.oauth2Proxy}`,
  rootfs: async (dir) => {
    await staticBinaryRootfs(dir, join(await goBuild(OAUTH2_PROXY_BUILD), 'oauth2-proxy'), 'bin/oauth2-proxy');
    appendFileSync(join(dir, 'etc', 'passwd'), 'nonroot:x:65532:65532::/home/nonroot:/bin/false\n');
  },
  entrypoint: ['/bin/oauth2-proxy'],
  user: '65532:65532',
  inputs: [`oauth2-proxy ${VERSIONS.oauth2Proxy}`],
};

/**
 * devpi-server and devpi-web in a venv (`/opt/devpi`) on Debian's Python. The wheels are made
 * on this machine from PyPI (`pip wheel`), then installed inside the root filesystem with no
 * index, so the image gets exactly what the host fetched. The pods run it as UID 1000.
 */
/** devpi's packages, and the wheels of them and their dependencies (Debian's pip, cached). */
const DEVPI_REQS = [`devpi-server==${VERSIONS.devpiServer}`, `devpi-web==${VERSIONS.devpiWeb}`];

/** Made once by Debian's Python, the one the images run (another python3 on PATH may resolve newer wheels). */
async function devpiWheels(): Promise<string> {
  const wheels = join(cacheDir(), 'wheels', `devpi-server-${VERSIONS.devpiServer}-web${VERSIONS.devpiWeb}`);
  if (!existsSync(join(wheels, '.complete'))) {
    rmSync(wheels, { recursive: true, force: true });
    await run('/usr/bin/python3', ['-m', 'pip', 'wheel', '--quiet', '--disable-pip-version-check', '--wheel-dir', wheels, ...DEVPI_REQS], {
      timeoutMs: 20 * 60_000,
    });
    writeFileSync(join(wheels, '.complete'), `${new Date().toISOString()}\n`);
  }
  return wheels;
}

const PYTHON_PACKAGES = ['python3', 'python3-venv', 'ca-certificates'];

export const DEVPI: ImageSpec = {
  name: 'helix/devpi',
  tag: VERSIONS.devpiServer,
  rootfs: async (dir) => {
    await debianRootfs(dir, PYTHON_PACKAGES, [{ name: 'devpi', uid: 1000, home: '/devpi' }]);
    const inside = join(dir, 'tmp', 'wheels');
    cpSync(await devpiWheels(), inside, { recursive: true });
    const env = { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }; // no PIP_* of this machine inside
    await run('/usr/sbin/chroot', [dir, 'python3', '-m', 'venv', '/opt/devpi'], { env });
    await run(
      '/usr/sbin/chroot',
      [
        dir,
        '/opt/devpi/bin/pip',
        'install',
        '--quiet',
        '--disable-pip-version-check',
        '--no-index',
        '--no-cache-dir',
        '--find-links',
        '/tmp/wheels',
        ...DEVPI_REQS,
      ],
      { env, timeoutMs: 20 * 60_000 },
    );
    rmSync(inside, { recursive: true, force: true });
  },
  env: ['PATH=/opt/devpi/bin:/usr/local/bin:/usr/bin:/bin', 'HOME=/devpi', 'LANG=C.UTF-8'],
  cmd: ['devpi-server', '--host=0.0.0.0'],
  user: '1000:1000',
  inputs: [`devpi-server ${VERSIONS.devpiServer}`, `devpi-web ${VERSIONS.devpiWeb}`, 'debian python3'],
};

/**
 * The base of DevPi's own build (Kaniko, `playbooks/…/devpi/image/Dockerfile`): Debian's
 * Python with venv and a `devpi` user, nothing installed with pip.
 */
export const PYTHON: ImageSpec = {
  name: 'helix/python',
  tag: `3.11-${DEBIAN.suite}`,
  rootfs: (dir) => debianRootfs(dir, PYTHON_PACKAGES, [{ name: 'devpi', uid: 1000, home: '/devpi' }]),
  env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8'],
  cmd: ['python3'],
  inputs: ['debian python3'],
};

/** Only devpi's wheels under /wheels: the build stage DevPi's Dockerfile copies them from (pods fetch nothing). */
export const DEVPI_WHEELS: ImageSpec = {
  name: 'helix/devpi-wheels',
  tag: `${VERSIONS.devpiServer}-web${VERSIONS.devpiWeb}`,
  rootfs: async (dir) => {
    cpSync(await devpiWheels(), join(dir, 'wheels'), { recursive: true, filter: (src) => !src.endsWith('.complete') });
  },
  inputs: [`devpi-server ${VERSIONS.devpiServer}`, `devpi-web ${VERSIONS.devpiWeb}`],
};

/**
 * Debian's git, OpenSSH client and curl: the clone step of build workflows, and the rebuild
 * workflow's steps that ask the registry and the API server.
 */
export const GIT: ImageSpec = {
  name: 'helix/git',
  tag: `2.39-${DEBIAN.suite}`,
  rootfs: (dir) => debianRootfs(dir, ['git', 'openssh-client', 'ca-certificates', 'curl']),
  env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8', 'HOME=/tmp'],
  cmd: ['git', '--version'],
  inputs: ['debian git openssh-client curl'],
};

/** Images every sandbox registry holds: the node's, and what the sandbox's components run. */
export const BASE_IMAGES: readonly ImageSpec[] = [PAUSE, BUSYBOX, REDIS, OAUTH2_PROXY, DEVPI, PYTHON, DEVPI_WHEELS, GIT];
