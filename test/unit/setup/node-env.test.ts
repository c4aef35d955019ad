import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `bash scripts/setup.sh env` (decision 047): what .ci/run and a shell evaluate to put Node 24 first
 * on PATH. The machine's `node` is the seam: a stand-in that answers the major version asked.
 */
const setup = fileURLToPath(new URL('../../../scripts/setup.sh', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'helix-node-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function machineNode(major: number): string {
  const bin = join(dir, `machine-${major}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'node'), `#!/bin/sh\necho ${major}\n`);
  chmodSync(join(bin, 'node'), 0o755);
  return bin;
}

function env(major: number, prefix: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('bash', [setup, 'env'], {
    env: { PATH: `${machineNode(major)}:/usr/bin:/bin`, HOME: dir, HELIX_NODE_PREFIX: prefix },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('setup.sh env', () => {
  it('prints nothing when the machine’s node is 24 or newer', () => {
    const r = env(24, join(dir, 'unused'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
  });

  it('puts the installed Node 24 first on PATH, with its headers for native addons, when the machine’s is older', () => {
    const prefix = join(dir, 'node24');
    mkdirSync(join(prefix, 'bin'), { recursive: true });
    symlinkSync(process.execPath, join(prefix, 'bin', 'node'));
    const r = env(20, prefix);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`export PATH=${prefix}/bin:"$PATH"\nexport npm_config_nodedir=${prefix}\n`);
  });

  it('fails, saying what to run, when the machine’s node is older and none was installed', () => {
    const r = env(20, join(dir, 'missing'));
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/setup: error: no Node 24 in .*\/missing\/bin: run `bash scripts\/setup\.sh install` first/);
  });
});
