import { T, type PType, typeOf, unify } from './ptype.ts';
import type { Hint } from './jinja/scope.ts';

/**
 * What the port learns about variables across a whole project. The port runs twice: the
 * first pass records every use (names read, what uses say about types, what call sites pass
 * to roles), the second generates code with the settled types, so a schema, a role signature
 * and every use of a variable agree.
 */

/** A variable of the component: read by a playbook, given by the inventory. */
export interface ComponentVar {
  readonly name: string;
  type: PType;
  /** Read with `default()` / `is defined`: may be absent. */
  optional: boolean;
  /** Defined by an inventory or group_vars (value below), or nowhere (listed in the report). */
  defined: boolean;
  /** The first value the inventories give. */
  value?: unknown;
  /** `lookup('env', NAME)` in play vars: a secret read from the environment. */
  envSecret?: string;
  /** A Jinja string in group_vars (`https://auth.{{ domain_name }}`): computed in component.ts. */
  derived?: string;
  /** Files that read it. */
  readonly usedIn: Set<string>;
}

/** A role's parameter. */
export interface RoleParam {
  readonly name: string;
  type: PType;
  /** The default (from defaults/main.yml), when it has one. */
  hasDefault: boolean;
  defaultValue?: unknown;
  optional: boolean;
}

export class Knowledge {
  readonly vars = new Map<string, ComponentVar>();
  /** Role name → parameter name → parameter. */
  readonly roleParams = new Map<string, Map<string, RoleParam>>();
  /** Types given to variables by hints, by scope key (`component` or `role:<name>`) and name. */
  readonly hints = new Map<string, Map<string, Set<Hint>>>();
  /** Types seen at role call sites, by role and parameter. */
  readonly callTypes = new Map<string, Map<string, PType>>();
  /** True once the first pass is done and types are settled. */
  settled = false;
  /** Values the inventories and group_vars give, by name (the first inventory wins). */
  readonly inventory = new Map<string, unknown>();

  hint(scopeKey: string, name: string, h: Hint): void {
    let m = this.hints.get(scopeKey);
    if (!m) this.hints.set(scopeKey, (m = new Map()));
    let s = m.get(name);
    if (!s) m.set(name, (s = new Set()));
    s.add(h);
  }

  hintsFor(scopeKey: string, name: string): ReadonlySet<Hint> {
    return this.hints.get(scopeKey)?.get(name) ?? new Set();
  }

  /** A component variable, created on first read. */
  componentVar(name: string, file: string): ComponentVar {
    let v = this.vars.get(name);
    if (!v) {
      v = { name, type: T.string, optional: false, defined: false, usedIn: new Set() };
      if (this.inventory.has(name)) {
        const value = this.inventory.get(name);
        v.defined = true;
        v.value = value;
        if (typeof value === 'string' && /\{\{|\{%/.test(value)) v.derived = value;
        else if (value?.constructor?.name === 'VaultValue') v.type = T.secret;
        else v.type = typeOf(value);
      }
      this.vars.set(name, v);
    }
    v.usedIn.add(file);
    return v;
  }

  callType(role: string, param: string, t: PType): void {
    let m = this.callTypes.get(role);
    if (!m) this.callTypes.set(role, (m = new Map()));
    const prev = m.get(param);
    m.set(param, prev ? unify(prev, t) : t);
  }

  /** Settles types from hints after the first pass. */
  settle(): void {
    for (const v of this.vars.values()) {
      const h = this.hintsFor('component', v.name);
      if (h.has('secret')) v.type = T.secret;
      else if (!v.defined && !v.envSecret) v.type = fromHints(h, v.type);
      if (h.has('optional')) v.optional = true;
    }
    for (const [role, params] of this.roleParams) {
      for (const p of params.values()) {
        const h = this.hintsFor(`role:${role}`, p.name);
        if (!p.hasDefault) p.type = fromHints(h, p.type);
        if (h.has('secret')) p.type = T.secret;
        const called = this.callTypes.get(role)?.get(p.name);
        if (called && called.k === 'secret') p.type = T.secret;
        // A structure passed where the role's own use said nothing better than text (a
        // request body handed on): the callers' type.
        else if (called && !p.hasDefault && p.type.k === 'string' && (called.k === 'object' || called.k === 'array' || called.k === 'record')) p.type = called;
        if (h.has('optional') && !p.hasDefault) p.optional = true;
      }
    }
    this.settled = true;
  }
}

function fromHints(h: ReadonlySet<Hint>, fallback: PType): PType {
  if (h.has('array')) return T.array(T.any);
  if (h.has('bool')) return T.boolean;
  if (h.has('object')) return T.any;
  if (h.has('number')) return T.number;
  return fallback;
}

/** The type of an inventory value (strings that hold Jinja are computed, typed as strings). */
export function inventoryType(value: unknown): PType {
  return typeOf(value);
}

/** Names Ansible defines by itself, with what they read as in helix (or nothing). */
export const MAGIC: Readonly<Record<string, { code: string; type: PType; ctx?: boolean; member?: (name: string) => { code: string; type: PType } }>> = {
  inventory_hostname: { code: 'ctx.host.name', type: T.string, ctx: true },
  inventory_hostname_short: { code: "ctx.host.name.split('.')[0]!", type: T.string, ctx: true },
  ansible_host: { code: '(ctx.host.spec?.address ?? ctx.host.name)', type: T.string, ctx: true },
  ansible_user: { code: "(ctx.host.spec?.user ?? '')", type: T.string, ctx: true },
  // A group the inventory does not define has no hosts (Ansible: an empty list).
  groups: {
    code: 'env.groups',
    type: T.any,
    member: (n) => ({ code: `(env.groups[${JSON.stringify(n).replace(/'/g, "\\'").replace(/^"|"$/g, "'")}] ?? [])`, type: T.array(T.string) }),
  },
  playbook_dir: { code: 'import.meta.dirname', type: T.string },
  ansible_managed: { code: "'Managed by helix'", type: T.string },
  role_path: { code: 'import.meta.dirname', type: T.string },
};
