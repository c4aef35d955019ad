import { spawn } from 'node:child_process';
import type { KubeSettings } from '../../runtime/env.ts';
import { TargetError } from '../../runtime/errors.ts';
import { mask } from '../../runtime/secret.ts';
import { findHelm } from './install.ts';

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The seam between the helm tasks and the helm binary: one call per helm command, given as
 * an argument array (never a shell string). Unit tests replace it with a fake.
 */
export interface HelmCli {
  run(args: readonly string[], opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<HelmResult>;
}

/** `--kubeconfig`/`--kube-context` for an environment's Kubernetes settings. */
export function kubeArgs(kube: KubeSettings | undefined): string[] {
  const out: string[] = [];
  if (kube?.kubeconfig) out.push('--kubeconfig', kube.kubeconfig);
  if (kube?.context) out.push('--kube-context', kube.context);
  return out;
}

/** The real helm binary; kube settings are added to every command. */
export function helmCli(kube: KubeSettings | undefined, binary = findHelm()): HelmCli {
  return {
    run: (args, opts = {}) => {
      if (!binary) {
        return Promise.reject(
          new TargetError('helm', 'no helm binary: run `node src/modules/helm/install.ts` (or `helix sandbox up`), set HELIX_HELM, or put helm on PATH'),
        );
      }
      return new Promise((resolve, reject) => {
        const child = spawn(binary, [...args, ...kubeArgs(kube)], {
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, HELM_NO_PLUGINS: '1' },
          ...(opts.signal ? { signal: opts.signal } : {}),
          timeout: opts.timeoutMs ?? 15 * 60_000,
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on('data', (b: Buffer) => out.push(b));
        child.stderr.on('data', (b: Buffer) => err.push(b));
        child.on('error', (e) => reject(new TargetError('helm', `cannot run ${binary}: ${e.message}`)));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
      });
    },
  };
}

/** Runs a helm command that must succeed; the error carries helm's masked stderr. */
export async function helmOk(cli: HelmCli, args: readonly string[], what: string, signal?: AbortSignal): Promise<string> {
  const r = await cli.run(args, signal ? { signal } : {});
  if (r.code !== 0) {
    const detail = mask(r.stderr.trim().split('\n').slice(-8).join('\n') || `exit code ${r.code}`);
    throw new TargetError('helm', `${what} failed: ${detail}`);
  }
  return r.stdout;
}
