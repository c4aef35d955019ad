import { defineTask, noChange, type Secret, TargetError, type Task } from '../src/index.ts';
import { fetchWithCa, fetchWithTls, unverifiedTargets } from '../src/modules/http/index.ts';

const ACCEPT = [
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
      const f = o.caFile ? fetchWithCa([o.caFile]) : fetchWithTls(unverifiedTargets(ctx.env));
      const headers: Record<string, string> = { accept: ACCEPT };
      if (o.user && o.token) headers.authorization = `Basic ${Buffer.from(`${o.user}:${o.token.reveal()}`).toString('base64')}`;
      const url = `https://${o.registry}/v2/${o.repository}/manifests/${encodeURIComponent(o.tag)}`;
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
          last = (error as Error).message;
        }
        if (Date.now() > deadline || ctx.signal.aborted) throw new TargetError(`registry ${o.registry}`, `${image} did not appear (${last})`);
        await new Promise((r) => setTimeout(r, o.pollMs ?? 5000));
      }
    },
  });
}
