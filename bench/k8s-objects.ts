/**
 * The synthetic Kubernetes work both tools apply: a namespace and N objects, a third each
 * ConfigMaps, Deployments and (headless) Services. Deployments become Available on the sandbox's kwok nodes.
 */
export function benchObjects(namespace: string, count: number): Record<string, unknown>[] {
  const objects: Record<string, unknown>[] = [];
  for (let i = 0; objects.length < count; i++) {
    const name = `bench-${i}`;
    const labels = { app: name, 'app.kubernetes.io/part-of': 'helix-bench' };
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels }, data: { index: String(i), greeting: `hello ${i}` } });
    if (objects.length < count) {
      objects.push({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name, namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: 'app', image: 'registry.invalid/bench:1', ports: [{ containerPort: 8080 }] }] },
          },
        },
      });
    }
    if (objects.length < count) {
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace, labels },
        // Headless: a thousand Services would exhaust the sandbox's /24 service IP range.
        spec: { clusterIP: 'None', selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
      });
    }
  }
  return objects;
}

export function namespaceObject(namespace: string): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } };
}
