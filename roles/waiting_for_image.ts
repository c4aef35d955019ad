import { defineTask, type Env, noChange, type Secret, TargetError, type Task } from 'helix';
import { type Fetch, fetchWithCa, fetchWithTls, noResponseReason, unverifiedTargets } from 'helix/modules/http';

/** The manifest types a registry may answer with (sent as Accept; also by the devpi rebuild workflow). */
export const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Waits until the registry has the image tag (original: waiting_for_image, with
 * `validate_certs: false` and a fixed pause). Asks the registry API
 * (`HEAD /v2/<repository>/manifests/<tag>`) with the robot's credentials, TLS verified,
 * until it answers 200 or the time is up. Plans no change. In a check run where the build is
 * only planned (`plannedBy` is planned), it predicts the image instead of waiting.
 *
 * @param o.registry Registry host[:port].
 * @param o.repository `project/name`.
 * @param o.tag The tag the build pushes.
 * @param o.timeoutMs @default 600000
 * @param o.plannedBy Change target of the build that pushes the image.
 * @param o.caFile PEM file of a private CA the registry's certificate chains to.
 */
export function waitingForImage(
  name: string,
  o: {
    registry: string;
    repository: string;
    tag: string;
    user?: string;
    token?: Secret;
    timeoutMs?: number;
    pollMs?: number;
    plannedBy?: string;
    caFile?: string;
  },
): Task<{ image: string; digest: string | undefined }> {
  const image = `${o.registry}/${o.repository}:${o.tag}`;
  return defineTask({
    kind: 'registry.waitForImage',
    name,
    plan: async (ctx) => {
      if (o.plannedBy && ctx.plannedCreate(o.plannedBy)) return noChange(`${image} will be pushed by the build (predicted)`, { image, digest: undefined });
      const { f, headers, url } = registryAccess(o, ctx.env);
      const deadline = Date.now() + (o.timeoutMs ?? 600_000);
      let last = '';
      for (;;) {
        try {
          const res = await f(url, { method: 'HEAD', headers, signal: AbortSignal.timeout(30_000) });
          if (res.status === 200) return noChange(`${image} exists`, { image, digest: res.headers.get('docker-content-digest') ?? undefined });
          if (res.status === 401 || res.status === 403)
            throw new TargetError(`registry ${o.registry}`, `${res.status}: the robot account cannot read ${o.repository}`);
          last = `HTTP ${res.status}`;
        } catch (error) {
          if (error instanceof TargetError) throw error;
          last = noResponseReason(error, 30_000);
        }
        if (Date.now() > deadline || ctx.signal.aborted) throw new TargetError(`registry ${o.registry}`, `${image} did not appear (${last})`);
        await new Promise((r) => setTimeout(r, o.pollMs ?? 5000));
      }
    },
  });
}

/** Registry coordinates and credentials of one image tag. */
interface ImageRef {
  registry: string;
  repository: string;
  tag: string;
  user?: string;
  token?: Secret;
  caFile?: string;
}

/** The fetch (TLS verified against `caFile` or the run's trust), headers and manifest URL of an image tag. */
function registryAccess(o: ImageRef, env: Env): { f: Fetch; headers: Record<string, string>; url: string } {
  const f = o.caFile ? fetchWithCa([o.caFile]) : fetchWithTls(unverifiedTargets(env));
  const headers: Record<string, string> = { accept: ACCEPT };
  if (o.user && o.token) headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.token.reveal()}`).toString('base64')}`;
  return { f, headers, url: `https://${o.registry}/v2/${o.repository}/manifests/${encodeURIComponent(o.tag)}` };
}

/** Deletes a manifest by digest (the registry's garbage collection frees its layers); gone already is fine. */
async function deleteManifest(
  f: Fetch,
  headers: Record<string, string>,
  o: { registry: string; repository: string },
  digest: string,
  image: string,
): Promise<void> {
  const del = await f(`https://${o.registry}/v2/${o.repository}/manifests/${digest}`, { method: 'DELETE', headers, signal: AbortSignal.timeout(30_000) });
  if (del.status !== 202 && del.status !== 404)
    throw new TargetError(`registry ${o.registry}`, `DELETE ${image}: HTTP ${del.status} ${(await del.text()).slice(0, 200)}`);
}

/**
 * Removes an image tag a build pushed (rollback): asks the registry for the tag's manifest
 * digest and deletes the manifest by digest (`DELETE /v2/<repository>/manifests/<digest>`,
 * the OCI distribution API that Harbor and the CNCF registry serve; the registry's garbage
 * collection frees the layers). Plans nothing when the tag is absent. Every tag on the same
 * digest goes with it: the registry deletes manifests, not tags.
 */
