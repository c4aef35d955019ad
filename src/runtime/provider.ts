import type { Change } from './change.ts';
import { TargetError, TaskError } from './errors.ts';
import { isSecret, maskDeep } from './secret.ts';
import { defineTask, type Input, isStatic, noChange, resolve, splitOptions, type Task, type TaskContext, type TaskOptions } from './task.ts';

/**
 * One property of a resource that differs between the wish and the live object.
 * `before`/`after` are shown in `--diff`, unless `secret` is set: then only the name is.
 */
export interface FieldChange {
  /** Dotted property name: `redirectUris`, `attributes.pkce.code.challenge.method`. */
  field: string;
  before?: unknown;
  after?: unknown;
  /** The value is a secret (a password, a client secret): never shown, only named. */
  secret?: boolean;
  /** The target cannot change this property in place: the object is deleted and created again. */
  replace?: boolean;
}

/**
 * The contract every API-backed resource follows (Keycloak clients, GitHub deploy keys):
 * read, diff, create, update, delete, after Pulumi's provider interface. `ensure()` turns a
 * provider and a wish into a task, so a module implements only this.
 *
 * What each operation promises, and what its failure means:
 * - `read` resolves `undefined` exactly when the object does not exist (including when its
 *   parent, e.g. the realm, does not exist). Any other problem (unreachable, refused, denied)
 *   throws: an error is never taken for absence.
 * - `diff` is pure (no IO). An empty list means the live object already matches the wish.
 *   It compares only what the wish states; properties the wish leaves out are not managed.
 * - `create` makes the object or throws. A conflict ("already exists", HTTP 409) is a
 *   failure, never success: `read` said it was absent, so someone else created it meanwhile.
 * - `update` changes the live object so that `diff` becomes empty, or throws.
 * - `delete` removes the object found by `read` (by its identity on the target, e.g. an
 *   internal id). "Not found" is success (it is gone); anything else throws.
 *
 * After `create` and `update`, `ensure` reads the object again and fails if it still differs:
 * a call the target accepted but ignored is reported, not hidden.
 */
export interface Provider<Desired, Live> {
  /** Task kind: `keycloak.client`, `github.deployKey`. */
  readonly kind: string;
  /** What the task is about, for messages: `client oauth2-proxy-devpi in realm thinkube`. */
  describe(desired: Desired): string;
  /** The change target: stable, namespaced, equal in check and real runs (`keycloak:thinkube/client/devpi`). */
  id(desired: Desired): string;
  /** Static checks with no IO, run before anything is touched. */
  validate?(desired: Desired, report: (message: string) => void): void;
  /**
   * Read-only checks run before the first apply of the run, for state `present` only (the
   * repository exists and the token may see it). Returns problems; empty means fine.
   */
  preflight?(ctx: TaskContext, desired: Desired): Promise<string[]>;
  read(ctx: TaskContext, desired: Desired): Promise<Live | undefined>;
  diff(desired: Desired, live: Live): FieldChange[];
  create(ctx: TaskContext, desired: Desired): Promise<void>;
  update(ctx: TaskContext, desired: Desired, live: Live, changes: readonly FieldChange[]): Promise<void>;
  delete(ctx: TaskContext, desired: Desired, live: Live): Promise<void>;
  /**
   * The object a check run reports to later tasks, when it can be known before applying
   * (`live` is undefined for a create). Absent or returning undefined: later tasks that
   * need the result are reported as predicted changes.
   */
  predict?(desired: Desired, live: Live | undefined): Live | undefined;
}

export type EnsureState = 'present' | 'absent';

export interface EnsureOptions<Out> extends TaskOptions<Out> {
  /** @default 'present' */
  state?: EnsureState;
}

/**
 * A task that makes an API-backed object match `desired` (state `present`) or removes it
 * (`absent`). The plan names the changed properties (secret ones by name only); the result
 * is the live object after the run, or `undefined` when absent.
 */
