import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLock, newHolder } from '../../../src/runtime/state/index.ts';
import { helix, repo } from './run.ts';

/**
 * Every command of the README's table that needs no sandbox, run as a user runs it: a spawned
 * `node bin/helix.js …` in the project folder (no HELIX_ROOT). Each asserts the exit code and the output a user relies on. The commands that
 * need the sandbox are in platform.test.ts; `helix sandbox env|status|up` in ../sandbox/cli.test.ts.
 */

const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const memproject = join(repo, 'test/fixtures/memproject');

describe('helix, no project state needed', () => {
  it('--version prints the package version', async () => {
    const r = await helix(['--version']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help lists every command of the README table', async () => {
    const r = await helix(['--help']);
    expect(r.code, r.stderr).toBe(0);
    for (const c of ['play', 'test', 'rollback', 'list', 'explain', 'history', 'unlock', 'verify', 'port', 'sandbox'])
      expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, 'm'));
  });

  it('list shows the components and their numbered playbooks', async () => {
    const r = await helix(['list']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^devpi\s+playbooks\/40_thinkube\/core\/devpi$/m);
    expect(r.stdout).toMatch(/^platform\s+playbooks\/platform$/m);
    expect(r.stdout).toMatch(/10_terraform .*88_test .*89_rollback/);
    const json = JSON.parse((await helix(['list', '--json'])).stdout) as { name: string; playbooks: string[] }[];
    expect(json.find((c) => c.name === 'platform')?.playbooks).toContain('88_test');
  });

  describe('explain <component> <var> --env prod', () => {
    const secrets = {
      ADMIN_PASSWORD: 'adm-Secret-4417',
      DEVPI_ADMIN_PASSWORD: 'dp-Secret-9921',
      HARBOR_ROBOT_TOKEN: 'hr-Secret-3310',
      GITHUB_TOKEN: 'gh-Secret-7702',
    };

    it('a secret is masked, with where it came from', async () => {
      const r = await helix(['explain', 'devpi', 'keycloak_admin_password', '--env', 'prod'], { env: secrets });
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toMatch(/keycloak_admin_password = \*{8}/);
      expect(r.stdout).toMatch(/inventory\/prod\.yaml: vars\.keycloak_admin_password \(secret from environment variable ADMIN_PASSWORD\)/);
      for (const s of Object.values(secrets)) expect(r.out).not.toContain(s);
    });

    it('a plain value, as JSON', async () => {
      const r = await helix(['explain', 'devpi', 'devpi_index_name', '--env', 'prod', '--json'], { env: secrets });
      expect(r.code, r.out).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({
        variable: 'devpi_index_name',
        value: 'stable',
        secret: false,
        from: 'inventory/prod.yaml: components.devpi.devpi_index_name',
      });
    });

    it('unset secrets are a configuration error (exit 2) naming each variable', async () => {
      const r = await helix(['explain', 'devpi', 'devpi_index_name', '--env', 'prod'], {
        env: { ADMIN_PASSWORD: undefined, DEVPI_ADMIN_PASSWORD: undefined, HARBOR_ROBOT_TOKEN: undefined, GITHUB_TOKEN: undefined },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/secret from environment variable ADMIN_PASSWORD is not set/);
    });
  });

  describe('port <role dir> --out <dir>', () => {
    const out = mkdtempSync(join(tmpdir(), 'helix-cli-port-'));
    afterAll(() => rmSync(out, { recursive: true, force: true }));

    it('writes helix TypeScript and an honest report', async () => {
      const r = await helix(['port', 'test/fixtures/port/webapp-role', '--out', out]);
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toMatch(/tasks found 7 · mapped 5 \(71\.4% of the 7 that are not debug\)/);
      expect(readdirSync(join(out, 'roles/webapp-role'))).toContain('index.ts');
    });

    it('--json is the same report, machine-readable', async () => {
      const r = await helix(['port', 'test/fixtures/port/webapp-role', '--out', out, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { files: { file: string; found: number; mapped: number }[] };
      expect(report.files.find((f) => f.file === 'tasks/main.yml')).toMatchObject({ found: 4, mapped: 3 });
    });

    it('a missing input is exit 2', async () => {
      const r = await helix(['port', '/nonexistent/playbook.yml', '--out', out]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no such file or folder/);
    });
  });
});

describe('verify platform --static, as users run it (no cluster)', () => {
  it('reports sections A–J from the component’s verify.ts, exit 0 without a FAIL', async () => {
    const r = await helix(['verify', 'platform', '--env', 'prod', '--static']);
    expect(r.stderr).not.toMatch(/Cannot find module/);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^platform readiness: prod \(static\)$/m);
    expect(r.stdout).toMatch(/^PASS\s+A\s+Terraform remote state and CI least privilege$/m);
    expect(r.stdout).toMatch(/native S3 state locking/);
    expect(r.stdout).toMatch(/^WARN\s+\d+ pass, \d+ warn, 0 fail$/m);
  });

  it('--format md and --json', async () => {
    const md = await helix(['verify', 'platform', '--env', 'prod', '--static', '--format', 'md']);
    expect(md.code, md.out).toBe(0);
    expect(md.stdout).toMatch(/^# platform readiness: prod \(static\)$/m);
    expect(md.stdout).toMatch(/^\| A \| Terraform remote state and CI least privilege \| \*\*PASS\*\* \|$/m);
    const json = await helix(['verify', 'platform', '--env', 'prod', '--static', '--json']);
    expect(json.code, json.out).toBe(0);
    const report = JSON.parse(json.stdout) as {
      component: string;
      mode: string;
      sections: Record<string, { status: string }>;
      checks: { id: string; status: string }[];
    };
    expect(report).toMatchObject({ component: 'platform', env: 'prod', mode: 'static' });
    expect(Object.keys(report.sections)).toEqual(expect.arrayContaining(['A', 'C', 'D', 'E', 'H', 'I', 'J']));
    expect(report.checks.find((c) => c.id === 'A.backend-lockfile')?.status).toBe('PASS');
  });

  describe('a FAIL is exit 1, with the evidence', () => {
    // A user's project: helix's playbooks, and an inventory whose Terraform uses DynamoDB locking.
    const project = mkdtempSync(join(tmpdir(), 'helix-cli-verify-'));
    beforeAll(() => {
      symlinkSync(join(repo, 'playbooks'), join(project, 'playbooks'));
      mkdirSync(join(project, 'inventory'));
      cpSync(join(repo, 'playbooks/platform/terraform/envs/prod'), join(project, 'tf'), { recursive: true });
      const backend = join(project, 'tf/backend.tf');
      writeFileSync(backend, readFileSync(backend, 'utf8').replace('use_lockfile = true', 'use_lockfile = true\n    dynamodb_table = "tf-locks"'));
      const prod = readFileSync(join(repo, 'inventory/prod.yaml'), 'utf8');
      const inventory = prod
        .replace('dir: ../playbooks/platform/terraform/envs/prod', 'dir: ../tf')
        .replace('kubeconfig: ~/.kube/config', `kubeconfig: ${join(project, 'no-such-kubeconfig')}`);
      expect(inventory).toContain('no-such-kubeconfig');
      writeFileSync(join(project, 'inventory/prod.yaml'), inventory);
    });
    afterAll(() => rmSync(project, { recursive: true, force: true }));

    it('exit 1 naming the check, the file and the value', async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project });
      expect(r.code, r.out).toBe(1);
      expect(r.stdout).toMatch(/FAIL\s+no DynamoDB locking\n\s+\.\.\/tf\/backend\.tf: backend "s3": dynamodb_table = tf-locks/);
      expect(r.stdout).toMatch(/^FAIL\s+\d+ pass, \d+ warn, 1 fail$/m);
    });

    it('test platform loads the 88 playbook as users run it; its readiness task reaches for the cluster', async () => {
      const secrets = {
        ADMIN_PASSWORD: 'adm-Secret-4417',
        DEVPI_ADMIN_PASSWORD: 'dp-Secret-9921',
        HARBOR_ROBOT_TOKEN: 'hr-Secret-3310',
        GITHUB_TOKEN: 'gh-Secret-7702',
      };
      const r = await helix(['test', 'platform', '--env', 'prod', '--check'], { cwd: project, env: secrets });
      expect(r.out).not.toMatch(/cannot load|Cannot find module/);
      expect(r.code, r.out).toBe(1);
      expect(r.stdout).toMatch(/failed\s+platform\/88_test\/readiness\n.*no-such-kubeconfig/);
    });
  });

  it.each([
    [['verify', 'platform', '--env', 'prod', '--static', '--format', 'xml'], /--format must be table, md or json/],
    [['verify', 'nosuch', '--static'], /unknown component "nosuch"/],
    [['verify', 'platform', '--env', 'nosuch', '--static'], /nosuch/],
    [['verify'], /missing required argument 'component'/],
  ])('bad input %j is exit 2', async (args, re) => {
    const r = await helix(args);
    expect(r.code, r.out).toBe(2);
    expect(r.stderr).toMatch(re);
  });
});

