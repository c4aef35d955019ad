import { helmOk, type HelmCli } from './cli.ts';

/** A deployed release, as helm records it. */
export interface ReleaseFacts {
  name: string;
  namespace: string;
  revision: number;
  /** `deployed`, `failed`, `pending-install`, `pending-upgrade`, `superseded`, … */
  status: string;
  /** `name-version` as helm lists it (`devtron-operator-0.23.3`). */
  chart: string;
  appVersion: string;
}

interface ListEntry {
  name: string;
  namespace: string;
  revision: string;
  status: string;
  chart: string;
  app_version: string;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The release `name` in `namespace` (any status), or undefined when helm has none. */
export async function readRelease(cli: HelmCli, name: string, namespace: string, signal?: AbortSignal): Promise<ReleaseFacts | undefined> {
  const out = await helmOk(
    cli,
    ['list', '--namespace', namespace, '--all', '--filter', `^${escapeRegex(name)}$`, '--output', 'json'],
    `helm list in ${namespace}`,
    signal,
  );
  const entries = (JSON.parse(out || '[]') as ListEntry[] | null) ?? [];
  const e = entries.find((x) => x.name === name);
  if (!e) return undefined;
  return {
    name: e.name,
    namespace: e.namespace,
    revision: Number(e.revision),
    status: e.status,
    chart: e.chart,
    appVersion: e.app_version,
  };
}

/** The user-supplied values of the deployed release (`helm get values -o json`); `{}` when none. */
export async function readReleaseValues(cli: HelmCli, name: string, namespace: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
  const out = await helmOk(cli, ['get', 'values', name, '--namespace', namespace, '--output', 'json'], `helm get values ${namespace}/${name}`, signal);
  const parsed = JSON.parse(out.trim() || 'null') as Record<string, unknown> | null;
  return parsed ?? {};
}

/** The rendered manifest of the deployed release, without hooks (`helm get manifest`). */
export async function readReleaseManifest(cli: HelmCli, name: string, namespace: string, signal?: AbortSignal): Promise<string> {
  return helmOk(cli, ['get', 'manifest', name, '--namespace', namespace], `helm get manifest ${namespace}/${name}`, signal);
}
