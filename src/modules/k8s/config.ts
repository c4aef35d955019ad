/**
 * Kubeconfig loading for the k8s module: the runtime's lean reader (kubectl's conventions:
 * `inCluster`, `kubeconfig`, `KUBECONFIG` merged, `~/.kube/config`, the pod's service account),
 * shared with the run lock and journal. See src/runtime/kube/config.ts.
 */
export { type KubeConnection, loadKubeConfig } from '../../runtime/kube/config.ts';
