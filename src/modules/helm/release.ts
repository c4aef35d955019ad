import { resolve as resolvePath } from 'node:path';
import type { Change } from '../../runtime/change.ts';
import { defineTask, type Input, noChange, resolve, splitOptions, type Task, type TaskContext, type TaskOptions } from '../../runtime/task.ts';
import { helmCli, helmOk, type HelmCli } from './cli.ts';
import { readRelease, readReleaseManifest, readReleaseValues, type ReleaseFacts } from './facts.ts';
import { findHelm } from './install.ts';
import { describeObjects, diffManifests, isEmptyDiff, type ManifestDiff, parseManifests, shortKey } from './manifest.ts';
import { canonical, changedPaths, type HelmValues, maskedValues, revealValues, withValuesFile } from './values.ts';

export interface ReleaseOptions {
  /**
   * The chart: a local folder or archive (`/abs/path`, or `./rel` resolved against the
   * inventory folder), `repo/name` of a repository added with `helm repo add`, an `oci://`
   * reference, or a bare name together with {@link repo}.
   */
  chart: Input<string>;
  /** Chart repository URL (`helm --repo`), so no `helm repo add` state is needed. */
  repo?: string;
  /** Chart version constraint; ignored by helm for local folders. */
  version?: string;
  namespace: string;
  /** Values as a typed object; Secret leaves are revealed only into a 0600 values file. */
  values?: Input<HelmValues>;
  /** `--create-namespace`. @default false */
  createNamespace?: boolean;
  /** `--wait` for the release's resources to become ready. @default false */
  wait?: boolean;
  /** Helm operation timeout (`--timeout`). @default '10m0s' */
  timeout?: string;
  /** `--skip-crds`: do not install the chart's `crds/` folder. @default false */
  skipCrds?: boolean;
  /**
   * Compare the rendered manifests with the deployed ones, besides chart version and values.
   * Catches a changed local chart with an unchanged version. Turn off for charts whose
   * non-hook templates render random data (every run would plan an upgrade). @default true
   */
  compareManifests?: boolean;
  /** The helm binary seam (tests pass a fake). @default the real helm for the environment */
  cli?: HelmCli;
}

/** What a release task reports to later tasks. */
export interface ReleaseResult {
  name: string;
  namespace: string;
  revision: number;
  status: string;
  /** `name-version` of the chart. */
  chart: string;
}

function cliFor(ctx: TaskContext, own: { cli?: HelmCli }): HelmCli {
  return own.cli ?? ctx.memo(`helm.cli:${ctx.env.kubernetes?.kubeconfig ?? ''}:${ctx.env.kubernetes?.context ?? ''}`, () => helmCli(ctx.env.kubernetes));
}

/** A local chart path resolved against the inventory folder; other references unchanged. */
export function chartRef(chart: string, baseDir: string): string {
  if (chart.startsWith('./') || chart.startsWith('../')) return resolvePath(baseDir, chart);
  return chart;
}

function chartArgs(chart: string, o: { repo?: string; version?: string }): string[] {
  const args = [chart];
  if (o.repo) args.push('--repo', o.repo);
  if (o.version) args.push('--version', o.version);
  return args;
}

/** The chart's `name-version` as helm lists it, read from a render's `helm.sh/chart` labels when present. */
function renderedChart(manifests: ReturnType<typeof parseManifests>): string | undefined {
  for (const o of manifests.values()) {
    const labels = ((o.metadata ?? {}) as { labels?: Record<string, string> }).labels;
    if (labels?.['helm.sh/chart']) return labels['helm.sh/chart'];
  }
  return undefined;
}