describe('play, test, rollback, history, unlock in a project without a cluster', () => {
  // A user's project folder (memproject: one component on an in-memory module, file locks).
  const state = mkdtempSync(join(tmpdir(), 'helix-cli-state-'));
  const env = { DEMO_TOKEN: `demo-token-${process.pid}-never-printed`, HELIX_STATE_DIR: state };
  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) => helix(args, { cwd: memproject, env: { ...env, ...extra } });
  let holder: ChildProcess | undefined;
  afterAll(() => {
    holder?.kill();
    rmSync(state, { recursive: true, force: true });
  });

  it('play --check --diff plans, play applies (exit 0), with the recap', async () => {
    const check = await run(['play', 'demo', '--check', '--diff']);
    expect(check.code, check.out).toBe(0);
    expect(check.stdout).toMatch(/create mem:demo\/a/);
    const r = await run(['play', 'demo']);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^play demo --env local \(10_first, 20_second\)$/m);
    expect(r.stdout).toMatch(/localhost\s+ok=0\s+changed=5\s+failed=1\s+skipped=1/);
    expect(r.out).not.toContain(env.DEMO_TOKEN);
  });

  it('test runs the 88 playbook', async () => {
    const r = await run(['test', 'demo']);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/demo\/88_test\/tested/);
  });

  it('rollback of a component without an 89 playbook is exit 2', async () => {
    const r = await run(['rollback', 'demo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/component demo has no rollback playbook/);
  });

  it('history lists the recorded runs', async () => {
    const r = await run(['history', 'demo']);
    expect(r.code, r.out).toBe(0);
    expect(r.stdout).toMatch(/^#1\s+\S+\s+play\s+ok\s+5 change\(s\)/m);
    expect(r.stdout).toMatch(/^#2\s+\S+\s+test\s+ok\s+1 change\(s\)/m);
  });

  it('a held lock refuses a play (exit 1); unlock asks, --yes releases it, and the play runs', async () => {
    expect((await run(['unlock', 'demo'])).stdout).toMatch(/demo-local is not locked/);
    // Another run that is alive holds the lock.
    holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { stdio: 'ignore' });
    const lock = new FileLock(join(state, 'locks'), 'demo-local');
    await lock.acquire({ ...newHolder('helix play demo'), pid: holder.pid! }, { waitMs: 0, ttlSeconds: 600, onLost: () => {} });
    const refused = await run(['play', 'demo']);
    expect(refused.code, refused.out).toBe(1);
    expect(refused.out).toMatch(new RegExp(`demo-local is locked by .* pid ${holder.pid}`));
    const ask = await run(['unlock', 'demo']);
    expect(ask.code, ask.out).toBe(2);
    expect(ask.stdout).toMatch(new RegExp(`demo-local is held by .* pid ${holder.pid}`));
    expect(ask.stderr).toMatch(/refusing to unlock without confirmation: pass --yes/);
    const yes = await run(['unlock', 'demo', '--yes']);
    expect(yes.code, yes.out).toBe(0);
    expect(yes.stdout).toMatch(/released demo-local/);
    expect(await lock.read()).toBeUndefined();
    expect((await run(['play', 'demo'])).code).toBe(0);
  });

  it.each([
    [['play', 'nosuch'], {}, /unknown component "nosuch"/],
    [['play', 'demo', '--env', 'nosuch'], {}, /nosuch/],
    [['play', 'demo', '--bogus'], {}, /unknown option '--bogus'/],
    [['play', 'demo', '--wait-lock', 'soon'], {}, /not a duration: "soon"/],
    [['play', 'demo'], { DEMO_TOKEN: undefined }, /secret from environment variable DEMO_TOKEN is not set/],
  ] as const)('bad input %j is exit 2, before any change', async (args, extra, re) => {
    const before = (await run(['history', 'demo', '--json'])).stdout;
    const r = await run([...args], extra);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(re);
    expect((await run(['history', 'demo', '--json'])).stdout).toBe(before);
  });
});
