import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { TargetError } from '../../runtime/errors.ts';
import { cacheDir } from '../../runtime/paths.ts';

/** The helm version helix builds and uses. v3: the chart API every public chart targets. */
export const HELM_VERSION = '3.21.4';

/** `cacheDir()/go/helm/v<version>/bin/helm`: where {@link installHelm} puts the binary. */
export function helmCachePath(version = HELM_VERSION): string {
  return join(cacheDir(), 'go', 'helm', `v${version}`, 'bin', 'helm');
}

/**
 * The helm binary to use, without building anything: `HELIX_HELM` when set, else the cached
 * build, else `helm` on PATH. Undefined when none exists.
 */
export function findHelm(version = HELM_VERSION): string | undefined {
  const override = process.env.HELIX_HELM;
  if (override) return override;
  const cached = helmCachePath(version);
  if (existsSync(cached)) return cached;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'helm'))) return join(dir, 'helm');
  }
  return undefined;
}

function exec(cmd: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 32 << 20, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error) reject(new TargetError('helm-install', `${cmd} ${args.slice(0, 2).join(' ')} failed: ${stderr.split('\n').slice(-10).join('\n')}`));
      else resolve(stdout);
    });
  });
}

/**
 * Builds helm `version` from the Go module proxy (`helm.sh/helm/v3/cmd/helm`) through a small
 * wrapper module, once, and returns the binary's path. The exact version is stamped into the
 * binary (without it `helm version` says only `v3.21`). Needs `go`; takes a few minutes cold.
 * The sandbox setup calls this; `helm.release` tasks use {@link findHelm}.
 */
export async function installHelm(version = HELM_VERSION, log: (line: string) => void = () => {}): Promise<string> {
  const bin = helmCachePath(version);
  if (existsSync(bin)) return bin;
  const dir = join(cacheDir(), 'go', 'helm', `v${version}`);
  const mod = join(dir, 'mod');
  mkdirSync(mod, { recursive: true });
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  const go = process.env.HELIX_GO ?? 'go';
  if (!existsSync(join(mod, 'go.mod'))) await exec(go, ['mod', 'init', 'local/helix-helm'], { cwd: mod, env, timeoutMs: 60_000 });
  log(`fetching helm.sh/helm/v3@v${version} from the Go module proxy`);
  await exec(go, ['get', `helm.sh/helm/v3@v${version}`], { cwd: mod, env, timeoutMs: 30 * 60_000 });
  const tmp = join(dir, 'bin.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`building helm v${version}`);
  await exec(
    go,
    ['build', '-trimpath', '-ldflags', `-s -w -X helm.sh/helm/v3/internal/version.version=v${version}`, '-o', join(tmp, 'helm'), 'helm.sh/helm/v3/cmd/helm'],
    { cwd: mod, env, timeoutMs: 60 * 60_000 },
  );
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(join(dir, 'bin'), { recursive: true, force: true });
  renameSync(tmp, join(dir, 'bin'));
  return bin;
}

/** `node src/modules/helm/install.ts`: build helm into the cache and print its path. */
if (import.meta.url === `file://${process.argv[1]}`) {
  installHelm(HELM_VERSION, (l) => process.stderr.write(`helm: ${l}\n`)).then(
    (p) => process.stdout.write(`${p}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
