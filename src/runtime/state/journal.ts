import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { RunEvent } from '../events.ts';
import { type KubeRest, statusOf } from '../kube/rest.ts';
import { ensureSystemNamespace, SYSTEM_NAMESPACE } from './lease.ts';
import type { LockHolder } from './lock.ts';

/** One applied change in a run record. Built from masked events, so it holds no secret. */
export interface JournalChange {
  path: string;
  host: string;
  action: string;
  target: string;
  summary?: string;
}

/** What one run did: written when it starts, updated as tasks change things, closed at the end. */
export interface RunRecord {
  id: string;
  seq: number;
  component: string;
  env: string;
  selection: string;
  status: 'running' | 'ok' | 'failed' | 'interrupted';
  holder: LockHolder;
  startedAt: string;
  endedAt?: string;
  changes: JournalChange[];
}

/** Where run records live: Secrets in `helix-system` (like Helm's release records), or local files. */
export interface Journal {
  list(): Promise<RunRecord[]>;
  save(record: RunRecord): Promise<void>;
}

/** How many records are kept per (component, env). */
export const HISTORY_MAX = 20;

/**
 * Feeds a record from the run's (already masked) events and saves it at the points that matter.
 * Saves do not pile up: while one is in flight, at most one more is queued, and it saves the
 * record as it is by the time it runs. A run of a thousand changes writes a handful of times,
 * not a thousand growing copies.
 */
export function recordRun(journal: Journal, record: RunRecord): { onEvent: (e: RunEvent) => void; flush: () => Promise<void> } {
  let pending: Promise<void> = journal.save(record);
  let queued = false;
  const save = (): void => {
    if (queued) return;
    queued = true;
    pending = pending
      .catch(() => undefined)
      .then(() => {
        queued = false;
        return journal.save(structuredClone(record));
      })
      .catch(() => undefined);
  };
  return {
    onEvent: (e) => {
      if (e.type === 'task.changed' && e.applied) {
        for (const c of e.changes) {
          record.changes.push({ path: e.path, host: e.host, action: c.action, target: c.target, ...(c.summary ? { summary: c.summary } : {}) });
        }
        save();
      } else if (e.type === 'run.end') {
        record.status = e.interrupted ? 'interrupted' : e.ok ? 'ok' : 'failed';
        record.endedAt = new Date().toISOString();
        save();
      }
    },
    flush: () => pending,
  };
}

function scopeName(component: string, env: string): string {
  return `${component}-${env}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');
}

export class FileJournal implements Journal {
  readonly #dir: string;
  constructor(base: string, component: string, env: string) {
    this.#dir = join(base, scopeName(component, env));
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
  }

  async list(): Promise<RunRecord[]> {
    return readdirSync(this.#dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => JSON.parse(readFileSync(join(this.#dir, f), 'utf8')) as RunRecord)
      .sort((a, b) => a.seq - b.seq);
  }

  async save(record: RunRecord): Promise<void> {
    const file = join(this.#dir, `${String(record.seq).padStart(6, '0')}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2), { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    const all = readdirSync(this.#dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    for (const old of all.slice(0, Math.max(0, all.length - HISTORY_MAX))) rmSync(join(this.#dir, old), { force: true });
  }
}

const LABELS = { managed: 'app.kubernetes.io/managed-by', component: 'helix.dev/component', env: 'helix.dev/env' };

/** The parts of a Secret the journal reads and writes. */
interface V1Secret {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
}

const SECRETS = `/api/v1/namespaces/${SYSTEM_NAMESPACE}/secrets`;

export class KubeJournal implements Journal {
  readonly #api: KubeRest;
  readonly #component: string;
  readonly #env: string;
  /** Records this journal created or replaced: they exist. */
  readonly #saved = new Set<string>();

  constructor(api: KubeRest, component: string, env: string) {
    this.#api = api;
    this.#component = component;
    this.#env = env;
  }

  #selector(): string {
    return `${LABELS.component}=${this.#component},${LABELS.env}=${this.#env}`;
  }

  async list(): Promise<RunRecord[]> {
    let items: V1Secret[];
    try {
      items = (await this.#api.list<V1Secret>(SECRETS, this.#selector())).items ?? [];
    } catch (error) {
      if (statusOf(error) === 404) return [];
      throw error;
    }
    return items.map((s) => JSON.parse(gunzipSync(Buffer.from(s.data?.record ?? '', 'base64')).toString('utf8')) as RunRecord).sort((a, b) => a.seq - b.seq);
  }

  async save(record: RunRecord): Promise<void> {
    await ensureSystemNamespace(this.#api);
    const name = `${`helix-run-${scopeName(this.#component, this.#env)}`.slice(0, 50)}.v${record.seq}`;
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'helix.dev/run',
      metadata: {
        name,
        namespace: SYSTEM_NAMESPACE,
        labels: { [LABELS.managed]: 'helix', [LABELS.component]: this.#component, [LABELS.env]: this.#env, 'helix.dev/status': record.status },
      },
      data: { record: gzipSync(JSON.stringify(record)).toString('base64') },
    };
    // A record is created once, by the run that numbered it, then replaced: try what is likely first.
    if (this.#saved.has(name)) {
      await this.#api.replace(`${SECRETS}/${name}`, body);
      return;
    }
    try {
      await this.#api.create(SECRETS, body);
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      await this.#api.replace(`${SECRETS}/${name}`, body);
      this.#saved.add(name);
      return;
    }
    this.#saved.add(name);
    // A new record: drop the oldest beyond HISTORY_MAX.
    const all = (await this.#api.list<V1Secret>(SECRETS, this.#selector())).items ?? [];
    const names = all.map((s) => s.metadata?.name ?? '').sort((a, b) => seqOf(a) - seqOf(b));
    for (const old of names.slice(0, Math.max(0, names.length - HISTORY_MAX))) {
      await this.#api.delete(`${SECRETS}/${old}`).catch(() => undefined);
    }
  }
}

function seqOf(name: string): number {
  return Number(/\.v(\d+)$/.exec(name)?.[1] ?? 0);
}
