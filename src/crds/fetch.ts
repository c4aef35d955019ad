import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { TargetError } from '../runtime/errors.ts';
import { cacheDir } from '../runtime/paths.ts';
import type { CrdSource } from './sources.ts';

export interface CrdObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: unknown };
  spec: Record<string, unknown>;
}

/** The CustomResourceDefinitions in a YAML stream, without status and server-owned metadata. */
export function parseCrds(text: string): CrdObject[] {
  const out: CrdObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    const o = doc.toJS() as Record<string, unknown> | null;
    if (o?.kind !== 'CustomResourceDefinition') continue;
    const meta = { ...(o.metadata as Record<string, unknown>) };
    delete meta.creationTimestamp;
    out.push({
      apiVersion: String(o.apiVersion),
      kind: 'CustomResourceDefinition',
      metadata: meta as CrdObject['metadata'],
      spec: o.spec as Record<string, unknown>,
    });
  }
  return out;
}

/** `cacheDir()/crds/<id>/<version>/`: the CRD files of one source, copied out of the module cache. */
export function crdCacheDir(src: CrdSource): string {
  return join(cacheDir(), 'crds', src.id, src.version);
}

function goModDownload(module: string, version: string, toolchain = 'local'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.env.HELIX_GO ?? 'go',
      ['mod', 'download', '-json', `${module}@${version}`],
      { env: { ...process.env, GOTOOLCHAIN: toolchain, GOFLAGS: '-mod=mod' }, timeout: 15 * 60_000, maxBuffer: 8 << 20, encoding: 'utf8', cwd: cacheDir() },
      (error, stdout, stderr) => {
        let info: { Dir?: string; Error?: string } = {};
        try {
          info = JSON.parse(stdout) as typeof info;
        } catch {
          /* reported below */
        }
        if (info.Dir && !info.Error) return resolve(info.Dir);
        reject(new TargetError(`go module ${module}@${version}`, info.Error ?? (error?.message ?? stderr).split('\n')[0]!));
      },
    );
  });
}

/** The files a source's paths name inside the module folder. */
export function selectFiles(moduleDir: string, src: CrdSource): string[] {
  const files: string[] = [];
  for (const p of src.paths) {
    const full = join(moduleDir, p);
    if (p.endsWith('/')) {
      for (const f of readdirSync(full).sort()) {
        if (/\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && statSync(join(full, f)).isFile()) files.push(join(full, f));
      }
    } else files.push(full);
  }
  return files;
}

/**
 * The CRDs of a source, fetched once: `go mod download` (the Go module cache keeps the
 * module), then the CRDs are parsed and kept as JSON in {@link crdCacheDir}, so later runs
 * need neither Go nor a slow YAML parse of 14 MB of schemas.
 */
export async function fetchCrds(src: CrdSource, log: (line: string) => void = () => {}): Promise<CrdObject[]> {
  const dir = crdCacheDir(src);
  const cached = join(dir, 'crds.json');
  if (existsSync(cached)) return JSON.parse(readFileSync(cached, 'utf8')) as CrdObject[];
  mkdirSync(cacheDir(), { recursive: true });
  log(`downloading ${src.module}@${src.version} from the Go module proxy`);
  const moduleDir = await goModDownload(src.module, src.version, src.toolchain);
  const files = selectFiles(moduleDir, src);
  const crds = files.flatMap((f) => parseCrds(readFileSync(f, 'utf8')));
  if (crds.length === 0) throw new TargetError(`go module ${src.module}@${src.version}`, `no CRDs under ${src.paths.join(', ')}`);
  mkdirSync(dir, { recursive: true });
  const tmp = `${cached}.tmp`;
  writeFileSync(tmp, JSON.stringify(crds));
  writeFileSync(join(dir, 'sources.txt'), `${src.module}@${src.version}\n${files.map((f) => f.slice(moduleDir.length + 1)).join('\n')}\n`);
  renameSync(tmp, cached);
  return crds;
}