export function ensure<D, L>(name: string, provider: Provider<D, L>, desired: Input<D>, options?: EnsureOptions<L> & { state?: 'present' }): Task<L>;
export function ensure<D, L>(
  name: string,
  provider: Provider<D, L>,
  desired: Input<D>,
  options: EnsureOptions<undefined> & { state: 'absent' },
): Task<undefined>;
export function ensure<D, L>(name: string, provider: Provider<D, L>, desired: Input<D>, options?: EnsureOptions<L | undefined>): Task<L | undefined>;
export function ensure<D, L>(name: string, provider: Provider<D, L>, desired: Input<D>, options: EnsureOptions<any> = {}): Task<L | undefined> {
  const [{ state = 'present' }, common] = splitOptions(options);
  return defineTask<L | undefined>({
    kind: provider.kind,
    name,
    options: common,
    validate: (report) => {
      if (state !== 'present' && state !== 'absent') report(`state must be "present" or "absent", not "${String(state)}"`);
      if (isStatic(desired)) provider.validate?.(desired, report);
    },
    ...(provider.preflight && state === 'present'
      ? {
          preflight: async (ctx: TaskContext) => {
            try {
              return await provider.preflight!(ctx, resolve(desired, ctx));
            } catch (error) {
              // A target that refuses the check (bad credentials) is a problem found before any change.
              if (error instanceof TargetError) return [error.message];
              throw error;
            }
          },
        }
      : {}),
    plan: async (ctx) => {
      const want = resolve(desired, ctx);
      if (!isStatic(desired) && provider.validate) {
        const problems: string[] = [];
        provider.validate(want, (m) => problems.push(m));
        if (problems.length) throw new TaskError(ctx.path, problems.join('; '));
      }
      const what = provider.describe(want);
      const target = provider.id(want);
      const live = await provider.read(ctx, want);

      if (state === 'absent') {
        if (live === undefined && ctx.plannedCreate(target)) {
          // A check run: an earlier task creates it, so the real run deletes it here.
          return {
            changes: [{ target, action: 'delete', summary: `delete ${what}` }],
            predicted: undefined,
            apply: async () => {
              const now = await provider.read(ctx, want);
              if (now !== undefined) await provider.delete(ctx, want, now);
              return undefined;
            },
          };
        }
        if (live === undefined) return noChange(`${what} is already absent`, undefined);
        return {
          changes: [{ target, action: 'delete', summary: `delete ${what}` }],
          predicted: undefined,
          apply: async () => {
            await provider.delete(ctx, want, live);
            return undefined;
          },
        };
      }

      const converge = async (): Promise<L> => {
        const after = await provider.read(ctx, want);
        if (after === undefined) throw new TaskError(ctx.path, `${what} is still absent after it was created`);
        const left = provider.diff(want, after);
        if (left.length) throw new TaskError(ctx.path, `${what} still differs after the change: ${names(left)}`);
        return after;
      };

      if (live === undefined) {
        const predicted = provider.predict?.(want, undefined);
        return {
          changes: [{ target, action: 'create', summary: `create ${what}` }],
          ...(predicted !== undefined ? { predicted } : {}),
          apply: async () => {
            await provider.create(ctx, want);
            return converge();
          },
        };
      }

      const fields = provider.diff(want, live);
      if (fields.length === 0) return noChange(`${what} already matches`, live);
      const predicted = provider.predict?.(want, live);
      const replace = fields.filter((f) => f.replace);
      if (replace.length) {
        return {
          changes: [
            { target, action: 'delete', summary: `replace ${what}: ${names(replace)} cannot change in place` },
            { target, action: 'create', summary: `create ${what} again`, ...fieldDiff(fields) },
          ],
          ...(predicted !== undefined ? { predicted } : {}),
          apply: async () => {
            await provider.delete(ctx, want, live);
            await provider.create(ctx, want);
            return converge();
          },
        };
      }
      return {
        changes: [{ target, action: 'update', summary: `update ${what}: ${names(fields)}`, ...fieldDiff(fields) }],
        ...(predicted !== undefined ? { predicted } : {}),
        apply: async () => {
          await provider.update(ctx, want, live, fields);
          return converge();
        },
      };
    },
  });
}

