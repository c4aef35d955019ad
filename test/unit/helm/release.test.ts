import { describe, expect, it } from 'vitest';
import { release, uninstall, type HelmValues } from '../../../src/modules/helm/index.ts';
import { Secret } from '../../../src/runtime/secret.ts';
import { FakeHelm, fakeContext, render } from './fake-helm.ts';

type Row = {
  name: string;
  /** State before planning: a deployed release, or none. */
  deployed?: { values: Record<string, unknown> | null; status?: string; chart?: string; manifest?: string };
  chartVersion?: string;
  values: HelmValues;
  expect: { action?: 'create' | 'update'; summary?: RegExp; reason?: RegExp };
};

const rows: Row[] = [
  { name: 'not installed: create', values: { greeting: 'hi' }, expect: { action: 'create', summary: /install demo-0\.1\.0 \(2 objects\)/ } },
  {
    name: 'second run plans nothing',
    deployed: { values: { greeting: 'hi' } },
    values: { greeting: 'hi' },
    expect: { reason: /release apps\/web \(demo-0\.1\.0, revision 1\) already matches/ },
  },
  {
    name: 'no values on either side plans nothing',
    deployed: { values: null },
    values: {},
    expect: { reason: /already matches/ },
  },
  {
    name: 'a changed value plans an upgrade naming the path',
    deployed: { values: { greeting: 'hi' } },
    values: { greeting: 'bye' },
    expect: { action: 'update', summary: /values changed: greeting; objects: ~ConfigMap\/apps\/web-config/ },
  },
  {
    name: 'a new chart version plans an upgrade',
    deployed: { values: { greeting: 'hi' } },
    chartVersion: '0.2.0',
    values: { greeting: 'hi' },
    expect: { action: 'update', summary: /chart demo-0\.1\.0 -> demo-0\.2\.0/ },
  },
  {
    name: 'a failed release is upgraded',
    deployed: { values: { greeting: 'hi' }, status: 'failed' },
    values: { greeting: 'hi' },
    expect: { action: 'update', summary: /release is failed/ },
  },
  {
    name: 'a locally edited chart (same version, same values) plans an upgrade',
    deployed: { values: { greeting: 'hi' }, manifest: render('web', 'apps', { greeting: 'hi', replicas: 3 }, '0.1.0') },
    values: { greeting: 'hi' },
    expect: { action: 'update', summary: /objects: ~Deployment\/apps\/web/ },
  },
];

describe('helm.release planning', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const helm = new FakeHelm();
      if (row.deployed) {
        const v = row.deployed.values ?? {};
        helm.releases.set('apps/web', {
          name: 'web',
          namespace: 'apps',
          revision: 1,
          status: row.deployed.status ?? 'deployed',
          chart: row.deployed.chart ?? 'demo-0.1.0',
          values: row.deployed.values,
          manifest: row.deployed.manifest ?? render('web', 'apps', v, '0.1.0'),
        });
      }
      if (row.chartVersion) helm.chartVersion = row.chartVersion;
      const task = release('web', { chart: '/charts/demo', namespace: 'apps', values: row.values, cli: helm });
      const plan = await task.plan(fakeContext());
      if (row.expect.reason) {
        expect(plan.changes).toEqual([]);
        expect('reason' in plan && plan.reason).toMatch(row.expect.reason);
        return;
      }
      expect(plan.changes).toHaveLength(1);
      expect(plan.changes[0]!.target).toBe('helm:apps/web');
      expect(plan.changes[0]!.action).toBe(row.expect.action);
      expect(plan.changes[0]!.summary).toMatch(row.expect.summary!);
    });
  }

  it('applies with upgrade --install, then plans nothing', async () => {
    const helm = new FakeHelm();
    const task = release('web', { chart: '/charts/demo', namespace: 'apps', values: { greeting: 'hi' }, createNamespace: true, cli: helm });
    const plan = await task.plan(fakeContext());
    expect('apply' in plan).toBe(true);
    const result = 'apply' in plan ? await plan.apply() : undefined;
    expect(result).toEqual({ name: 'web', namespace: 'apps', revision: 1, status: 'deployed', chart: 'demo-0.1.0' });
    const upgrade = helm.calls.find((c) => c[0] === 'upgrade')!;
    expect(upgrade.slice(0, 4)).toEqual(['upgrade', '--install', 'web', '/charts/demo']);
    expect(upgrade).toContain('--create-namespace');
    const again = await task.plan(fakeContext());
    expect(again.changes).toEqual([]);
  });

  it('passes secrets only through a 0600 values file, never argv, and masks them in the diff', async () => {
    const helm = new FakeHelm();
    const password = new Secret('s3cr3t-pass-value');
    const task = release('web', { chart: '/charts/demo', namespace: 'apps', values: { greeting: 'hi', password }, cli: helm });
    const plan = await task.plan(fakeContext());
    expect(JSON.stringify(plan.changes)).not.toContain('s3cr3t-pass-value');
    if ('apply' in plan) await plan.apply();
    expect(helm.calls.flat().join(' ')).not.toContain('s3cr3t-pass-value');
    expect(helm.valuesFileModes.every((m) => m === 0o600)).toBe(true);
    expect(helm.releases.get('apps/web')!.values).toEqual({ greeting: 'hi', password: 's3cr3t-pass-value' });
    // The deployed values hold the revealed secret: equal to the wish, so nothing to do.
    expect((await task.plan(fakeContext())).changes).toEqual([]);
    // A changed secret plans an update whose summary names the path, not the value.
    const changed = release('web', {
      chart: '/charts/demo',
      namespace: 'apps',
      values: { greeting: 'hi', password: new Secret('another-pass-value') },
      cli: helm,
    });
    const p2 = await changed.plan(fakeContext());
    expect(p2.changes[0]!.summary).toMatch(/values changed: password/);
    expect(JSON.stringify(p2.changes)).not.toMatch(/another-pass-value|s3cr3t-pass-value/);
  });

  it('renders an installed release as an upgrade against the server (lookup sees live objects)', async () => {
    const helm = new FakeHelm();
    const task = release('web', { chart: '/charts/demo', namespace: 'apps', values: {}, cli: helm });
    const p = await task.plan(fakeContext());
    if ('apply' in p) await p.apply();
    helm.calls = [];
    await task.plan(fakeContext());
    const template = helm.calls.find((c) => c[0] === 'template')!;
    expect(template).toEqual(expect.arrayContaining(['--no-hooks', '--skip-tests', '--is-upgrade', '--dry-run=server']));
  });
});

describe('helm.uninstall planning', () => {
  it('deletes an installed release; plans nothing when it is gone', async () => {
    const helm = new FakeHelm();
    const install = release('web', { chart: '/charts/demo', namespace: 'apps', cli: helm });
    const p = await install.plan(fakeContext());
    if ('apply' in p) await p.apply();
    const task = uninstall('web', { namespace: 'apps', cli: helm });
    const plan = await task.plan(fakeContext());
    expect(plan.changes).toEqual([{ target: 'helm:apps/web', action: 'delete', summary: 'uninstall demo-0.1.0 (revision 1)' }]);
    if ('apply' in plan) await plan.apply();
    expect((await task.plan(fakeContext())).changes).toEqual([]);
  });
});
