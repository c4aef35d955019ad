import { KubeConfig, type KubernetesObject, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';

/**
 * Server-side apply (field manager `helix-sandbox`) of the few objects the sandbox itself owns:
 * RBAC for its host-process controllers, the `kube-dns` Service, the ingress classes. These are
 * the sandbox's, not a playbook's, so they go through client-node directly and not through a
 * helix run (which would record them in a component's journal).
 */
export async function applyObjects(kubeconfig: string, objects: readonly KubernetesObject[]): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = KubernetesObjectApi.makeApiClient(kc);
  for (const o of objects) await api.patch(o, undefined, undefined, 'helix-sandbox', true, PatchStrategy.ServerSideApply);
}

/** A ClusterRole and its binding to a user (a client certificate's CN). */
export function userRole(name: string, user: string, rules: readonly Record<string, unknown>[]): KubernetesObject[] {
  return [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name }, rules } as KubernetesObject,
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
    } as KubernetesObject,
  ];
}
