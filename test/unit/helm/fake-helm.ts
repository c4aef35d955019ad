import { readFileSync, statSync } from 'node:fs';
import type { HelmCli, HelmResult } from '../../../src/modules/helm/cli.ts';
import type { TaskContext } from '../../../src/runtime/task.ts';

export interface FakeRelease {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  chart: string;
  values: Record<string, unknown> | null;
  manifest: string;
}

/** Renders a tiny chart from values: a ConfigMap and a Deployment. */
export function render(name: string, ns: string, values: Record<string, unknown>, chartVersion: string): string {
  const greeting = String(values.greeting ?? 'hello');
  const replicas = Number(values.replicas ?? 1);
  return [
    `---\n# Source: demo/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}-config\n  namespace: ${ns}\n  labels:\n    helm.sh/chart: demo-${chartVersion}\ndata:\n  greeting: "${greeting}"\n`,
    `---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  replicas: ${replicas}\n`,
  ].join('');
}

/** An in-memory helm: enough of list / get / template / upgrade / uninstall for the tasks. */
export class FakeHelm implements HelmCli {
  releases = new Map<string, FakeRelease>();
  calls: string[][] = [];
  valuesFileModes: number[] = [];
  chartVersion = '0.1.0';

  async run(args: readonly string[]): Promise<HelmResult> {
    this.calls.push([...args]);
    const ns = args[args.indexOf('--namespace') + 1]!;
    const ok = (stdout: string): HelmResult => ({ code: 0, stdout, stderr: '' });
    const valuesOf = (): Record<string, unknown> => {
      const file = args[args.indexOf('--values') + 1]!;
      this.valuesFileModes.push(statSync(file).mode & 0o777);
      return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    };
    const [cmd, sub] = args;
    if (cmd === 'list') {
      const re = new RegExp(args[args.indexOf('--filter') + 1]!);
      const rows = [...this.releases.values()]
        .filter((r) => r.namespace === ns && re.test(r.name))
        .map((r) => ({ name: r.name, namespace: r.namespace, revision: String(r.revision), status: r.status, chart: r.chart, app_version: '1.0' }));
      return ok(JSON.stringify(rows));
    }
    if (cmd === 'get') {
      const r = this.releases.get(`${ns}/${args[2]}`);
      if (!r) return { code: 1, stdout: '', stderr: 'Error: release: not found' };
      return ok(sub === 'values' ? `${JSON.stringify(r.values)}\n` : r.manifest);
    }
    if (cmd === 'template') return ok(render(args[1]!, ns, valuesOf(), this.chartVersion));
    if (cmd === 'upgrade') {
      const name = args[2]!;
      const values = valuesOf();
      const prev = this.releases.get(`${ns}/${name}`);
      this.releases.set(`${ns}/${name}`, {
        name,
        namespace: ns,
        revision: (prev?.revision ?? 0) + 1,
        status: 'deployed',
        chart: `demo-${this.chartVersion}`,
        values: Object.keys(values).length ? values : null,
        manifest: render(name, ns, values, this.chartVersion),
      });
      return ok('Release has been upgraded.\n');
    }
    if (cmd === 'uninstall') {
      this.releases.delete(`${ns}/${args[1]}`);
      return ok('release uninstalled\n');
    }
    return { code: 1, stdout: '', stderr: `fake helm: unsupported ${args.join(' ')}` };
  }
}

/** A task context for unit tests: no engine, no target. */
export function fakeContext(): TaskContext {
  const memo = new Map<string, unknown>();
  return {
    path: 'test/helm',
    env: { name: 'test', vars: {}, kubernetes: undefined, hosts: {}, groups: {}, provenance: {}, inventoryDir: '/tmp' },
    host: { name: 'localhost', local: true, vars: {} },
    signal: new AbortController().signal,
    result: () => {
      throw new Error('no results in unit tests');
    },
    memo: <T>(key: string, make: () => T): T => {
      if (!memo.has(key)) memo.set(key, make());
      return memo.get(key) as T;
    },
    plannedCreate: () => false,
    log: () => {},
  };
}