/** Why a deployed release differs from the wish: one phrase per reason. */
export function releaseDifferences(
  deployed: ReleaseFacts,
  deployedValues: Record<string, unknown>,
  wantedValues: Record<string, unknown>,
  wantedChart: string | undefined,
  manifests: ManifestDiff | undefined,
): string[] {
  const reasons: string[] = [];
  if (deployed.status !== 'deployed') reasons.push(`release is ${deployed.status}`);
  if (wantedChart && wantedChart !== deployed.chart) reasons.push(`chart ${deployed.chart} -> ${wantedChart}`);
  if (canonical(deployedValues) !== canonical(wantedValues)) {
    const paths = changedPaths(deployedValues, wantedValues);
    reasons.push(`values changed: ${paths.slice(0, 6).join(', ')}${paths.length > 6 ? `, +${paths.length - 6} more` : ''}`);
  }
  if (manifests && !isEmptyDiff(manifests)) {
    const parts: string[] = [];
    if (manifests.added.length) parts.push(`+${manifests.added.map(shortKey).join(', +')}`);
    if (manifests.removed.length) parts.push(`-${manifests.removed.map(shortKey).join(', -')}`);
    if (manifests.changed.length) parts.push(`~${manifests.changed.map(shortKey).join(', ~')}`);
    const text = parts.join(' ');
    reasons.push(`objects: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
  }
  return reasons;
}

/**
 * A Helm release, installed or upgraded with `helm upgrade --install`. It plans by comparing
 * the deployed release (status, chart version, user values, manifest without hooks) with the
 * wish (`helm template` of the same chart and values), so a converged release plans nothing.
 */
export function release(name: string, options: ReleaseOptions & TaskOptions<ReleaseResult>): Task<ReleaseResult> {
  const [own, common] = splitOptions(options);
  const target = `helm:${own.namespace}/${name}`;
  return defineTask<ReleaseResult>({
    kind: 'helm.release',
    name,
    options: common,
    validate: (report) => {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 53) report(`release name "${name}" is not a valid helm release name`);
      if (!own.namespace) report('namespace is required');
      if (typeof own.chart === 'string' && !own.chart) report('chart is required');
    },
    preflight: async () => (own.cli || findHelm() ? [] : ['no helm binary found: run `node src/modules/helm/install.ts` or set HELIX_HELM']),
    plan: async (ctx) => {
      const cli = cliFor(ctx, own);
      const chart = chartRef(resolve(own.chart, ctx), ctx.env.inventoryDir);
      const values = own.values ? resolve(own.values, ctx) : {};
      const wanted = revealValues(values);
      const deployed = await readRelease(cli, name, own.namespace, ctx.signal);
      const compare = own.compareManifests !== false;

      const render = (): Promise<string> =>
        withValuesFile(values, (file) =>
          helmOk(
            cli,
            [
              'template',
              name,
              ...chartArgs(chart, own),
              '--namespace',
              own.namespace,
              '--values',
              file,
              '--no-hooks',
              '--skip-tests',
              // A deployed release renders as an upgrade, against the cluster, so `lookup` sees live objects.
              ...(deployed ? ['--is-upgrade', '--dry-run=server'] : []),
            ],
            `helm template ${chart}`,
            ctx.signal,
          ),
        );

      const apply = async (): Promise<ReleaseResult> => {
        await withValuesFile(values, (file) =>
          helmOk(
            cli,
            [
              'upgrade',
              '--install',
              name,
              ...chartArgs(chart, own),
              '--namespace',
              own.namespace,
              '--values',
              file,
              '--history-max',
              '10',
              '--timeout',
              own.timeout ?? '10m0s',
              ...(own.createNamespace ? ['--create-namespace'] : []),
              ...(own.wait ? ['--wait'] : []),
              ...(own.skipCrds ? ['--skip-crds'] : []),
            ],
            `helm upgrade --install ${own.namespace}/${name}`,
            ctx.signal,
          ),
        );
        const now = await readRelease(cli, name, own.namespace, ctx.signal);
        if (!now) throw new Error(`release ${own.namespace}/${name} is missing right after helm installed it`);
        return { name, namespace: own.namespace, revision: now.revision, status: now.status, chart: now.chart };
      };

      if (!deployed) {
        const rendered = parseManifests(await render(), own.namespace);
        const wantedChart = renderedChart(rendered) ?? chart;
        const change: Change = {
          target,
          action: 'create',
          summary: `install ${wantedChart} (${rendered.size} objects)`,
          diff: { before: '', after: `${JSON.stringify(maskedValues(values), null, 2)}\n` },
        };
        return {
          changes: [change],
          apply,
          predicted: { name, namespace: own.namespace, revision: 1, status: 'deployed', chart: wantedChart },
        };
      }

      const deployedValues = await readReleaseValues(cli, name, own.namespace, ctx.signal);
      let manifestDiff: ManifestDiff | undefined;
      let wantedChart: string | undefined;
      let renderedSet: ReturnType<typeof parseManifests> | undefined;
      let liveSet: ReturnType<typeof parseManifests> | undefined;
      if (compare) {
        renderedSet = parseManifests(await render(), own.namespace);
        liveSet = parseManifests(await readReleaseManifest(cli, name, own.namespace, ctx.signal), own.namespace);
        manifestDiff = diffManifests(liveSet, renderedSet);
        wantedChart = renderedChart(renderedSet);
      }
      const reasons = releaseDifferences(deployed, deployedValues, wanted, wantedChart, manifestDiff);
      const result: ReleaseResult = { name, namespace: own.namespace, revision: deployed.revision, status: deployed.status, chart: deployed.chart };
      if (reasons.length === 0) {
        return noChange(`release ${own.namespace}/${name} (${deployed.chart}, revision ${deployed.revision}) already matches`, result);
      }
      const before = [
        `# values\n${JSON.stringify(maskedValues(deployedValues as HelmValues), null, 2)}\n`,
        manifestDiff && liveSet ? describeObjects(liveSet, [...manifestDiff.removed, ...manifestDiff.changed]) : '',
      ].join('');
      const after = [
        `# values\n${JSON.stringify(maskedValues(values), null, 2)}\n`,
        manifestDiff && renderedSet ? describeObjects(renderedSet, [...manifestDiff.added, ...manifestDiff.changed]) : '',
      ].join('');
      return {
        changes: [{ target, action: 'update', summary: `upgrade: ${reasons.join('; ')}`, diff: { before, after } }],
        apply,
        predicted: { ...result, revision: deployed.revision + 1, status: 'deployed', chart: wantedChart ?? deployed.chart },
      };
    },
  });
}

