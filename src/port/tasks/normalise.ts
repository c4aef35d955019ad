import type { SourceTask } from '../ansible/source.ts';
import { canonicalModule, COMMAND_INLINE_KEYS, FREE_FORM, isLoopKeyword, TASK_KEYWORDS } from './modules.ts';
import { parseKv } from './kv.ts';

/** A loop in one of its spellings, reduced to what to iterate and the item's name. */
export interface Loop {
  /** The keyword as written (`loop`, `with_items`, `with_dict` …). */
  readonly keyword: string;
  /** A list, or a Jinja string yielding one. */
  readonly items: unknown;
  readonly var: string;
  readonly indexVar?: string;
  readonly label?: unknown;
  /** `with_items` flattens one level; `with_dict` iterates key/value pairs. */
  readonly shape: 'list' | 'flatten' | 'dict';
}

/** The keywords every task and block may carry. */
export interface Keywords {
  readonly name?: string;
  /** Conditions ANDed together (a list `when:` is an AND). */
  readonly when: readonly (string | boolean)[];
  readonly tags: readonly string[];
  readonly vars: Readonly<Record<string, unknown>>;
  readonly become?: boolean;
  readonly becomeUser?: string;
  readonly delegateTo?: string;
  readonly runOnce?: boolean;
  readonly ignoreErrors?: boolean | string;
  readonly noLog?: boolean | string;
  readonly environment?: unknown;
  readonly checkMode?: unknown;
  /** Keywords the port does not carry (`async`, `throttle` …). */
  readonly ignored: readonly string[];
}

export interface NormTask extends Keywords {
  readonly type: 'task';
  /** Canonical module name (`k8s`, `uri`, `command`). */
  readonly module: string;
  /** The module key as written (`kubernetes.core.k8s`). */
  readonly moduleKey: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly loop?: Loop;
  readonly register?: string;
  readonly until?: string | boolean;
  readonly retries?: unknown;
  readonly delay?: unknown;
  readonly failedWhen?: readonly (string | boolean)[];
  readonly changedWhen?: readonly (string | boolean)[];
  readonly notify: readonly string[];
  readonly listen: readonly string[];
  readonly source: SourceTask;
}

export interface NormBlock extends Keywords {
  readonly type: 'block';
  readonly block: readonly Norm[];
  readonly rescue: readonly Norm[];
  readonly always: readonly Norm[];
  readonly source: SourceTask;
}

/** A task the normaliser could not read at all (no module, two modules). */
export interface NormBroken {
  readonly type: 'broken';
  readonly message: string;
  readonly source: SourceTask;
}

export type Norm = NormTask | NormBlock | NormBroken;

const strList = (v: unknown): string[] =>
  v === undefined || v === null
    ? []
    : Array.isArray(v)
      ? v.map(String)
      : String(v)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);

