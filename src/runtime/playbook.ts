import { z } from 'zod';
import type { Env } from './env.ts';
import { Secret } from './secret.ts';
import type { Step, Task } from './task.ts';

/** What a playbook declares for one environment. */
export interface PlaybookBody {
  tasks: readonly Step[];
  /** Tasks run once at the end of the playbook, on hosts where a task notified them. */
  handlers?: readonly Task<unknown>[];
  /** Inventory group (or `localhost`) the tasks run on. @default 'localhost' */
  hosts?: string;
  /** Run the playbook on batches of this many hosts at a time (Ansible's `serial`). */
  serial?: number;
  /** Tags every task of the playbook inherits. */
  tags?: readonly string[];
}

export interface Playbook<V = Record<string, unknown>> {
  readonly type: 'playbook';
  readonly build: (env: Env<V>) => PlaybookBody;
}

/**
 * A numbered playbook file's default export. The builder receives the typed environment and
 * returns its steps (or a body with handlers and hosts). It runs during validation, before
 * anything is touched, so it must not do IO: read live state inside tasks.
 */
export function definePlaybook<V = Record<string, unknown>>(build: (env: Env<V>) => readonly Step[] | PlaybookBody): Playbook<V> {
  return {
    type: 'playbook',
    build: (env) => {
      const out = build(env);
      return Array.isArray(out) ? { tasks: out as readonly Step[] } : (out as PlaybookBody);
    },
  };
}

/** A component's `component.ts`: its name and the schema of its variables. */
export interface Component<S extends z.ZodType = z.ZodType> {
  readonly type: 'component';
  readonly name: string;
  readonly description: string;
  readonly vars: S;
}

export function defineComponent<S extends z.ZodType>(spec: { name: string; description: string; vars: S }): Component<S> {
  return { type: 'component', ...spec };
}

/** The validated variables of a component. */
export type VarsOf<C> = C extends Component<infer S> ? z.output<S> : never;

/** A zod schema for a variable that must come from a secret reference in the inventory. */
export function secret(): z.ZodType<Secret> {
  return z.custom<Secret>((v) => v instanceof Secret, {
    message: 'must be a secret reference ({ secret: { env: NAME } } or { secret: { file: PATH } })',
  });
}

/**
 * The data policy every component's rollback follows, as its `purge_data` variable: a rollback
 * removes what the play created but keeps the data (volumes, PersistentVolumeClaims, databases,
 * and the namespaces that hold them) unless this is true. `helix rollback <component>
 * --purge-data` sets it for one run. @default false
 */
export function purgeData(): z.ZodDefault<z.ZodBoolean> {
  return z.boolean().default(false);
}
