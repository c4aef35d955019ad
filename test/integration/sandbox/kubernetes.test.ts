import { ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, has, sandbox } from './helpers.ts';

const suffix = randomBytes(3).toString('hex');

describe.skipIf(!has('kwok'))('sandbox: Kubernetes (real control plane, kwok nodes)', () => {
  let kc: KubeConfig;
  const namespaces: string[] = [];
  beforeAll(() => {
    kc = new KubeConfig();
    kc.loadFromFile(sandbox().kubernetes!.kubeconfig);
    kc.setCurrentContext(sandbox().kubernetes!.context);
  });
  afterAll(async () => {
    const core = kc.makeApiClient(CoreV1Api);
    for (const name of namespaces) await core.deleteNamespace({ name }).catch(() => {});
  });

  it('writes a kubeconfig with context helix-sandbox whose server certificate verifies', async () => {
    const doc = parse(readFileSync(sandbox().kubernetes!.kubeconfig, 'utf8')) as {
      contexts: { name: string }[];
      clusters: { cluster: Record<string, unknown> }[];
    };
    expect(doc.contexts.map((c) => c.name)).toContain('helix-sandbox');
    expect(doc.clusters[0]!.cluster['insecure-skip-tls-verify']).toBeUndefined();
    expect(doc.clusters[0]!.cluster['certificate-authority-data']).toBeTruthy();
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toMatch(/^v1\.36\./);
  });

  it('lists at least two Ready fake nodes without a NoSchedule taint', async () => {
    // The real node (real-node.test.ts) is tainted until DevPi and the platform run real images.
    const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items.filter((n) => n.metadata?.annotations?.['kwok.x-k8s.io/node'] === 'fake');
    const ready = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    expect(ready.length).toBeGreaterThanOrEqual(2);
    for (const n of ready) expect((n.spec?.taints ?? []).filter((t) => t.effect === 'NoSchedule')).toEqual([]);
  });

  it('brings a 2-replica Deployment to Available', async () => {
    const ns = `sbx-deploy-${suffix}`;
    namespaces.push(ns);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    // Pods are rejected until the controller manager created the namespace's default ServiceAccount.
    await eventually('default ServiceAccount', () => core.readNamespacedServiceAccount({ name: 'default', namespace: ns }));
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } },
        },
      },
    });
    const d = await eventually(
      'Deployment web Available with 2 ready replicas',
      async () => {
        const d = await apps.readNamespacedDeployment({ name: 'web', namespace: ns });
        const available = d.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True');
        return available && d.status?.readyReplicas === 2 ? d : undefined;
      },
      90_000,
    );
    expect(d.status?.availableReplicas).toBe(2);
    const pods = (await core.listNamespacedPod({ namespace: ns })).items;
    expect(pods.filter((p) => p.status?.phase === 'Running')).toHaveLength(2);
    expect(new Set(pods.map((p) => p.spec?.nodeName)).size).toBeGreaterThanOrEqual(1);
  });

  it('completes the deletion of a namespace (namespace controller runs)', async () => {
    const ns = `sbx-delete-${suffix}`;
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: ns } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' }, data: { a: 'b' } } });
    await core.deleteNamespace({ name: ns });
    await eventually(
      `namespace ${ns} gone`,
      async () => {
        try {
          await core.readNamespace({ name: ns });
          return false;
        } catch (error) {
          return (error as { code?: number }).code === 404;
        }
      },
      90_000,
    );
  });

  it('installs a CRD and serves its custom resources', async () => {
    const group = `sandbox-${suffix}.helix.test`;
    const ext = kc.makeApiClient(ApiextensionsV1Api);
    const name = `widgets.${group}`;
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
            },
          ],
        },
      },
    });
    try {
      await eventually('CRD Established', async () => {
        const crd = await ext.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      });
      const custom = kc.makeApiClient(CustomObjectsApi);
      const created = (await eventually('create a Widget', () =>
        custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: 'default',
          plural: 'widgets',
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } },
        }),
      )) as { metadata: { uid: string } };
      expect(created.metadata.uid).toBeTruthy();
      const got = (await custom.getNamespacedCustomObject({ group, version: 'v1', namespace: 'default', plural: 'widgets', name: 'w1' })) as {
        spec: { size: number };
      };
      expect(got.spec.size).toBe(3);
      // Schema validation is real: a string where an integer is required is rejected.
      await expect(
        custom.createNamespacedCustomObject({
          group,
          version: 'v1',
          namespace: 'default',
          plural: 'widgets',
          body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w2' }, spec: { size: 'big' } },
        }),
      ).rejects.toMatchObject({ code: 422 });
    } finally {
      await ext.deleteCustomResourceDefinition({ name }).catch(() => {});
    }
  });
});
