import { request } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { TargetError } from '../runtime/errors.ts';

/**
 * A raw JSON client for the few calls the CRD installer makes. It sends objects as they are:
 * client-node's typed serializer drops `x-kubernetes-*` schema keys from CRDs.
 */
export interface RawKube {
  request(
    method: 'GET' | 'PATCH' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    contentType?: string,
    accept?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

export function rawKube(kubeconfig: string, context?: string): RawKube {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig);
  if (context) kc.setCurrentContext(context);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new TargetError('kubernetes', `no current cluster in ${kubeconfig}`);
  const base = new URL(cluster.server);
  return {
    request: async (method, path, body, contentType = 'application/json', accept = 'application/json') => {
      const opts: import('node:https').RequestOptions = {
        method,
        hostname: base.hostname,
        port: base.port || 443,
        path,
        headers: { accept, ...(body !== undefined ? { 'content-type': contentType } : {}) },
      };
      await kc.applyToHTTPSOptions(opts);
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const req = request(opts, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { message: text.slice(0, 300) };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        });
        req.on('error', (e) => reject(new TargetError(`kubernetes ${base.host}`, `unreachable: ${e.message}`)));
        req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
        if (payload) req.end(payload);
        else req.end();
      });
    },
  };
}
