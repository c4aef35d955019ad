import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installTofu, tofu, type TofuResult } from '../../../src/modules/opentofu/index.ts';
import { type S3Server, startS3Server } from '../../../src/sandbox/seaweedfs.ts';
import { helix } from '../cli/run.ts';

/**
 * OpenTofu's S3 backend against a real S3 server (SeaweedFS on 127.0.0.1, both built from the
 * Go module proxy and cached), on the sandbox stacks of playbooks/platform/terraform/envs/sandbox:
 * the lock file (`use_lockfile`) refuses a second plan while a first holds it, a stale stack
 * makes `tofu plan -detailed-exitcode` exit 2, and `helix verify platform` reports that drift.
 * No cluster, no sandbox (decision 051).
 */

const root = fileURLToPath(new URL('../../..', import.meta.url));
const STACKS = join(root, 'playbooks/platform/terraform/envs/sandbox');
const NETWORK = join(STACKS, 'network');
const PLATFORM = join(STACKS, 'platform');
const TITLE = 'Terraform state matches its configuration (tofu plan: no changes)';

let bin = '';
let s3: S3Server;
const scratch = mkdtempSync(join(tmpdir(), 'helix-tofu-test-'));

/** `tofu <args>` in a stack's folder as a user runs it, its working data (`.terraform`) kept in the scratch folder. */
function tf(dir: string, args: string[]): Promise<TofuResult> {
  return tofu(args, { dir, tofu: bin, env: { ...s3.env, TF_DATA_DIR: join(scratch, dir === NETWORK ? 'network' : 'platform') }, timeoutMs: 240_000 });
}

/** `tofu plan -detailed-exitcode` of the platform stack, failing at once on a held lock. */
const detailedPlan = (): Promise<TofuResult> => tf(PLATFORM, ['plan', '-detailed-exitcode', '-input=false', '-no-color', '-lock-timeout=0s']);

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** helix's environment as a CI job's: the backend's address and credentials, and the tofu build. */
const verifyEnv = (): NodeJS.ProcessEnv => ({ ...s3.env, HELIX_TOFU: bin });

