import { describe, expect, it } from 'vitest';
import devpiComponent from '../../../playbooks/40_thinkube/core/devpi/component.ts';
import devpiRollback from '../../../playbooks/40_thinkube/core/devpi/89_rollback_devpi.ts';
import platformComponent from '../../../playbooks/platform/component.ts';
import platformRollback from '../../../playbooks/platform/89_rollback.ts';
import { Command } from 'commander';
import { registerCommands } from '../../../src/cli/commands.ts';
import type { Env, Playbook, Step } from '../../../src/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';

/** The names of the tasks a playbook builds, groups walked through. */
function taskNames(steps: readonly Step[]): string[] {
  return steps.flatMap((s) => (s.type === 'task' ? [s.name] : taskNames([...s.steps, ...(s.rescue ?? []), ...(s.always ?? [])])));
}

function rollbackTasks<V>(playbook: Playbook<V>, vars: V): string[] {
  const env = { name: 'test', vars, kubernetes: undefined, tlsInsecure: [], hosts: {}, groups: {}, provenance: {}, inventoryDir: '/tmp' } as unknown as Env<V>;
  return taskNames(playbook.build(env).tasks);
}

const devpiVars = {
  domain_name: 'example.com',
  devpi_root_password: new Secret('root-pw-value'),
  keycloak_url: 'https://auth.example.com/',
  keycloak_admin_user: 'admin',
  keycloak_admin_password: new Secret('kc-pw-value'),
  harbor_registry: 'registry.example.com',
  devpi_image: 'registry.example.com/thinkube/devpi:6.20.3',
  git_remote_base: 'ssh://git@git.example.com/srv/git',
  devpi_storage_host_path: '/srv/devpi',
};

const platformVars = {
  terraform: { dir: 'tf' },
  identity: { issuer: 'https://auth.example.com/application/o/devtron/', client_id: 'devtron', client_secret: 'identity.client_secret' },
  secrets: { sops_file: 'x.enc.yaml' },
  devtron: { hostname: 'devtron.example.com' },
  kyverno: { image_references: ['ghcr.io/acme/*'], subject: 'https://github.com/acme/app/.github/workflows/build.yml@refs/heads/main' },
  argocd: { repo_url: 'https://github.com/acme/gitops.git' },
};

/** One data policy for every component's rollback: the data stays unless purge_data (`--purge-data`). */
describe('rollback data policy', () => {
  const rows = [
    {
      component: 'devpi',
      tasks: (purge?: boolean) =>
        rollbackTasks(devpiRollback, devpiComponent.vars.parse({ ...devpiVars, ...(purge === undefined ? {} : { purge_data: purge }) })),
      data: ['pvc', 'volume', 'namespace'],
      alwaysRemoved: ['devpi', 'redis', 'oauth2-proxy'],
    },
    {
      component: 'platform',
      tasks: (purge?: boolean) =>
        rollbackTasks(platformRollback, platformComponent.vars.parse({ ...platformVars, ...(purge === undefined ? {} : { purge_data: purge }) })),
      data: ['cluster', 'database-superuser-secret', 'namespace-platform', 'drop-orchestrator'],
      alwaysRemoved: ['pooler', 'dashboard-route', 'namespace-devtroncd'],
    },
  ];
  for (const row of rows) {
    it(`${row.component}: a rollback keeps the data by default and removes it with purge_data`, () => {
      const kept = row.tasks();
      for (const t of row.alwaysRemoved) expect(kept).toContain(t);
      const purged = row.tasks(true);
      for (const t of row.data) expect(purged).toContain(t);
      // The database drops are tasks guarded by `when` (they report "skipped"); the rest is not built at all.
      expect(kept.filter((t) => row.data.includes(t) && t !== 'drop-orchestrator')).toEqual([]);
      expect(row.tasks(false)).toEqual(kept);
    });
  }

  it('--help says what --purge-data deletes and that rollback keeps it otherwise', () => {
    const program = new Command('helix');
    registerCommands(program);
    const help = program.commands
      .find((c) => c.name() === 'rollback')!
      .helpInformation()
      .replace(/\s+/g, ' ');
    expect(help).toContain('keeps the data unless --purge-data');
    expect(help).toContain("--purge-data also delete the component's data (volumes, PersistentVolumeClaims, databases), which a rollback keeps by default");
    expect(program.commands.find((c) => c.name() === 'play')!.helpInformation()).not.toContain('--purge-data');
  });
});
