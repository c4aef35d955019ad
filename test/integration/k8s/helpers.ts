import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { Env } from '../../../src/index.ts';
import { KubeClient } from '../../../src/modules/k8s/client.ts';
import { loadKubeConfig } from '../../../src/modules/k8s/config.ts';
import { kubeTransport } from '../../../src/modules/k8s/transport.ts';
import type { KubeObject } from '../../../src/modules/k8s/types.ts';

/** True when the global setup started the sandbox's Kubernetes. */
export function hasKubernetes(): boolean {
  return inject('sandbox').kubernetes !== undefined;
}

/** The sandbox's kubernetes settings, as an environment would give them. */
export function kubeEnv(): Partial<Env> {
  const k = inject('sandbox').kubernetes!;
  return { kubernetes: { kubeconfig: k.kubeconfig, context: k.context } };
}

/**
 * A client of the sandbox's API server, for setting up and checking (not under test); with
 * `fieldManager`, its applies are made as that manager instead of helix.
 */
export function sandboxClient(fieldManager?: string): KubeClient {
  const { transport, server } = kubeTransport(loadKubeConfig(kubeEnv().kubernetes));
  const as: typeof transport = fieldManager ? (req, signal) => transport({ ...req, query: { ...req.query, fieldManager } }, signal) : transport;
  return new KubeClient(as, { server });
}

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export const namespace = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });

export const configMap = (ns: string, name: string, data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

export const deployment = (ns: string, name: string, replicas: number, image = 'registry.invalid/helix/web:1'): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: ns, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [{ name: 'web', image }],
        // kwok's fake nodes carry this taint in some setups; tolerate it either way.
        tolerations: [{ key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' }],
      },
    },
  },
});

/** Deletes namespaces (and what is in them) without waiting. */
export async function cleanup(client: KubeClient, namespaces: readonly string[]): Promise<void> {
  for (const name of namespaces) await client.delete({ apiVersion: 'v1', kind: 'Namespace', name }, { propagation: 'Background' }).catch(() => {});
}