export interface UninstallOptions {
  namespace: string;
  /** `--wait` for the resources to be deleted. @default false */
  wait?: boolean;
  timeout?: string;
  cli?: HelmCli;
}

/** Removes a Helm release (`helm uninstall`); plans nothing when helm has no such release. */
export function uninstall(name: string, options: UninstallOptions & TaskOptions<void>): Task<void> {
  const [own, common] = splitOptions(options);
  const target = `helm:${own.namespace}/${name}`;
  return defineTask<void>({
    kind: 'helm.uninstall',
    name: `uninstall-${name}`,
    options: common,
    preflight: async () => (own.cli || findHelm() ? [] : ['no helm binary found: run `node src/modules/helm/install.ts` or set HELIX_HELM']),
    plan: async (ctx) => {
      const cli = cliFor(ctx, own);
      const deployed = await readRelease(cli, name, own.namespace, ctx.signal);
      if (!deployed) return noChange(`release ${own.namespace}/${name} is not installed`, undefined);
      return {
        changes: [{ target, action: 'delete', summary: `uninstall ${deployed.chart} (revision ${deployed.revision})` }],
        predicted: undefined,
        apply: async () => {
          await helmOk(
            cli,
            ['uninstall', name, '--namespace', own.namespace, '--timeout', own.timeout ?? '10m0s', ...(own.wait ? ['--wait'] : [])],
            `helm uninstall ${own.namespace}/${name}`,
            ctx.signal,
          );
        },
      };
    },
  });
}
