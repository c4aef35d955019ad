import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { cacheDir } from 'helix';
import { SOPS_VERSION, sopsCachePath } from './sops.ts';

/** age (the key format the sandbox's SOPS files use), at the version sops itself requires. */
export const AGE_VERSION = '1.2.1';

function exec(cmd: string, args: string[], cwd: string): Promise<void> {
  const env = { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=mod' };
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd, env, timeout: 60 * 60_000, maxBuffer: 16 << 20 }, (e, _o, stderr) =>
      e ? reject(new Error(`${cmd} ${args.slice(0, 2).join(' ')} failed: ${String(stderr).slice(-800)}`)) : resolve(),
    ),
  );
}

/**
 * Builds `sops` and `age-keygen` from the Go module proxy into the cache (Debian 12 has no
 * sops package), once. Returns the sops path; age-keygen lies beside it.
 */
export async function installSops(): Promise<string> {
  const bin = sopsCachePath();
  if (existsSync(bin) && existsSync(join(dirname(bin), 'age-keygen'))) return bin;
  const dir = join(cacheDir(), 'go', 'sops', `v${SOPS_VERSION}`);
  const mod = join(dir, 'mod');
  mkdirSync(mod, { recursive: true });
  if (!existsSync(join(mod, 'go.mod'))) await exec('go', ['mod', 'init', 'local/helix-sops'], mod);
  await exec('go', ['get', `github.com/getsops/sops/v3@v${SOPS_VERSION}`, `filippo.io/age@v${AGE_VERSION}`], mod);
  const tmp = join(dir, 'bin.tmp');
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  await exec(
    'go',
    [
      'build',
      '-trimpath',
      '-ldflags',
      `-s -w -X github.com/getsops/sops/v3/version.Version=${SOPS_VERSION}`,
      '-o',
      join(tmp, 'sops'),
      'github.com/getsops/sops/v3/cmd/sops',
    ],
    mod,
  );
  await exec('go', ['build', '-trimpath', '-ldflags', '-s -w', '-o', join(tmp, 'age-keygen'), 'filippo.io/age/cmd/age-keygen'], mod);
  writeFileSync(join(tmp, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(join(dir, 'bin'), { recursive: true, force: true });
  renameSync(tmp, join(dir, 'bin'));
  return bin;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  installSops().then(
    (p) => process.stdout.write(`${p}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
