import type { TaskContext } from '../../runtime/task.ts';
import type { KubeClient } from './client.ts';
import { k8sClient } from './context.ts';
import { guardSecretValues } from './facts.ts';
import { refOf, targetOf } from './target.ts';
import type { KubeObject, KubeRef } from './types.ts';

/** Memo key of the run's {@link LiveObjects}. */
const LIVE_KEY = 'k8s:live';

/**
 * How long a read stays usable although nothing of the run changed anything: bounds how old a
 * fact can be when another actor changes the cluster during a long run of no-op tasks.
 */
export const LIVE_MAX_AGE_MS = 10_000;

/** Kinds never listed: their lists are large (CRD schemas) or hold values helix must not read in bulk (Secrets). */
const NEVER_LISTED = new Set(['Secret', 'CustomResourceDefinition']);

interface Group {
  /** Objects of this group asked for since the last reset. */
  asked: number;
  /** The group's objects by name; `null` when listing failed (then objects are read one by one). */
  list?: Promise<Map<string, KubeObject> | null>;
}

/**
 * Live objects for the apply tasks of a run, read with as few requests as the run allows. The
 * first object of a (apiVersion, kind, namespace) is read alone; from the second on, the whole
 * group is listed once, so a playbook of a thousand objects costs a few lists rather than a
 * thousand reads. Reads are reused only while {@link TaskContext.generation} stays the same
 * (no task of the run applied anything or retried since) and for at most
 * {@link LIVE_MAX_AGE_MS}; then everything is read again. A context without a generation (tests
 * that build their own) always reads fresh.
 */
export class LiveObjects {
  readonly #client: KubeClient;
  readonly #now: () => number;
  #generation = -1;
  #since = 0;
  /** The generation after this run's own apply, when that apply is all that changed: reads stay valid. */
  #adopt: number | undefined;
  readonly #groups = new Map<string, Group>();
  readonly #single = new Map<string, Promise<KubeObject | undefined>>();
  /** Requests made (lists and reads), for tests. */
  requests = 0;

  constructor(client: KubeClient, now: () => number = Date.now) {
    this.#client = client;
    this.#now = now;
  }

  #refresh(generation: number): void {
    const now = this.#now();
    if (generation === this.#adopt) this.#generation = generation;
    this.#adopt = undefined;
    if (generation === this.#generation && now - this.#since <= LIVE_MAX_AGE_MS) return;
    this.#generation = generation;
    this.#since = now;
    this.#groups.clear();
    this.#single.clear();
  }

  /**
   * The object, or undefined when it does not exist. Each call gives a copy of its own: the
   * task it is handed to may return it to playbook code, and what that code does with it must
   * not change what later tasks plan against.
   */
  async get(ref: KubeRef, generation: number | undefined, signal?: AbortSignal): Promise<KubeObject | undefined> {
    const found = await this.#cached(ref, generation, signal);
    return found && structuredClone(found);
  }

  async #cached(ref: KubeRef, generation: number | undefined, signal?: AbortSignal): Promise<KubeObject | undefined> {
    if (generation === undefined) return this.#read(ref, signal);
    this.#refresh(generation);
    const target = targetOf(ref);
    const info = ref.namespace && !NEVER_LISTED.has(ref.kind) ? await this.#client.resource(ref.apiVersion, ref.kind) : undefined;
    if (info?.namespaced && ref.namespace) {
      const key = `${ref.apiVersion}|${ref.kind}|${ref.namespace}`;
      const group = this.#groups.get(key) ?? { asked: 0 };
      this.#groups.set(key, group);
      group.asked++;
      if (!group.list && group.asked >= 2) group.list = this.#list(ref.apiVersion, ref.kind, ref.namespace, signal);
      const listed = group.list ? await group.list : null;
      if (listed) return listed.get(ref.name);
    }
    let read = this.#single.get(target);
    if (!read) {
      read = this.#read(ref, signal);
      this.#single.set(target, read);
      read.catch(() => this.#single.delete(target));
    }
    return read;
  }

  /**
   * What an apply task of this run just wrote: the server's answers. When that apply is the only
   * thing that happened since these reads (the engine raised the generation by one before it, and
   * raises it once more after), the reads stay valid with these objects in them, so a run that
   * creates many objects does not read each one again. Anything else in between: the next read
   * starts over.
   */
  wrote(objects: readonly KubeObject[], generation: number | undefined): void {
    if (generation === undefined || generation !== this.#generation + 1) return;
    for (const written of objects) {
      // The task returns `objects` to the playbook: keep copies it cannot reach.
      const o = structuredClone(written);
      const ref = refOf(o);
      this.#single.set(targetOf(ref), Promise.resolve(o));
      const group = ref.namespace ? this.#groups.get(`${ref.apiVersion}|${ref.kind}|${ref.namespace}`) : undefined;
      if (group?.list) group.list = group.list.then((m) => (m === null ? null : m.set(o.metadata.name, o)));
    }
    this.#adopt = generation + 1;
  }

  /** Reads as is: {@link readLive} marks a Secret's values as it hands the object out. */
  async #read(ref: KubeRef, signal?: AbortSignal): Promise<KubeObject | undefined> {
    this.requests++;
    return this.#client.get(ref, signal);
  }

  async #list(apiVersion: string, kind: string, namespace: string, signal?: AbortSignal): Promise<Map<string, KubeObject> | null> {
    this.requests++;
    try {
      const items = await this.#client.list(apiVersion, kind, { namespace }, signal);
      return new Map(items.map((o) => [o.metadata.name, o]));
    } catch {
      return null; // not allowed to list, say: read the objects one by one
    }
  }
}

/** The run's live-object reader (one per run, over the run's client). */
export function liveObjects(ctx: Pick<TaskContext, 'memo' | 'env'>): LiveObjects {
  return ctx.memo(LIVE_KEY, () => new LiveObjects(k8sClient(ctx)));
}

/**
 * Reads one object for a plan or preflight: batched and reused as {@link LiveObjects} allows.
 * A Secret's values are marked secret, except the `plain` keys still holding the plain text a
 * manifest gives them (see {@link guardSecretValues}).
 */
export async function readLive(
  ctx: Pick<TaskContext, 'memo' | 'env' | 'signal' | 'generation'>,
  ref: KubeRef,
  plain: Readonly<Record<string, string>> = {},
): Promise<KubeObject | undefined> {
  return guardSecretValues(await liveObjects(ctx).get(ref, ctx.generation?.(), ctx.signal), plain);
}
