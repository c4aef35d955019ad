import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Env, Secret } from '../../../src/index.ts';
import component from '../../../playbooks/40_thinkube/core/devpi/component.ts';
import { buildConfigHash, builtImageTag } from '../../../playbooks/40_thinkube/core/devpi/build.ts';
import type { DevpiVars } from '../../../playbooks/40_thinkube/core/devpi/component.ts';
import { buildWorkflowManifest } from '../../../playbooks/40_thinkube/core/devpi/60_build_workflow.ts';
import { devpiFiles } from '../../../playbooks/40_thinkube/core/devpi/manifests.ts';
import { RECORD_REWRITE, rebuildManifests } from '../../../playbooks/40_thinkube/core/devpi/rebuild.ts';

const base = {
  domain_name: 'example.com',
  devpi_root_password: new Secret('root-pw-value'),
  keycloak_url: 'https://auth.example.com/',
  keycloak_admin_user: 'admin',
  keycloak_admin_password: new Secret('kc-pw-value'),
  harbor_registry: 'registry.example.com',
  devpi_image: 'registry.example.com/thinkube/devpi:6.20.3',
  git_remote_base: 'ssh://git@git.example.com/srv/git',
};

describe('devpi variables', () => {
  const table: { name: string; vars: Record<string, unknown>; problem?: string; check?: (v: any) => void }[] = [
    {
      name: 'defaults derive the hosts and the deployment repo',
      vars: base,
      check: (v) => {
        expect(v.devpi_dashboard_hostname).toBe('packages.example.com');
        expect(v.devpi_api_hostname).toBe('packages-api.example.com');
        expect(v.keycloak_url).toBe('https://auth.example.com');
        expect(v.deploy.repo_url).toBe('ssh://git@git.example.com/srv/git/devpi-deployment.git');
        expect(v.keycloak_validate_certs).toBe(true);
      },
    },
    { name: 'a secret given as plain text is refused', vars: { ...base, devpi_root_password: 'plain' }, problem: 'devpi_root_password' },
    { name: 'a bad domain is refused', vars: { ...base, domain_name: 'Not A Domain' }, problem: 'domain_name' },
    { name: 'the build needs a GitHub token', vars: { ...base, build: { enabled: true } }, problem: 'github_token' },
    { name: 'robot credentials come as a pair', vars: { ...base, harbor_robot_user: 'robot' }, problem: 'harbor_robot_token' },
    {
      name: 'the build source defaults to GitHub, or to the repository under git_remote_base',
      vars: { ...base, git_remote_base: undefined, deploy: { mode: 'direct' } },
      check: (v) => expect(v.build.source_repo_url).toBe('git@github.com:thinkube/thinkube-devpi.git'),
    },
    {
      name: 'the build source under git_remote_base',
      vars: base,
      check: (v) => expect(v.build.source_repo_url).toBe('ssh://git@git.example.com/srv/git/thinkube-devpi.git'),
    },
    {
      name: 'placement reaches every pod spec as nodeSelector and tolerations',
      vars: { ...base, placement: { node_selector: { pool: 'tools' }, tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] } },
      check: (v) =>
        expect(v.placement).toEqual({ node_selector: { pool: 'tools' }, tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] }),
    },
    {
      name: 'a toleration with an unknown effect is refused',
      vars: { ...base, placement: { tolerations: [{ key: 'x', effect: 'Sometimes' }] } },
      problem: 'placement.tolerations.0.effect',
    },
    {
      name: 'a pushed source goes to a branch of its own, never the default branch rollback cannot delete',
      vars: { ...base, github_token: new Secret('g-value'), build: { enabled: true, push_source: true, source_revision: 'main' } },
      problem: 'build.source_revision',
    },
    { name: 'argocd mode needs a repository', vars: { ...base, git_remote_base: undefined }, problem: 'deploy.repo_url' },
    {
      name: 'a rebuild schedule is a cron line',
      vars: { ...base, github_token: new Secret('g-value'), deploy: { mode: 'direct' }, build: { enabled: true, rebuild_schedule: 'hourly' } },
      problem: 'build.rebuild_schedule',
    },
    {
      name: 'rebuilds watch a branch others push to, not one helix pushes',
      vars: {
        ...base,
        github_token: new Secret('g-value'),
        deploy: { mode: 'direct' },
        build: { enabled: true, push_source: true, source_revision: 'helix-image', rebuild_schedule: '*/5 * * * *' },
      },
      problem: 'build.rebuild_schedule',
    },
    {
      name: 'rebuilds roll the Deployment out themselves: direct mode only',
      vars: { ...base, github_token: new Secret('g-value'), build: { enabled: true, rebuild_schedule: '*/5 * * * *' } },
      problem: 'build.rebuild_schedule',
    },
    {
      name: 'rebuilds need the build',
      vars: { ...base, deploy: { mode: 'direct' }, build: { rebuild_schedule: '*/5 * * * *' } },
      problem: 'build.rebuild_schedule',
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const r = component.vars.safeParse(row.vars);
      if (row.problem) {
        expect(r.success).toBe(false);
        expect(r.error?.issues.map((i) => i.path.join('.'))).toContain(row.problem);
      } else {
        expect(r.success, JSON.stringify(r.error?.issues)).toBe(true);
        row.check?.(r.data);
      }
    });
  }
  it('the image tag follows the pinned revision and is never latest', () => {
    const v = component.vars.parse({
      ...base,
      harbor_robot_user: 'r',
      harbor_robot_token: new Secret('t-value'),
      github_token: new Secret('g-value'),
      build: { enabled: true, source_revision: 'v0.1.0' },
    });
    expect(builtImageTag(v)).toMatch(/^v0\.1\.0-[0-9a-f]{8}$/);
    expect(builtImageTag(v)).toBe(builtImageTag(v));
    // Build args and the pushed source shape the image: another tag.
    const withArgs = component.vars.parse({
      ...base,
      github_token: new Secret('g-value'),
      build: { enabled: true, source_revision: 'v0.1.0', build_args: { REGISTRY: 'r.example.com' } },
    });
    expect(builtImageTag(withArgs)).not.toBe(builtImageTag(v));
    const pushed = component.vars.parse({
      ...base,
      github_token: new Secret('g-value'),
      build: { enabled: true, source_revision: 'v0.1.0', push_source: true },
    });
    expect(builtImageTag(pushed)).not.toBe(builtImageTag(v));
  });
  it('with automatic rebuilds the tag names the tree the branch points at, read from the repository', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-devpi-src-'));
    try {
      const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
      git('init', '--quiet', '--initial-branch=release');
      writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\n');
      git('add', '.');
      git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '--quiet', '-m', 'source');
      writeFileSync(join(dir, 'key'), 'a private key\n');
      const vars = {
        ...base,
        github_token: new Secret('g-value'),
        git_ssh_key: join(dir, 'key'),
        deploy: { mode: 'direct' },
        build: { enabled: true, source_repo_url: dir, source_revision: 'release', rebuild_schedule: '*/5 * * * *' },
      };
      const v = component.vars.parse(vars);
      expect(builtImageTag(v)).toBe(`release-${git('rev-parse', 'HEAD^{tree}').slice(0, 12)}-${buildConfigHash(v)}`);

      // The rebuild records a new image in the deployment repository by rewriting image
      // references: that must give exactly what helix renders for it, or a play after a
      // rebuild would report the repository changed.
      const env = { vars: v } as unknown as Env<DevpiVars>;
      const [a, b] = ['release-aaaaaaaaaaaa-cfg', 'release-bbbbbbbbbbbb-cfg'].map((t) => devpiFiles(env, `registry.example.com/thinkube/devpi:${t}`));
      expect(Object.keys(a!).length).toBeGreaterThan(1);
      const deploy = join(dir, 'deploy');
      for (const [path, text] of Object.entries(a!)) {
        mkdirSync(dirname(join(deploy, path)), { recursive: true });
        writeFileSync(join(deploy, path), text);
      }
      const image = 'registry.example.com/thinkube/devpi:release-bbbbbbbbbbbb-cfg';
      execFileSync('sh', ['-c', RECORD_REWRITE], {
        cwd: deploy,
        env: { ...process.env, DEPLOY_PATH: v.deploy.path, REGISTRY: 'registry.example.com', REPOSITORY: 'thinkube/devpi', IMAGE: image },
      });
      for (const path of Object.keys(a!)) expect(readFileSync(join(deploy, path), 'utf8'), path).toBe(b![path]);
      expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
      // Its CronWorkflow pushes with git_ssh_key, kept in a Secret beside it (masked).
      const made = rebuildManifests(env, buildWorkflowManifest(env));
      const secret = made.find((m) => m.kind === 'Secret')!;
      expect(secret.metadata!.name).toBe('devpi-rebuild-git');
      expect(JSON.stringify(secret)).not.toContain('a private key');
      const steps = JSON.stringify((made.find((m) => m.kind === 'CronWorkflow')!.spec as { workflowSpec: unknown }).workflowSpec);
      expect(steps).toContain('"name":"record"');
      expect(() => component.vars.parse({ ...vars, git_ssh_key: undefined })).toThrow(/git_ssh_key/);
      const missing = component.vars.parse({ ...vars, build: { ...vars.build, source_revision: 'no-such-branch' } });
      expect(() => builtImageTag(missing)).toThrow(/cannot read branch no-such-branch of .*couldn't find remote ref/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
