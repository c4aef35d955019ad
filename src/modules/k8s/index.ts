/**
 * The Kubernetes task module: `import * as k8s from 'helix/modules/k8s'`.
 *
 * Tasks: {@link apply} (server-side apply, planned by a server dry run), {@link remove}
 * (also exported as `delete`), {@link wait}, {@link get} and {@link list}. Facts for other modules:
 * {@link readObject}, {@link listObjects}, with the run's client from {@link k8sClient}.
 * Change targets are `k8s:<apiVersion>/<Kind>/<namespace>/<name>`, `_` standing for the
 * namespace of cluster-scoped objects (`k8s:v1/Namespace/_/devpi`).
 */
import { registerPruner } from '../../runtime/prune.ts';
import { k8sPruner } from './prune.ts';

export { apply, type ApplyOptions } from './apply.ts';
export { KubeApiError, KubeUnreachable } from './api-error.ts';
export { FIELD_MANAGER, KubeClient, type ListOptions, type Propagation } from './client.ts';
export { loadKubeConfig } from './config.ts';
export { CLIENT_KEY, k8sClient } from './context.ts';
export { listObjects, readObject } from './facts.ts';
export { execInPod, type ExecResult } from './exec.ts';
export { get, type GetOptions } from './get.ts';
export { list, type ListTaskOptions } from './list.ts';
export { readiness, type Observation } from './readiness.ts';
export { DEFAULT_WAIT_MS, pollUntil, type PollOptions } from './poll.ts';
export { remove, remove as delete, type RemoveOptions } from './remove.ts';
export type { RefOptions } from './ref.ts';
export { crdTarget, namespaceTarget, targetOf } from './target.ts';
export { kubeTransport, type KubeRequest, type KubeResponse, type Transport } from './transport.ts';
export type { KubeObject, KubeRef, Manifest } from './types.ts';
export { wait, type WaitFor, type WaitOptions } from './wait.ts';
export { OWNERSHIP_LABELS, ownershipSelector } from './ownership.ts';

// `helix play --prune` removes objects this module applied that the playbooks no longer declare.
registerPruner(k8sPruner);
