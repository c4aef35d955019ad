import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installSops } from '../../../playbooks/platform/lib/sops-install.ts';
import { ensureUpstreamCrds } from '../../../src/crds/index.ts';
import { installHelm } from '../../../src/modules/helm/install.ts';
import { readSandboxInventory } from '../../support/sandbox.ts';
import { helix } from './run.ts';

/**
 * The commands of the README's table that need the sandbox, on the platform component, run as a
 * user runs them (spawned `node bin/helix.js …`): play --check --diff, play (twice:
 * the second changes nothing), test (88 runs the readiness checks), verify (live and --static),
 * history, rollback, and verify failing once the platform is gone. Leaves nothing behind.
 */

const k8s = (): { kubeconfig: string; context?: string } | undefined =>
  (inject('sandbox') as { kubernetes?: { kubeconfig: string; context?: string } } | undefined)?.kubernetes;
const hasPostgres = (): boolean => Boolean((readSandboxInventory()?.raw.vars as Record<string, unknown> | undefined)?.postgres_host);
const LOCAL = ['--env', 'local'];

describe.runIf(k8s() !== undefined && hasPostgres())('platform through bin/helix.js on the sandbox', () => {
  beforeAll(async () => {
    await Promise.all([installSops(), installHelm()]);
    const k = k8s()!;
    await ensureUpstreamCrds(k.kubeconfig, undefined, { ...(k.context ? { context: k.context } : {}) });
    const clean = await helix(['rollback', 'platform', ...LOCAL, '--purge-data'], { timeoutMs: 600_000 });
    expect(clean.code, clean.out).toBe(0);
  }, 1_800_000);

  afterAll(async () => {
    await helix(['rollback', 'platform', ...LOCAL, '--purge-data'], { timeoutMs: 600_000 });
  }, 600_000);

  it('play --check --diff plans every object with a diff, and changes nothing', async () => {
    const r = await helix(['play', 'platform', ...LOCAL, '--check', '--diff'], { timeoutMs: 600_000 });
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/create k8s:postgresql\.cnpg\.io\/v1\/Pooler\/platform\/platform-db-pooler-rw/);
    expect(r.stdout).toMatch(/^\s*\+\s*poolMode: transaction$/m);
    const history = await helix(['history', 'platform', ...LOCAL, '--json']);
    expect(history.code, history.out).toBe(0);
  });

  it('play converges (exit 0); a second play changes nothing', async () => {
    const first = await helix(['play', 'platform', ...LOCAL], { timeoutMs: 900_000 });
    expect(first.code, first.out).toBe(0);
    expect(first.stdout).toMatch(/changed=[1-9]\d*/);
    const again = await helix(['play', 'platform', ...LOCAL], { timeoutMs: 900_000 });
    expect(again.code, again.out).toBe(0);
    expect(again.stdout).toMatch(/changed=0\b/);
  });

  it('test runs 88: the readiness checks and the databases', async () => {
    const r = await helix(['test', 'platform', ...LOCAL], { timeoutMs: 600_000 });
    expect(r.stderr).not.toMatch(/Cannot find module|cannot load/);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/\d+ readiness checks, none FAIL/);
    expect(r.stdout).toMatch(/databases orchestrator, lens, git_sensor, casbin exist/);
  });

  it('verify (live) reads the cluster: no FAIL, every section the sandbox has', async () => {
    const r = await helix(['verify', 'platform', ...LOCAL], { timeoutMs: 300_000 });
    expect(r.stderr).not.toMatch(/Cannot find module/);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^platform readiness: local$/m);
    expect(r.stdout).toMatch(/nodes Ready/);
    expect(r.stdout).toMatch(/live Pooler platform\/platform-db-pooler-rw: transaction/);
    expect(r.stdout).toMatch(/^\w+\s+\d+ pass, \d+ warn, 0 fail$/m);
    const s = await helix(['verify', 'platform', ...LOCAL, '--static']);
    expect(s.code, s.out).toBe(0);
    expect(s.stdout).not.toMatch(/nodes Ready/);
    // setup.sh builds promtool, so the alert rules are tested, not skipped with a WARN.
    expect(s.stdout).toMatch(/promtool test rules: \d+ test files? pass on the rendered PrometheusRule/);
    expect(s.stdout).not.toMatch(/promtool not found/);
  });

  it('history lists the runs', async () => {
    const r = await helix(['history', 'platform', ...LOCAL]);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/play\s+ok/);
    expect(r.stdout).toMatch(/test\s+ok/);
  });

  it('rollback removes it but keeps the data (exit 0); verify then FAILs (exit 1) naming what is missing', async () => {
    const rb = await helix(['rollback', 'platform', ...LOCAL], { timeoutMs: 600_000 });
    expect(rb.code, rb.out).toBe(0);
    expect(rb.stdout).toMatch(/delete k8s:postgresql\.cnpg\.io\/v1\/Pooler\/platform\/platform-db-pooler-rw/);
    // One data policy (docs/safety.md): without --purge-data the database's namespace stays.
    expect(rb.stdout).not.toMatch(/delete k8s:v1\/Namespace\/_\/platform$/m);
    expect(rb.stdout).toMatch(/delete k8s:v1\/Namespace\/_\/platform-monitoring$/m);
    const r = await helix(['verify', 'platform', ...LOCAL], { timeoutMs: 300_000 });
    expect(r.code, r.out).toBe(1);
    expect(r.stdout).toMatch(/Pooler platform\/platform-db-pooler-rw: not found/);
    expect(r.stdout).toMatch(/ClusterPolicy verify-image-provenance: not found/);
    expect(r.stdout).toMatch(/^FAIL\s+\d+ pass, \d+ warn, \d+ fail$/m);
  });
});