/** Splits a module's options into the resource wish and the task options (`state`, `when`, …). */
export function splitEnsureOptions<S extends object>(options: S & EnsureOptions<any>): [Omit<S, keyof EnsureOptions<any>>, EnsureOptions<any>] {
  const [rest, common] = splitOptions(options);
  const { state, ...spec } = rest as typeof rest & { state?: EnsureState };
  return [spec as Omit<S, keyof EnsureOptions<any>>, state ? { ...common, state } : common];
}

/** `redirectUris, secret (hidden)`: the changed property names, secret ones marked. */
export function names(fields: readonly FieldChange[]): string {
  return fields.map((f) => (f.secret ? `${f.field} (secret, value hidden)` : f.field)).join(', ');
}

/** The before/after text of the non-secret changed fields, masked, for `--diff`. */
export function fieldDiff(fields: readonly FieldChange[]): Pick<Change, 'diff'> | Record<string, never> {
  const shown = fields.filter((f) => !f.secret && !isSecret(f.before) && !isSecret(f.after));
  if (shown.length === 0) return {};
  const render = (pick: (f: FieldChange) => unknown): string =>
    `${shown.map((f) => `${f.field}: ${pick(f) === undefined ? '(unset)' : JSON.stringify(maskDeep(pick(f)))}`).join('\n')}\n`;
  return { diff: { before: render((f) => f.before), after: render((f) => f.after) } };
}

/** How `compareFields` treats one property. */
export interface FieldRule {
  /** An unordered list (redirect URIs): order and duplicates do not matter. */
  set?: boolean;
  /** A secret value: compared, never shown. */
  secret?: boolean;
  /** Cannot change in place. */
  replace?: boolean;
}

/**
 * Compares the properties the wish states (those not `undefined`) with the live object.
 * Records (e.g. Keycloak `attributes`) are compared key by key, so keys the target adds on
 * its own are left alone; arrays by value, or as sets when the rule says so.
 */
export function compareFields(desired: object, liveObject: object, rules: Readonly<Record<string, FieldRule>> = {}): FieldChange[] {
  const live = liveObject as Readonly<Record<string, unknown>>;
  const out: FieldChange[] = [];
  for (const [field, want] of Object.entries(desired)) {
    if (want === undefined) continue;
    const rule = rules[field] ?? {};
    const have = live[field];
    const flags = { ...(rule.secret || isSecret(want) ? { secret: true } : {}), ...(rule.replace ? { replace: true } : {}) };
    if (isPlainRecord(want) && !rule.set) {
      const haveRec = isPlainRecord(have) ? have : {};
      for (const [key, value] of Object.entries(want)) {
        if (value === undefined) continue;
        if (!same(value, haveRec[key], false)) {
          out.push({ field: `${field}.${key}`, before: haveRec[key], after: value, ...flags });
        }
      }
      continue;
    }
    if (!same(want, have, rule.set === true)) out.push({ field, before: have, after: want, ...flags });
  }
  return out;
}

function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !isSecret(v);
}

function same(want: unknown, have: unknown, asSet: boolean): boolean {
  if (isSecret(want)) return typeof have === 'string' ? want.equals(have) : isSecret(have) && want.equals(have);
  if (Array.isArray(want)) {
    if (!Array.isArray(have)) return want.length === 0 && (have === undefined || have === null);
    if (asSet) {
      const a = new Set(want.map((v) => JSON.stringify(v)));
      const b = new Set(have.map((v) => JSON.stringify(v)));
      return a.size === b.size && [...a].every((v) => b.has(v));
    }
    return want.length === have.length && want.every((v, i) => same(v, have[i], false));
  }
  if (isPlainRecord(want)) {
    if (!isPlainRecord(have)) return false;
    const keys = new Set([...Object.keys(want), ...Object.keys(have)]);
    return [...keys].every((k) => same(want[k], have[k], false));
  }
  return want === have;
}
