/**
 * The seam between the k8s module and the API server. The transport itself (node:https, one
 * keep-alive agent per run, kubeconfig credentials) lives in src/runtime/kube/transport.ts, so
 * the run lock, the journal and the tasks of a run share one connection; unit tests replace it
 * with a fake cluster.
 */
export { buildUrl, type KubeHttp, type KubeRequest, type KubeResponse, kubeTransport, type Transport } from '../../runtime/kube/transport.ts';
