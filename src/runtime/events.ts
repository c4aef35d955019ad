import type { Change } from './change.ts';
import type { Problem } from './errors.ts';
import { maskDeep } from './secret.ts';

/** Everything the runtime reports. Renderers (human, JSON) subscribe; the runtime never prints. */
export type RunEvent =
  | { type: 'run.start'; component: string; env: string; mode: RunMode; playbooks: string[] }
  | { type: 'run.validated'; tasks: number }
  /** On every run, for each target whose TLS certificates this environment does not verify. */
  | { type: 'tls.unverified'; target: string; setIn: string }
  | { type: 'lock.acquired'; scope: string; where: string; takenOverFrom?: string }
  | { type: 'run.resumed'; previousRun: string; previousStartedAt: string; changesBeforeStop: number }
  | { type: 'run.invalid'; problems: Problem[] }
  | { type: 'playbook.start'; path: string; hosts: string[] }
  | { type: 'playbook.end'; path: string }
  | { type: 'task.start'; path: string; kind: string; host: string }
  | { type: 'task.ok'; path: string; host: string; reason: string; durationMs: number }
  | {
      type: 'task.changed';
      path: string;
      host: string;
      changes: Change[];
      /** False in check mode: the changes were predicted, not made. */
      applied: boolean;
      /** True for a raw command declared `idempotent: false`. */
      notIdempotent?: boolean;
      durationMs: number;
    }
  | { type: 'task.skipped'; path: string; host: string; reason: string }
  | { type: 'task.retry'; path: string; host: string; attempt: number; of: number; reason: string }
  | { type: 'task.failed'; path: string; host: string; error: string; ignored: boolean; durationMs: number }
  | { type: 'host.unreachable'; host: string; path: string; error: string }
  | { type: 'handler.notified'; path: string; handler: string; host: string }
  | { type: 'log'; path: string; host: string; level: 'info' | 'warn'; message: string }
  | { type: 'run.end'; ok: boolean; recap: Recap; durationMs: number; interrupted?: boolean };

export type RunMode = 'apply' | 'check';

export interface HostRecap {
  ok: number;
  changed: number;
  failed: number;
  skipped: number;
  unreachable: number;
  notIdempotent: number;
}
export type Recap = Record<string, HostRecap>;

export type EventType = RunEvent['type'];
export type Listener = (event: RunEvent) => void;

/**
 * Delivers events to subscribers, masking every secret on the way: no renderer can
 * leak a secret because none ever receives one.
 */
export class EventBus {
  readonly #listeners: Listener[] = [];

  on(listener: Listener): () => void {
    this.#listeners.push(listener);
    return () => {
      const i = this.#listeners.indexOf(listener);
      if (i >= 0) this.#listeners.splice(i, 1);
    };
  }

  emit(event: RunEvent): void {
    const safe = maskDeep(event);
    for (const listener of this.#listeners) listener(safe);
  }
}

/** Collects events; used by tests and by `play()` callers that want the whole story. */
export function collect(bus: EventBus): RunEvent[] {
  const events: RunEvent[] = [];
  bus.on((e) => events.push(e));
  return events;
}
