import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeIfChanged } from '../host.ts';
import { type Component, type Ctx, ensureProcess, processesAlive, saveCtx } from '../component.ts';
import { httpOk } from '../http.ts';
import { BASE_IMAGES, buildImage, type ImageSpec, imageInRegistry, imageRef, pushImage } from '../images.ts';
import { Pki } from '../pki.ts';
import { step } from '../progress.ts';
import { run } from '../proc.ts';
import { HOST_NAMES, NET } from '../versions.ts';
import { ensureAddress, requireRoot } from './net.ts';
import { NODE_ROOT } from './node.ts';

/**
 * The sandbox's OCI registry: Debian's `docker-registry` (distribution 2.8) at
 * https://registry.sandbox.test (its own address on the sandbox bridge), serving a
 * certificate from the sandbox CA. It holds the images the node runs, starting with the pause
 * image and a busybox image built on this machine (`src/sandbox/images.ts`).
 */
const REGISTRY_BIN = '/usr/bin/docker-registry';
const dataDir = join(NODE_ROOT, 'registry');
const pki = (ctx: Ctx) => new Pki(join(ctx.dir, 'pki'));
const url = `https://${HOST_NAMES.registry}`;

/** A folder with the sandbox CA as `ca.crt`, the form skopeo and containers' cert dirs take. */
export function registryCertDir(ctx: Ctx): string {
  const dir = join(ctx.dir, 'registry-certs');
  mkdirSync(dir, { recursive: true });
  copyFileSync(pki(ctx).caCert, join(dir, 'ca.crt'));
  return dir;
}

async function healthy(ctx: Ctx): Promise<boolean> {
  return httpOk(`${url}/v2/`, { ca: pki(ctx).caCert });
}

/** Builds (cached by recipe) and pushes each image whose tag the sandbox registry lacks. */
export async function ensureImages(ctx: Ctx, specs: readonly ImageSpec[]): Promise<void> {
  const certs = registryCertDir(ctx);
  for (const spec of specs) {
    const ref = imageRef(spec);
    if (await imageInRegistry(ref, certs)) continue;
    await pushImage(await buildImage(spec), ref, certs);
  }
}

export const registry: Component = {
  name: 'registry',
  description: `OCI registry (Debian docker-registry) at ${url}, TLS from the sandbox CA`,
  deps: ['net'],
  prepare: async () => {},
  start: async (ctx) => {
    requireRoot('registry');
    const p = pki(ctx);
    await p.ensureCa();
    await ensureAddress(ctx, NET.registryIp);
    const serving = await p.issue({ name: 'registry', cn: HOST_NAMES.registry, dns: [HOST_NAMES.registry], ips: [NET.registryIp], usage: 'server' });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const config = join(ctx.dir, 'registry.yaml');
    writeIfChanged(
      config,
      stringify({
        version: 0.1,
        log: { level: 'info', formatter: 'text', accesslog: { disabled: true } },
        storage: { filesystem: { rootdirectory: dataDir }, delete: { enabled: true }, cache: { blobdescriptor: 'inmemory' } },
        http: { addr: `${NET.registryIp}:443`, tls: { certificate: serving.cert, key: serving.key }, headers: { 'X-Content-Type-Options': ['nosniff'] } },
      }),
    );
    await ensureProcess(ctx, {
      component: 'registry',
      proc: 'registry',
      cmd: REGISTRY_BIN,
      args: ['serve', config],
      marker: config,
      healthy: () => healthy(ctx),
      timeoutMs: 60_000,
    });
    await step(ctx.report, 'registry', `build and push ${BASE_IMAGES.map(imageRef).join(', ')} (cached)`, () => ensureImages(ctx, BASE_IMAGES));
    (ctx.state.facts.registry ??= {}).images = BASE_IMAGES.map(imageRef);
    saveCtx(ctx);
  },
  health: async (ctx) => {
    const p = processesAlive(ctx, 'registry', ['registry']);
    if (!p.ok) return p;
    const ok = await healthy(ctx);
    return { ok, detail: `${p.detail}; ${url}/v2/ ${ok ? 'answers' : 'does not answer'}` };
  },
  cleanup: async (ctx) => {
    rmSync(dataDir, { recursive: true, force: true });
    delete ctx.state.facts.registry;
    saveCtx(ctx);
  },
  contribute: (ctx) => ({ vars: { sandbox_registry: HOST_NAMES.registry, registry_ca_file: pki(ctx).caCert } }),
};

/** Lists a repository's tags in the registry (for tests and `status`). */
export async function registryTags(ctx: Ctx, repo: string): Promise<string[]> {
  const { stdout } = await run('skopeo', ['list-tags', '--cert-dir', registryCertDir(ctx), `docker://${HOST_NAMES.registry}/${repo}`]);
  return (JSON.parse(stdout) as { Tags: string[] }).Tags;
}
