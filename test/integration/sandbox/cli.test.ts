import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadInventory } from '../../../src/runtime/inventory.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { exec, has, sandbox } from './helpers.ts';

const helix = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'helix.js');
const run = (...args: string[]) => exec(process.execPath, [helix, 'sandbox', ...args], { timeoutMs: 600_000 });

/** Every secret value the sandbox generated (they must never be printed). */
function secretValues(): string[] {
  return Object.values(sandbox().vars)
    .map((x) => (x as { secret?: { file?: string } })?.secret?.file)
    .filter((f): f is string => !!f)
    .map((f) => readFileSync(f, 'utf8').trim());
}

describe('helix sandbox (CLI contract)', () => {
  it('env prints export lines for KUBECONFIG and the endpoints, without secret values', async () => {
    const r = await run('env');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^export HELIX_SANDBOX_DIR='[^']+'$/m);
    if (has('kube-apiserver')) expect(r.stdout).toContain(`export KUBECONFIG='${sandbox().kubernetes!.kubeconfig}'`);
    if (has('keycloak')) expect(r.stdout).toMatch(/^export KEYCLOAK_URL='http:\/\/127\.0\.0\.1:\d+'$/m);
    if (has('redis')) expect(r.stdout).toMatch(/^export REDIS_URL='redis:\/\/127\.0\.0\.1:\d+'$/m);
    if (has('devpi')) expect(r.stdout).toMatch(/^export DEVPI_URL=/m);
    for (const line of r.stdout.trim().split('\n')) expect(line).toMatch(/^export [A-Z_][A-Z0-9_]*='[^']*'$/);
    for (const s of secretValues()) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it('env --json prints the same data', async () => {
    const r = await run('env', '--json');
    expect(r.code, r.stderr).toBe(0);
    const data = JSON.parse(r.stdout) as { env: Record<string, string>; vars: Record<string, unknown> };
    const text = (await run('env')).stdout;
    for (const [k, val] of Object.entries(data.env)) expect(text).toContain(`export ${k}='${val}'`);
    for (const s of secretValues()) expect(r.stdout).not.toContain(s);
  });

  it('status reports every started component healthy', async () => {
    const r = await run('status', '--json');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { name: string; ok: boolean; up: boolean; detail: string }[];
    for (const c of sandbox().components) {
      const row = rows.find((x) => x.name === c);
      expect(row, c).toBeDefined();
      expect({ name: c, ok: row!.ok, detail: row!.detail }).toMatchObject({ name: c, ok: true });
    }
  });

  it('up is idempotent: a second up reuses the running processes', async () => {
    const before = JSON.parse(readFileSync(join(sandbox().dir, 'state.json'), 'utf8')) as { processes: Record<string, Record<string, { pid: number }>> };
    const only = sandbox().components.includes('redis') ? 'redis' : sandbox().components[0]!;
    const r = await run('up', '--only', only);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/already running/);
    const after = JSON.parse(readFileSync(join(sandbox().dir, 'state.json'), 'utf8')) as typeof before;
    for (const [c, procs] of Object.entries(before.processes))
      for (const [p, rec] of Object.entries(procs)) expect(after.processes[c]?.[p]?.pid, `${c}/${p}`).toBe(rec.pid);
  });

  it('writes an inventory that helix loads, with secrets as 0600 file references', () => {
    const inv = readFileSync(sandbox().inventory, 'utf8');
    for (const s of secretValues()) expect(inv).not.toContain(s);
    for (const x of Object.values(sandbox().vars)) {
      const file = (x as { secret?: { file?: string } })?.secret?.file;
      if (file) expect(statSync(file).mode & 0o777, file).toBe(0o600);
    }
    const root = mkdtempSync(join(tmpdir(), 'helix-inv-'));
    mkdirSync(join(root, 'inventory'));
    writeFileSync(join(root, 'inventory', 'local.yaml'), 'include: [sandbox]\n');
    const loaded = loadInventory(root, 'local');
    if (has('keycloak')) {
      expect(loaded.vars.keycloak_url).toBe(sandbox().vars.keycloak_url);
      expect(loaded.vars.keycloak_admin_password).toBeInstanceOf(Secret);
    }
    if (has('kube-apiserver')) expect(loaded.kubernetes).toEqual({ kubeconfig: sandbox().kubernetes!.kubeconfig, context: 'helix-sandbox' });
    if (has('ssh')) {
      expect(Object.keys(loaded.hosts)).toEqual(expect.arrayContaining(['host1', 'host2', 'host3']));
      expect(loaded.groups.admin_workstation).toEqual(['host1']);
      expect(loaded.hosts.host1!.hostKeys[0]).toMatch(/^ssh-ed25519 AAAA/);
    }
  });
});