const conds = (v: unknown): (string | boolean)[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.map((c) => (typeof c === 'boolean' ? c : String(c))) : [typeof v === 'boolean' ? v : String(v)];

function keywords(d: Record<string, unknown>, handled: Set<string>): Keywords {
  const known = new Set([
    'name',
    'when',
    'tags',
    'vars',
    'become',
    'become_user',
    'delegate_to',
    'run_once',
    'ignore_errors',
    'no_log',
    'environment',
    'check_mode',
    ...handled,
  ]);
  const ignored = Object.keys(d).filter((k) => TASK_KEYWORDS.has(k) && !known.has(k) && !isLoopKeyword(k));
  return {
    ...(typeof d.name === 'string' ? { name: d.name } : {}),
    when: conds(d.when),
    tags: strList(d.tags),
    vars: (d.vars as Record<string, unknown>) ?? {},
    ...(d.become !== undefined ? { become: d.become === true || d.become === 'yes' || d.become === 'true' } : {}),
    ...(typeof d.become_user === 'string' ? { becomeUser: d.become_user } : {}),
    ...(typeof d.delegate_to === 'string' ? { delegateTo: d.delegate_to } : {}),
    ...(d.run_once !== undefined ? { runOnce: Boolean(d.run_once) } : {}),
    ...(d.ignore_errors !== undefined ? { ignoreErrors: typeof d.ignore_errors === 'string' ? d.ignore_errors : Boolean(d.ignore_errors) } : {}),
    ...(d.no_log !== undefined ? { noLog: typeof d.no_log === 'string' ? d.no_log : Boolean(d.no_log) } : {}),
    ...(d.environment !== undefined ? { environment: d.environment } : {}),
    ...(d.check_mode !== undefined ? { checkMode: d.check_mode } : {}),
    ignored,
  };
}

function readLoop(d: Record<string, unknown>): Loop | undefined {
  const key = Object.keys(d).find(isLoopKeyword);
  if (!key) return undefined;
  const control = (d.loop_control as Record<string, unknown>) ?? {};
  const shape: Loop['shape'] = key === 'with_dict' ? 'dict' : key === 'with_items' ? 'flatten' : 'list';
  return {
    keyword: key,
    items: d[key],
    var: typeof control.loop_var === 'string' ? control.loop_var : 'item',
    ...(typeof control.index_var === 'string' ? { indexVar: control.index_var } : {}),
    ...(control.label !== undefined ? { label: control.label } : {}),
    shape,
  };
}

/** Normalises one task: finds its module in any spelling, merges free-form and `args:`. */
export function normalise(t: SourceTask): Norm {
  const d = t.data;
  if (Array.isArray(d.block)) {
    const kids = t.children ?? {};
    return {
      type: 'block',
      ...keywords(d, new Set(['block', 'rescue', 'always'])),
      block: (kids.block ?? []).map(normalise),
      rescue: (kids.rescue ?? []).map(normalise),
      always: (kids.always ?? []).map(normalise),
      source: t,
    };
  }
  let moduleKey: string | undefined;
  let raw: unknown;
  let delegateTo: string | undefined;
  if (d.action !== undefined || d.local_action !== undefined) {
    const a = d.action ?? d.local_action;
    if (d.local_action !== undefined) delegateTo = 'localhost';
    if (typeof a === 'string') {
      const [m, ...rest] = a.trim().split(/\s+/);
      moduleKey = m;
      raw = rest.join(' ');
    } else if (a && typeof a === 'object') {
      const { module, ...rest } = a as Record<string, unknown>;
      moduleKey = typeof module === 'string' ? module : undefined;
      raw = rest;
    }
  } else {
    const candidates = Object.keys(d).filter((k) => !TASK_KEYWORDS.has(k) && !isLoopKeyword(k) && k !== 'loop_control');
    if (candidates.length > 1) {
      return { type: 'broken', message: `more than one module key: ${candidates.join(', ')}`, source: t };
    }
    moduleKey = candidates[0];
    if (moduleKey) raw = d[moduleKey];
  }
  if (!moduleKey) return { type: 'broken', message: 'no module', source: t };
  const module = canonicalModule(moduleKey);
  let args: Record<string, unknown>;
  if (typeof raw === 'string') {
    args = FREE_FORM.has(module)
      ? module === 'command' || module === 'shell'
        ? parseKv(raw, COMMAND_INLINE_KEYS)
        : { _raw_params: raw.trim() }
      : parseKv(raw);
  } else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    args = { ...(raw as Record<string, unknown>) };
    // `command: { cmd: … }` is the structured spelling of the free form.
  } else args = raw === null || raw === undefined ? {} : { _raw_params: raw };
  if (d.args && typeof d.args === 'object') args = { ...args, ...(d.args as Record<string, unknown>) };

  const kw = keywords(
    d,
    new Set(['action', 'local_action', 'args', 'register', 'until', 'retries', 'delay', 'failed_when', 'changed_when', 'notify', 'listen', 'loop_control']),
  );
  const loop = readLoop(d);
  return {
    type: 'task',
    ...kw,
    ...(delegateTo && !kw.delegateTo ? { delegateTo } : {}),
    module,
    moduleKey,
    args,
    ...(loop ? { loop } : {}),
    ...(typeof d.register === 'string' ? { register: d.register } : {}),
    ...(d.until !== undefined ? { until: typeof d.until === 'boolean' ? d.until : String(d.until) } : {}),
    ...(d.retries !== undefined ? { retries: d.retries } : {}),
    ...(d.delay !== undefined ? { delay: d.delay } : {}),
    ...(d.failed_when !== undefined ? { failedWhen: conds(d.failed_when) } : {}),
    ...(d.changed_when !== undefined ? { changedWhen: conds(d.changed_when) } : {}),
    notify: strList(d.notify),
    listen: strList(d.listen),
    source: t,
  };
}

/** Counts tasks (not blocks) in a normalised list, recursively. */
export function countTasks(list: readonly Norm[]): number {
  let n = 0;
  for (const x of list) n += x.type === 'block' ? countTasks(x.block) + countTasks(x.rescue) + countTasks(x.always) : 1;
  return n;
}
