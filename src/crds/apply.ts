import { createHash } from 'node:crypto';
import { TargetError } from '../runtime/errors.ts';
import { fetchCrds } from './fetch.ts';
import { type RawKube, rawKube } from './kube.ts';
import { CRD_SETS, CRD_SOURCES, type CrdSet } from './sources.ts';

export interface CrdReport {
  created: string[];
  updated: string[];
  unchanged: string[];
}

export interface EnsureCrdsOptions {
  context?: string;
  log?: (line: string) => void;
  /** How long to wait for each CRD to be Established. @default 60000 */
  timeoutMs?: number;
}

const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
/** Which module and version a CRD came from, and a digest of what was applied (skips unchanged ones cheaply). */
export const SOURCE_ANNOTATION = 'helix.dev/crd-source';
export const DIGEST_ANNOTATION = 'helix.dev/crd-digest';

function established(body: Record<string, unknown>): boolean {
  const conditions = (body.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? [];
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

function resourceVersion(body: Record<string, unknown>): string | undefined {
  return (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
}

/**
 * Installs (server-side apply, field manager `helix-crds`) the upstream CRDs of the given
 * projects and waits until each is Established. Idempotent: an unchanged CRD keeps its
 * resourceVersion and is reported as unchanged. CRDs are never deleted here.
 */
export async function ensureUpstreamCrds(kubeconfig: string, which: readonly CrdSet[] = CRD_SETS, opts: EnsureCrdsOptions = {}): Promise<CrdReport> {
  const kube = rawKube(kubeconfig, opts.context);
  const report: CrdReport = { created: [], updated: [], unchanged: [] };
  const log = opts.log ?? (() => {});
  // One metadata-only list tells which CRDs already carry the digest of what we would apply.
  const list = await kube.request('GET', CRD_PATH, undefined, undefined, 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1');
  if (list.status !== 200) throw new TargetError('crds', `cannot list CRDs (HTTP ${list.status}): ${String(list.body.message)}`);
  const liveDigests = new Map<string, string | undefined>();
  for (const item of (list.body.items ?? []) as { metadata: { name: string; annotations?: Record<string, string> } }[]) {
    liveDigests.set(item.metadata.name, item.metadata.annotations?.[DIGEST_ANNOTATION]);
  }
  for (const id of which) {
    const src = CRD_SOURCES[id];
    if (!src) throw new TargetError('crds', `unknown CRD set "${String(id)}" (known: ${CRD_SETS.join(', ')})`);
    const crds = await fetchCrds(src, log);
    for (const crd of crds) {
      const path = `${CRD_PATH}/${encodeURIComponent(crd.metadata.name)}`;
      const digest = createHash('sha256').update(JSON.stringify(crd)).digest('hex').slice(0, 32);
      if (liveDigests.get(crd.metadata.name) === digest) {
        report.unchanged.push(crd.metadata.name);
        continue;
      }
      const read = await kube.request('GET', path);
      if (read.status !== 200 && read.status !== 404)
        throw new TargetError(`crd ${crd.metadata.name}`, `read failed (HTTP ${read.status}): ${String(read.body.message)}`);
      const before = read.status === 200 ? resourceVersion(read.body) : undefined;
      const meta = crd.metadata as { annotations?: Record<string, string> };
      const body = {
        ...crd,
        metadata: { ...crd.metadata, annotations: { ...meta.annotations, [SOURCE_ANNOTATION]: `${src.module}@${src.version}`, [DIGEST_ANNOTATION]: digest } },
      };
      const applied = await kube.request('PATCH', `${path}?fieldManager=helix-crds&force=true`, body, 'application/apply-patch+yaml');
      if (applied.status >= 300) {
        throw new TargetError(`crd ${crd.metadata.name}`, `server-side apply failed (HTTP ${applied.status}): ${String(applied.body.message).slice(0, 500)}`);
      }
      const after = resourceVersion(applied.body);
      if (before === undefined) report.created.push(crd.metadata.name);
      else if (before !== after) report.updated.push(crd.metadata.name);
      else report.unchanged.push(crd.metadata.name);
      await waitEstablished(kube, path, crd.metadata.name, opts.timeoutMs ?? 60_000);
    }
    log(`${id} ${src.version}: ${crds.length} CRDs (${src.provides})`);
  }
  return report;
}

async function waitEstablished(kube: RawKube, path: string, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await kube.request('GET', path);
    if (established(body)) return;
    if (Date.now() > deadline) throw new TargetError(`crd ${name}`, `not Established after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
