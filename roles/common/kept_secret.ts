import { randomBytes } from 'node:crypto';
import { defineTask, noChange, Secret, TaskError, type Task, type TaskOptions } from 'helix';
import { k8sClient, readObject, targetOf } from 'helix/modules/k8s';

export interface KeptSecretOptions extends TaskOptions<Secret> {
  namespace: string;
  /** The Kubernetes Secret that keeps the value. */
  secretName: string;
  key: string;
  /**
   * What to do when the key is not there yet:
   * - `generate`: a new random value (the task that applies the Secret stores it);
   * - `require`: fail, unless an earlier task of this check run plans to create the Secret
   *   (then a placeholder stands in, so later tasks plan what the real run will do).
   * @default 'generate'
   */
  ifMissing?: 'generate' | 'require';
  /** Random bytes of a generated value (base64url-encoded). @default 32 */
  bytes?: number;
}

/**
 * A value generated once and kept in a Kubernetes Secret: the live Secret is read first and
 * its value reused, so a second run changes nothing (the oauth2-proxy cookie secret, the
 * session store password). Plans no change itself; the Secret's apply task stores a new value.
 */
export function keptSecret(name: string, options: KeptSecretOptions): Task<Secret> {
  const { namespace, secretName, key, ifMissing = 'generate', bytes = 32, ...common } = options;
  const where = `Secret ${namespace}/${secretName} key ${key}`;
  const generate = (why: string): Secret => new Secret(randomBytes(bytes).toString('base64url'), why);
  return defineTask<Secret>({
    kind: 'k8s.keptSecret',
    name,
    options: common,
    validate: (report) => {
      if (!namespace || !secretName || !key) report('namespace, secretName and key are required');
      if (!Number.isInteger(bytes) || bytes < 16) report('bytes must be a whole number ≥ 16');
    },
    plan: async (ctx) => {
      const live = await readObject(k8sClient(ctx), { apiVersion: 'v1', kind: 'Secret', namespace, name: secretName }, ctx.signal);
      const b64 = (live?.data as Record<string, string> | undefined)?.[key];
      if (b64) return noChange(`kept the value in ${where}`, new Secret(Buffer.from(b64, 'base64').toString('utf8'), where));
      if (ifMissing === 'generate') return noChange(`generated a new value for ${where}`, generate(`generated for ${where}`));
      if (ctx.plannedCreate(targetOf({ apiVersion: 'v1', kind: 'Secret', namespace, name: secretName }))) {
        return noChange(`${where} is created earlier in this run (predicted)`, generate(`predicted ${where}`));
      }
      throw new TaskError(ctx.path, `${where} does not exist (run the playbook that creates it first)`);
    },
  });
}

/** A Kubernetes Secret manifest whose values stay `Secret`s until the request body. */
export function secretManifest(o: {
  name: string;
  namespace: string;
  data: Record<string, Secret | string>;
  labels?: Record<string, string>;
  type?: string;
}): Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
  const data: Record<string, Secret | string> = {};
  for (const [k, v] of Object.entries(o.data)) data[k] = typeof v === 'string' ? Buffer.from(v, 'utf8').toString('base64') : v;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: o.name, namespace: o.namespace, ...(o.labels ? { labels: o.labels } : {}) },
    type: o.type ?? 'Opaque',
    data,
  };
}