// A user's project: helix's playbooks, and the prod inventory with the sandbox platform stack to plan.
const project = mkdtempSync(join(tmpdir(), 'helix-cli-tofu-'));
beforeAll(() => {
  symlinkSync(join(root, 'playbooks'), join(project, 'playbooks'));
  mkdirSync(join(project, 'inventory'));
  const prod = readFileSync(join(root, 'inventory/prod.yaml'), 'utf8');
  const inventory = prod.replace(/^( +)ci_policy: (.*)$/m, '$1ci_policy: $2\n$1plan:\n$1  dir: ../playbooks/platform/terraform/envs/sandbox/platform');
  expect(inventory).toContain('plan:\n');
  writeFileSync(join(project, 'inventory/prod.yaml'), inventory);
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

// tofu and weed are built from the Go module proxy when not cached (startS3Server builds weed).
beforeAll(async () => {
  bin = await installTofu();
  s3 = await startS3Server();
  for (const dir of [NETWORK, PLATFORM]) {
    const init = await tf(dir, ['init', '-input=false', '-no-color']);
    expect(init.code, init.output).toBe(0);
    expect(init.output).toMatch(/Successfully configured the backend "s3"/);
    const apply = await tf(dir, ['apply', '-auto-approve', '-input=false', '-no-color']);
    expect(apply.code, apply.output).toBe(0);
  }
}, 3_600_000);

afterAll(async () => {
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface Prompting {
  output(): string;
  /** Answers the prompt; resolves with the plan's exit code. */
  answer(value: string): Promise<number | null>;
  kill(): void;
}

/**
 * A first plan holding the lock: an interactive run of a copy of the platform stack (its
 * backend.tf passed through `backend`) waiting at the prompt for a variable only the copy has,
 * as a plan left in someone's terminal does. OpenTofu asks for unset variables after it took
 * the state lock, so the lock file stays in the bucket until the prompt is answered.
 */
async function promptingPlan(name: string, backend: (text: string) => string): Promise<Prompting> {
  const dir = join(scratch, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'backend.tf'), backend(readFileSync(join(PLATFORM, 'backend.tf'), 'utf8')));
  writeFileSync(join(dir, 'main.tf'), readFileSync(join(PLATFORM, 'main.tf')));
  writeFileSync(join(dir, 'prompt.tf'), 'variable "change_ticket" {\n  type = string\n}\n');
  const env = { ...process.env, ...s3.env, TF_DATA_DIR: join(scratch, `${name}-data`) };
  const init = await tofu(['init', '-input=false', '-no-color'], { dir, tofu: bin, env });
  expect(init.code, init.output).toBe(0);
  const child: ChildProcess = spawn(bin, ['plan', '-input=true', '-no-color'], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 120_000;
  while (!/Enter a value:/.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the first plan did not reach its prompt:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    output: () => out,
    answer: (value) => {
      child.stdin!.end(`${value}\n`);
      return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
    },
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

describe('OpenTofu state on SeaweedFS S3 with use_lockfile', () => {
  it("the platform stack's state in the bucket holds its two addresses, and a fresh plan is empty (exit 0)", async () => {
    const list = await tf(PLATFORM, ['state', 'list']);
    expect(list.code, list.output).toBe(0);
    // Only the addresses: a CLI configuration warning may share stdout.
    expect(list.stdout.split('\n').filter((l) => /^[\w.]+$/.test(l))).toEqual(['data.terraform_remote_state.network', 'terraform_data.network_contract']);
    expect((await detailedPlan()).code).toBe(0);
  });

  describe('a second concurrent plan is refused by the lock', () => {
    let first: Prompting;

    beforeAll(async () => {
      first = await promptingPlan('prompting', (backend) => backend);
    }, 180_000);

    afterAll(() => first?.kill());

    it('tofu plan exits 1 with "Error acquiring the state lock", naming the first plan as the holder', async () => {
      const second = await detailedPlan();
      expect(second.code, second.output).toBe(1);
      expect(second.output).toMatch(/Error acquiring the state lock/);
      // The lock file's conditional PUT (If-None-Match: *), refused by SeaweedFS: the object exists.
      expect(second.output).toMatch(/PutObject[\s\S]*StatusCode: 412[\s\S]*PreconditionFailed/);
      expect(second.output).toMatch(/Path:\s+helix-platform-tfstate\/platform\/sandbox\/terraform\.tfstate/);
      expect(second.output).toMatch(/Operation:\s+OperationTypePlan/);
    });

    it('helix verify platform says the drift was not checked, naming the lock (WARN)', async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project, env: verifyEnv() });
      expect(r.stdout).toMatch(
        new RegExp(
          `WARN\\s+${esc(TITLE)}\\n\\s+tofu plan: the state of .*envs/sandbox/platform is locked .*for OperationTypePlan \\(lock ID [0-9a-f-]+\\): drift not checked`,
        ),
      );
    });

    it('once the first plan has its answer and ends, the same plan runs (the refusal was the lock)', async () => {
      const code = await first.answer('CHG-1');
      expect(code, first.output()).toBe(0);
      const again = await detailedPlan();
      expect(again.code, again.output).toBe(0);
    });
  });

  it("the refusal is use_lockfile's: with use_lockfile = false the same second plan runs beside a waiting first one", async () => {
    const unlocked = await promptingPlan('prompting-unlocked', (backend) => backend.replace('use_lockfile = true', 'use_lockfile = false'));
    try {
      const dir = join(scratch, 'prompting-unlocked');
      const second = await tofu(['plan', '-detailed-exitcode', '-input=false', '-no-color', '-lock-timeout=0s', '-var', 'change_ticket=CHG-2'], {
        dir,
        tofu: bin,
        env: { ...s3.env, TF_DATA_DIR: join(scratch, 'prompting-unlocked-data') },
      });
      expect(second.code, second.output).toBe(0);
    } finally {
      unlocked.kill();
    }
  }, 180_000);

  describe('drift: the network stack changes, the platform stack is stale', () => {
    it('without drift: helix verify platform PASSes the plan check (exit 0)', async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project, env: verifyEnv() });
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`PASS\\s+${esc(TITLE)}\\n\\s+tofu plan -detailed-exitcode: exit 0, no changes in .*envs/sandbox/platform`));
    });

    it('after the network is applied with another pod range, tofu plan -detailed-exitcode exits 2', async () => {
      const apply = await tf(NETWORK, ['apply', '-auto-approve', '-input=false', '-no-color', '-var', 'pod_cidr=10.213.99.0/24']);
      expect(apply.code, apply.output).toBe(0);
      const p = await detailedPlan();
      expect(p.code, p.output).toBe(2);
      expect(p.output).toMatch(/terraform_data\.network_contract will be updated in-place/);
      expect(p.output).toMatch(/"10\.213\.9\.0\/24" -> "10\.213\.99\.0\/24"/);
    });

    it('helix verify platform FAILs (exit 1) naming the stale resource and attribute', async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project, env: verifyEnv() });
      expect(r.code, r.out).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `FAIL\\s+${esc(TITLE)}\\n\\s+tofu plan -detailed-exitcode: exit 2, drift in .*envs/sandbox/platform: terraform_data\\.network_contract: update \\(input\\)`,
        ),
      );
      expect(r.stdout).toMatch(/^FAIL\s+\d+ pass, \d+ warn, 1 fail$/m);
    });

    it('the static HCL checks still run and pass beside it', async () => {
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project, env: verifyEnv() });
      for (const title of [
        'native S3 state locking',
        'state encrypted with a customer KMS key',
        'no Kubernetes payloads in Terraform \\(002 hard boundary\\)',
      ]) {
        expect(r.stdout).toMatch(new RegExp(`PASS\\s+${title}\\n`));
      }
    });

    it('once the platform stack is applied, the plan is empty again and verify PASSes', async () => {
      const apply = await tf(PLATFORM, ['apply', '-auto-approve', '-input=false', '-no-color']);
      expect(apply.code, apply.output).toBe(0);
      expect((await detailedPlan()).code).toBe(0);
      const r = await helix(['verify', 'platform', '--env', 'prod', '--static'], { cwd: project, env: verifyEnv() });
      expect(r.code, r.out).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`PASS\\s+${esc(TITLE)}`));
    });
  });
});