export function imageAbsent(name: string, o: ImageRef): Task<void> {
  const image = `${o.registry}/${o.repository}:${o.tag}`;
  return defineTask<void>({
    kind: 'registry.imageAbsent',
    name,
    plan: async (ctx) => {
      const { f, headers, url } = registryAccess(o, ctx.env);
      const res = await f(url, { method: 'HEAD', headers, signal: AbortSignal.timeout(30_000) }).catch((error: unknown) => {
        throw new TargetError(`registry ${o.registry}`, `HEAD ${image}: ${noResponseReason(error, 30_000)}`);
      });
      if (res.status === 404) return noChange(`${image} is already absent`, undefined);
      if (res.status !== 200) throw new TargetError(`registry ${o.registry}`, `HEAD ${image}: HTTP ${res.status}`);
      const digest = res.headers.get('docker-content-digest');
      if (!digest) throw new TargetError(`registry ${o.registry}`, `${image}: the registry names no Docker-Content-Digest`);
      return {
        changes: [{ target: `image:${image}`, action: 'delete', summary: `delete ${image} (${digest.slice(0, 19)})` }],
        apply: () => deleteManifest(f, headers, o, digest, image),
      };
    },
  });
}

/**
 * Removes every tag of a repository that matches `tagPattern` (rollback of builds helix does
 * not know one by one, e.g. the images automatic rebuilds made of older trees). Lists the tags
 * (`GET /v2/<repository>/tags/list`, following the `Link` pages), asks each one's digest and
 * deletes each digest once. Plans nothing when the repository or the tags are absent.
 */
export function imagesAbsent(name: string, o: Omit<ImageRef, 'tag'> & { tagPattern: RegExp }): Task<void> {
  const what = `tags of ${o.registry}/${o.repository} matching ${o.tagPattern}`;
  return defineTask<void>({
    kind: 'registry.imagesAbsent',
    name,
    plan: async (ctx) => {
      const { f, headers } = registryAccess({ ...o, tag: '' }, ctx.env);
      const base = `https://${o.registry}`;
      const fail = (what: string) => (error: unknown) => {
        throw new TargetError(`registry ${o.registry}`, `${what}: ${noResponseReason(error, 30_000)}`);
      };
      const tags: string[] = [];
      for (let next: string | undefined = `/v2/${o.repository}/tags/list?n=1000`; next; ) {
        const res: Response = await f(base + next, { headers, signal: AbortSignal.timeout(30_000) }).catch(fail(`GET ${next}`));
        if (res.status === 404) break;
        if (res.status !== 200) throw new TargetError(`registry ${o.registry}`, `GET ${next}: HTTP ${res.status}`);
        tags.push(...(((await res.json()) as { tags?: string[] | null }).tags ?? []));
        next = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      }
      const doomed = tags.filter((t) => o.tagPattern.test(t)).sort();
      if (!doomed.length) return noChange(`no ${what} in the registry`, undefined);
      const digests = new Map<string, string[]>();
      for (const tag of doomed) {
        const url = `${base}/v2/${o.repository}/manifests/${encodeURIComponent(tag)}`;
        const res = await f(url, { method: 'HEAD', headers, signal: AbortSignal.timeout(30_000) }).catch(fail(`HEAD ${tag}`));
        if (res.status === 404) continue;
        const digest = res.headers.get('docker-content-digest');
        if (res.status !== 200 || !digest) throw new TargetError(`registry ${o.registry}`, `HEAD ${o.repository}:${tag}: HTTP ${res.status}`);
        digests.set(digest, [...(digests.get(digest) ?? []), tag]);
      }
      if (!digests.size) return noChange(`no ${what} in the registry`, undefined);
      return {
        changes: [...digests].flatMap(([digest, ts]) =>
          ts.map((t) => ({
            target: `image:${o.registry}/${o.repository}:${t}`,
            action: 'delete' as const,
            summary: `delete ${o.registry}/${o.repository}:${t} (${digest.slice(0, 19)})`,
          })),
        ),
        apply: async () => {
          for (const [digest, ts] of digests) await deleteManifest(f, headers, o, digest, `${o.registry}/${o.repository}:${ts[0]}`);
        },
      };
    },
  });
}

/**
 * Whether the registry has an image tag, now (a read: plans no change). A build is submitted
 * only when this says no, so an image something else built (a rebuild workflow, an earlier run
 * whose Workflow was removed) is not built again.
 */
export function imageExists(name: string, o: ImageRef): Task<boolean> {
  const image = `${o.registry}/${o.repository}:${o.tag}`;
  return defineTask<boolean>({
    kind: 'registry.imageExists',
    name,
    plan: async (ctx) => {
      const { f, headers, url } = registryAccess(o, ctx.env);
      const res = await f(url, { method: 'HEAD', headers, signal: AbortSignal.timeout(30_000) }).catch((error: unknown) => {
        throw new TargetError(`registry ${o.registry}`, `HEAD ${image}: ${noResponseReason(error, 30_000)}`);
      });
      if (res.status === 200) return noChange(`${image} exists`, true);
      if (res.status === 404) return noChange(`${image} is not in the registry yet`, false);
      throw new TargetError(`registry ${o.registry}`, `HEAD ${image}: HTTP ${res.status}`);
    },
  });
}
