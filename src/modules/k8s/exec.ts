import { PassThrough, Readable } from 'node:stream';
import type { KubeSettings } from '../../runtime/env.ts';
import { TargetError } from '../../runtime/errors.ts';

/** What a command run in a container printed and how it ended. */
export interface ExecResult {
  stdout: string;
  stderr: string;
  /** 0 on success; the command's exit code otherwise (from the API server's status). */
  code: number;
}

/**
 * Runs a command in a running container, as `kubectl exec` does (the API server's exec
 * subresource over a WebSocket, through `@kubernetes/client-node`). Input goes to the
 * command's stdin, never into its arguments, so a secret passed this way is not in any
 * process list.
 */
export async function execInPod(
  settings: KubeSettings | undefined,
  o: { namespace: string; pod: string; container: string; command: readonly string[]; stdin?: string; timeoutMs?: number },
): Promise<ExecResult> {
  const { Exec, KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (settings?.inCluster) kc.loadFromCluster();
  else if (settings?.kubeconfig) kc.loadFromFile(settings.kubeconfig);
  else kc.loadFromDefault();
  if (settings?.context) kc.setCurrentContext(settings.context);
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  out.on('data', (c: Buffer) => chunks.out.push(c));
  err.on('data', (c: Buffer) => chunks.err.push(c));
  const where = `exec in ${o.namespace}/${o.pod} (${o.container})`;
  return new Promise<ExecResult>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TargetError(where, `no answer after ${o.timeoutMs ?? 30_000} ms`)), o.timeoutMs ?? 30_000);
    const done = (code: number) => {
      clearTimeout(timer);
      resolve({ stdout: Buffer.concat(chunks.out).toString('utf8'), stderr: Buffer.concat(chunks.err).toString('utf8'), code });
    };
    const stdin = o.stdin === undefined ? null : Readable.from([o.stdin]);
    new Exec(kc)
      .exec(o.namespace, o.pod, o.container, [...o.command], out, err, stdin, false, (status) => {
        if (status.status === 'Success') return done(0);
        const exit = status.details?.causes?.find((c) => c.reason === 'ExitCode')?.message;
        if (exit !== undefined) return done(Number(exit));
        clearTimeout(timer);
        reject(new TargetError(where, status.message ?? 'failed'));
      })
      .catch((error: unknown) => {
        clearTimeout(timer);
        reject(new TargetError(where, (error as Error).message));
      });
  });
}
