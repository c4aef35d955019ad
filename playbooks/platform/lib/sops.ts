import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { cacheDir, ConfigError, Secret, TargetError } from 'helix';

/** The sops version the platform builds from the Go module proxy (`github.com/getsops/sops/v3`). */
export const SOPS_VERSION = '3.11.0';

export function sopsCachePath(version = SOPS_VERSION): string {
  return join(cacheDir(), 'go', 'sops', `v${version}`, 'bin', 'sops');
}

/** `HELIX_SOPS`, the cached build, or `sops` on PATH. */
export function findSops(explicit?: string): string | undefined {
  if (explicit) return explicit;
  if (process.env.HELIX_SOPS) return process.env.HELIX_SOPS;
  if (existsSync(sopsCachePath())) return sopsCachePath();
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir && existsSync(join(dir, 'sops'))) return join(dir, 'sops');
  return undefined;
}

/**
 * Decrypts a SOPS file in memory (`sops decrypt --output-type json`): the plain text lives
 * only in this process, every leaf becomes a {@link Secret}, nothing is written to disk.
 * The key comes from `ageKeyFile` or sops' own environment (`SOPS_AGE_KEY_FILE`, KMS credentials, …).
 */
export function decryptSops(file: string, binary?: string, ageKeyFile?: string): Record<string, unknown> {
  const sops = findSops(binary);
  if (!sops) throw new ConfigError(`cannot decrypt ${file}: no sops binary (build it with \`node playbooks/platform/lib/sops-install.ts\`, or set HELIX_SOPS)`);
  let out: string;
  try {
    const env = ageKeyFile ? { ...process.env, SOPS_AGE_KEY_FILE: ageKeyFile } : process.env;
    out = execFileSync(sops, ['decrypt', '--output-type', 'json', file], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 16 << 20 });
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    throw new TargetError(`sops ${file}`, `decryption failed: ${stderr || (e as Error).message}`);
  }
  return wrapLeaves(JSON.parse(out) as unknown, file) as Record<string, unknown>;
}

function wrapLeaves(v: unknown, file: string): unknown {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return new Secret(String(v), `sops file ${file}`);
  if (Array.isArray(v)) return v.map((x) => wrapLeaves(x, file));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wrapLeaves(x, file)]));
  return v;
}

/** The Secret at a dotted key (`devtron.pg_password`) of a decrypted SOPS document. */
export function sopsValue(doc: Record<string, unknown>, key: string, file: string): Secret {
  let cur: unknown = doc;
  for (const part of key.split('.')) {
    if (cur === null || typeof cur !== 'object') break;
    cur = (cur as Record<string, unknown>)[part];
  }
  if (!(cur instanceof Secret)) throw new ConfigError(`${file} has no value at "${key}"`);
  return cur;
}
