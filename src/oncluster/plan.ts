import type { z } from 'zod';
import { KubeClient } from '../modules/k8s/client.ts';
import { loadKubeConfig } from '../modules/k8s/config.ts';
import { kubeTransport, type Transport } from '../modules/k8s/transport.ts';
import { ConfigError, ValidationError } from '../runtime/errors.ts';
import { inventoryLayers, loadInventory, type OnClusterSettings } from '../runtime/inventory.ts';
import { findComponent, loadComponent, type Selection, selectPlaybooks } from '../runtime/loader.ts';
import { prepare } from '../runtime/run.ts';
import { walkTasks } from '../runtime/tree.ts';
import { type RunnerImage, runnerImage } from './image.ts';
import { renderClusterInventory } from './inventory.ts';
import { type RunnerIdentity, runnerName } from './objects.ts';
import { deriveRbac, type RunnerRbac, type TaskAccess, withStateRules } from './rbac.ts';

/**
 * Everything an in-cluster run needs, worked out on the workstation without reading a secret:
 * the tasks' Kubernetes access (from every playbook of the component: play, test and rollback
 * share one runner), the RBAC derived from it, the runner image of this project, and the
 * inventory the pod reads.
 */
export interface ClusterPlan {
  id: RunnerIdentity;
  settings: OnClusterSettings;
  rbac: RunnerRbac;
  image: RunnerImage;
  inventory: Record<string, unknown>;
  /** The Kubernetes Secret the run's secrets come from, and the keys the run may read. */
  secret: string;
  secretKeys: string[];
  /** A client of the environment's cluster with the workstation's credentials, and its transport. */
  client: KubeClient;
  transport: Transport;
  close: () => void;
}

const SELECTIONS: readonly Selection[] = ['play', 'test', 'rollback'];

/** Every task's access, for each selection the component has. */
export async function collectAccess(root: string, component: string, env: string, extraVars?: Record<string, unknown>): Promise<TaskAccess[]> {
  const folder = findComponent(root, component);
  const out: TaskAccess[] = [];
  for (const selection of SELECTIONS) {
    if (selectPlaybooks(folder, selection).length === 0) continue;
    const prepared = await prepare({ root, component, env, selection, secrets: 'placeholder', ...(extraVars ? { extraVars } : {}) });
    for (const pb of prepared.playbooks) {
      for (const t of [...walkTasks(pb.steps), ...pb.handlers]) out.push({ path: t.path, access: t.task.kubeAccess?.() ?? [] });
    }
  }
  return out;
}

/** The variable names a component's schema declares (a zod object's keys), if it is one. */
async function schemaKeys(root: string, component: string): Promise<Set<string> | undefined> {
  const c = await loadComponent(findComponent(root, component));
  const shape = (c.vars as z.ZodType & { shape?: Record<string, unknown> }).shape;
  return shape ? new Set(Object.keys(shape)) : undefined;
}

export async function planClusterRun(o: { root: string; component: string; env: string; extraVars?: Record<string, unknown> }): Promise<ClusterPlan> {
  const inv = loadInventory(o.root, o.env, { secrets: 'placeholder' });
  const where = `inventory/${o.env}.yaml`;
  if (!inv.onCluster) {
    throw new ConfigError(`${where} has no onCluster section: give onCluster.image (the runner image's repository) for --on-cluster`, `${where}: onCluster`);
  }
  if (!inv.kubernetes) throw new ConfigError(`${where} names no Kubernetes cluster (kubernetes:) to run in`, `${where}: kubernetes`);
  const settings = inv.onCluster;
  const id: RunnerIdentity = { component: o.component, env: o.env, namespace: settings.namespace };
  const tasks = await collectAccess(o.root, o.component, o.env, o.extraVars);
  const http = kubeTransport(loadKubeConfig(inv.kubernetes));
  const client = new KubeClient(http.transport, { server: http.server });
  try {
    const { rbac, problems } = await deriveRbac(tasks, async (apiVersion, kind) => {
      const info = await client.resource(apiVersion, kind);
      return info && { plural: info.plural, namespaced: info.namespaced };
    });
    if (problems.length) throw new ValidationError(problems);
    const rendered = renderClusterInventory(inventoryLayers(o.root, o.env), o.component, await schemaKeys(o.root, o.component));
    return {
      id,
      settings,
      rbac: withStateRules(rbac),
      image: runnerImage(settings, o.root),
      inventory: rendered.doc,
      secret: settings.secret ?? runnerName(id).replace(/^helix-run-/, 'helix-'),
      secretKeys: rendered.secretKeys,
      client,
      transport: http.transport,
      close: () => http.close?.(),
    };
  } catch (error) {
    http.close?.();
    throw error;
  }
}
