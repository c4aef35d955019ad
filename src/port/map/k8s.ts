import { T } from '../ptype.ts';
import { arr, arrow, call, type Code, obj, raw } from '../emit/code.ts';
import { quote } from '../jinja/code.ts';
import { type MapCx, type Mapped, type ResultShape, input, millis, only, readsCtx, staticBool, str, todo, value, type Val } from './context.ts';

/** apiVersion of kinds named without one (`k8s: kind: Namespace name: x`). */
const API_VERSIONS: Record<string, string> = {
  Namespace: 'v1',
  ConfigMap: 'v1',
  Secret: 'v1',
  Service: 'v1',
  ServiceAccount: 'v1',
  PersistentVolumeClaim: 'v1',
  PersistentVolume: 'v1',
  Pod: 'v1',
  Endpoints: 'v1',
  LimitRange: 'v1',
  ResourceQuota: 'v1',
  Node: 'v1',
  Deployment: 'apps/v1',
  StatefulSet: 'apps/v1',
  DaemonSet: 'apps/v1',
  ReplicaSet: 'apps/v1',
  Job: 'batch/v1',
  CronJob: 'batch/v1',
  Ingress: 'networking.k8s.io/v1',
  NetworkPolicy: 'networking.k8s.io/v1',
  Role: 'rbac.authorization.k8s.io/v1',
  RoleBinding: 'rbac.authorization.k8s.io/v1',
  ClusterRole: 'rbac.authorization.k8s.io/v1',
  ClusterRoleBinding: 'rbac.authorization.k8s.io/v1',
  HTTPRoute: 'gateway.networking.k8s.io/v1',
  StorageClass: 'storage.k8s.io/v1',
  CustomResourceDefinition: 'apiextensions.k8s.io/v1',
  PodDisruptionBudget: 'policy/v1',
  HorizontalPodAutoscaler: 'autoscaling/v2',
};

/** Connection arguments: helix reads the cluster from the inventory (`kubernetes:`), once per run. */
const CONNECTION = [
  'kubeconfig',
  'context',
  'host',
  'api_key',
  'validate_certs',
  'verify_ssl',
  'ca_cert',
  'client_cert',
  'client_key',
  'username',
  'password',
  'proxy',
  'persist_config',
  'impersonate_user',
];
/** Apply tuning helix does not need: it always applies server-side with field manager `helix`. */
const APPLY_TUNING = ['apply', 'merge_type', 'server_side_apply', 'validate', 'continue_on_error', 'generate_name'];

const TEMPLATE_LOOKUP =
  /^\s*\{\{-?\s*lookup\(\s*['"](?:ansible\.builtin\.)?template['"]\s*,\s*['"]([^'"{}]+)['"]\s*\)\s*(\|\s*(from_yaml_all|from_yaml)\s*)?-?\}\}\s*$/;

/** `k8s.apply`'s result (`KubeObject[]`) read the way Ansible's `result` reads. */
const APPLY_RESULT: ResultShape = {
  type: T.array(T.any),
  member: (r, n) => (n === 'result' ? { code: `${r}[0]!`, type: T.any, ctx: readsCtx(r) } : undefined),
};

/** `k8s.get` read the way `k8s_info` results read (`resources` is a list). */
export const GET_RESULT: ResultShape = {
  type: T.any,
  member: (r, n) =>
    n === 'resources'
      ? {
          code: `(${r} ? [${r}] : [])`,
          type: T.array(T.any),
          ctx: readsCtx(r),
          // `resources[0]`: the object itself (Ansible fails the same way when it is absent).
          member: (i) => (i === '0' ? { code: `${r}!`, type: T.any, ctx: readsCtx(r) } : undefined),
        }
      : undefined,
};

/** Where a secret may stay a `Secret` in a manifest: a Secret's data and stringData values. */
const secretData = (path: readonly string[]): boolean => (path.at(-2) === 'data' || path.at(-2) === 'stringData') && path.length >= 2;

/** The manifest source option of apply/remove: manifest, manifests, file or a rendered template. */
function source(cx: MapCx): [string, Code] | undefined {
  const a = cx.task.args;
  const def = a.definition ?? a.resource_definition;
  if (def !== undefined) {
    if (typeof def === 'string') {
      const m = TEMPLATE_LOOKUP.exec(def);
      if (m) return fromTemplate(cx, m[1]!);
      if (!/\{\{|\{%/.test(def)) return ['manifests', arr([raw(quote(def))])];
      // A sole expression (a variable holding a manifest) or a templated YAML text.
      const v = value(def, cx.scope);
      if (v.type.k === 'string') return ['manifests', v.ctx ? arrow('(ctx)', arr([v.code])) : arr([v.code])];
      return [v.type.k === 'array' ? 'manifests' : 'manifest', input(v)];
    }
    for (const d of Array.isArray(def) ? def : [def]) refuseGenerateName(d);
    const v = value(def, cx.scope, { secretOk: secretData });
    return [Array.isArray(def) ? 'manifests' : 'manifest', input(v)];
  }
  if (a.template !== undefined) {
    const t = a.template;
    const path =
      typeof t === 'string' ? t : typeof t === 'object' && t && typeof (t as { path?: unknown }).path === 'string' ? (t as { path: string }).path : undefined;
    if (!path || /\{\{/.test(path)) todo('module-args', 'template: a computed template path');
    return fromTemplate(cx, path);
  }
  if (a.src !== undefined) {
    if (typeof a.src !== 'string') todo('module-args', 'src: not a path');
    const rendered = cx.earlier.renderedFiles.get(a.src);
    if (rendered) {
      // The file was rendered by an earlier `template:` task: apply what it renders.
      if (rendered.hbs) return ['manifests', renderHbs(cx, rendered.hbs.source, rendered.hbs.vars)];
      return ['manifests', rendered.text.ctx ? arrow('(ctx)', arr([rendered.text.code])) : arr([rendered.text.code])];
    }
    const url = cx.fileUrl(a.src);
    if (url) return ['file', raw(url)];
    if (/\{\{/.test(a.src)) {
      const p = str(a.src, cx.scope);
      if (p.ctx) todo('module-args', 'src: a path computed from earlier results');
      return ['file', raw(p.code)];
    }
    if (!a.src.startsWith('/')) todo('module-args', `src: ${a.src} is neither a known file nor an absolute path`);
    return ['file', raw(quote(a.src))];
  }
  return undefined;
}

/**
 * `metadata.generateName` without a name: the server names each new object, so every run
 * creates another one. helix applies an object by its name (server-side apply: the second run
 * plans nothing), so such an object has no helix translation.
 */
function refuseGenerateName(d: unknown): void {
  const meta = typeof d === 'object' && d !== null ? (d as { metadata?: unknown }).metadata : undefined;
  if (typeof meta !== 'object' || meta === null) return;
  const m = meta as { name?: unknown; generateName?: unknown };
  if (m.generateName !== undefined && m.name === undefined) {
    todo(
      'module-args',
      `metadata.generateName ${String(m.generateName)}: helix applies objects by name (server-side apply), and a server-made name creates a new object each run; give it a name`,
    );
  }
}

function renderHbs(cx: MapCx, src: string, vars: Val): Code {
  const t = cx.module('template');
  return call(`${t}.manifests`, raw(src), vars.ctx ? arrow('(ctx)', vars.code) : vars.code);
}

function fromTemplate(cx: MapCx, path: string): [string, Code] {
  const ref = cx.template(path);
  if (!ref) todo('template-unsupported', `template ${path} not found`);
  const r = cx.renderTemplate(ref);
  if (r.kind === 'hbs') return ['manifests', renderHbs(cx, r.source, r.vars)];
  return ['manifests', r.text.ctx ? arrow('(ctx)', arr([r.text.code])) : arr([r.text.code])];
}

function ref(cx: MapCx, required: boolean): (readonly [string, Code])[] | undefined {
  const a = cx.task.args;
  if (a.kind === undefined || a.name === undefined) {
    if (required) todo('module-args', 'needs kind and name (or a definition)');
    return undefined;
  }
  const kind = str(a.kind, cx.scope);
  const apiVersion = a.api_version ?? a.apiVersion ?? (kind.literal ? API_VERSIONS[kind.literal] : undefined);
  if (apiVersion === undefined) todo('module-args', `api_version is needed for kind ${kind.literal ?? kind.code}`);
  const parts: [string, Code][] = [
    ['apiVersion', raw(str(apiVersion, cx.scope).code)],
    ['kind', raw(kind.code)],
    ['name', raw(str(a.name, cx.scope).code)],
  ];
  if (a.namespace !== undefined) parts.push(['namespace', raw(str(a.namespace, cx.scope).code)]);
  if (parts.some(([, c]) => c.k === 'raw' && /\bctx\b/.test(c.code))) todo('module-args', 'an object named from earlier results');
  return parts;
}

/** `k8s.list`'s result read the way a listing `k8s_info` reads (`resources` is the list). */
const LIST_RESULT: ResultShape = {
  type: T.array(T.any),
  member: (r, n) =>
    n === 'resources'
      ? {
          code: r,
          type: T.array(T.any),
          ctx: readsCtx(r),
          // `resources[0]`: that object (Ansible fails the same way when there is none).
          member: (i) => (/^\d+$/.test(i) ? { code: `${r}[${i}]!`, type: T.any, ctx: readsCtx(r) } : undefined),
        }
      : undefined,
};

/** kind, namespace and selectors of a listing `k8s_info` (selectors: a list ANDed, or text). */
function listOptions(cx: MapCx): (readonly [string, Code])[] {
  const a = cx.task.args;
  if (a.kind === undefined) todo('module-args', 'needs a kind');
  const kind = str(a.kind, cx.scope);
  const apiVersion = a.api_version ?? a.apiVersion ?? (kind.literal ? API_VERSIONS[kind.literal] : undefined);
  if (apiVersion === undefined) todo('module-args', `api_version is needed for kind ${kind.literal ?? kind.code}`);
  const parts: (readonly [string, Code])[] = [['apiVersion', raw(str(apiVersion, cx.scope).code)], ['kind', raw(kind.code)], ...namespaceOption(cx)];
  for (const [key, opt] of [
    ['label_selectors', 'labelSelector'],
    ['field_selectors', 'fieldSelector'],
  ] as const) {
    const v = a[key];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v.map(String) : [String(v)];
    const joined = str(list.join(','), cx.scope);
    parts.push([opt, raw(joined.code)]);
  }
  if (a.name !== undefined) {
    // A name with selectors: the name as a field selector, as the API does.
    parts.push(['fieldSelector', raw(str(`metadata.name=${String(a.name)}`, cx.scope).code)]);
    if (a.field_selectors !== undefined) todo('module-args', 'k8s_info with a name and field selectors');
  }
  if (parts.some(([, c]) => c.k === 'raw' && /\bctx\b/.test(c.code))) todo('module-args', 'a selection computed from earlier results');
  return parts;
}

function namespaceOption(cx: MapCx): (readonly [string, Code])[] {
  const ns = cx.task.args.namespace;
  if (ns === undefined) return [];
  const t = str(ns, cx.scope);
  if (t.ctx) todo('module-args', 'namespace: computed from earlier results');
  return [['namespace', raw(t.code)]];
}

function dropConnection(cx: MapCx): void {
  if (CONNECTION.some((k) => cx.task.args[k] !== undefined))
    cx.note('kubeconfig/context arguments dropped: helix reads the cluster from the inventory (`kubernetes:`)');
}

/** `kubernetes.core.k8s`: state present → `k8s.apply`, absent → `k8s.remove`. */
export function mapK8s(cx: MapCx): Mapped {
  const a = cx.task.args;
  const state = a.state ?? 'present';
  only(
    cx,
    [
      'state',
      'definition',
      'resource_definition',
      'src',
      'template',
      'namespace',
      'name',
      'kind',
      'api_version',
      'apiVersion',
      'wait',
      'wait_condition',
      'wait_timeout',
      'wait_sleep',
      'force',
      'delete_options',
    ],
    [...CONNECTION, ...APPLY_TUNING],
  );
  dropConnection(cx);
  const k8s = cx.module('k8s');
  if (state === 'absent') {
    const src = source(cx);
    const options: (readonly [string, Code])[] = src ? [src, ...namespaceOption(cx)] : ref(cx, true)!;
    const extra: [string, Code][] = [];
    const prop = (a.delete_options as { propagationPolicy?: unknown } | undefined)?.propagationPolicy;
    if (typeof prop === 'string') extra.push(['propagation', raw(quote(prop))]);
    const wait = staticBool(cx, 'wait');
    // Ansible does not wait for deletion by default; helix does unless told not to.
    extra.push(['wait', raw(String(wait ?? false))]);
    if (a.wait_timeout !== undefined) extra.push(['timeoutMs', millis(a.wait_timeout, cx.scope)]);
    return { kind: 'task', fn: `${k8s}.remove`, options: [...options, ...extra], result: { type: T.array(T.any) } };
  }
  if (state !== 'present') todo('module-args', `state: ${String(state)}`);
  let src = source(cx);
  if (!src) {
    const r = ref(cx, true)!;
    // `k8s: kind: Namespace name: x`: the minimal object.
    const get = (k: string): Code => r.find(([n]) => n === k)![1];
    const ns = r.find(([n]) => n === 'namespace');
    src = [
      'manifest',
      obj([
        ['apiVersion', get('apiVersion')],
        ['kind', get('kind')],
        ['metadata', obj([['name', get('name')], ...(ns ? [['namespace', ns[1]] as const] : [])])],
      ]),
    ];
    const options: (readonly [string, Code])[] = [src];
    return { kind: 'task', fn: `${k8s}.apply`, options, result: APPLY_RESULT };
  }
  const options: (readonly [string, Code])[] = [src, ...namespaceOption(cx)];
  const extra: [string, Code][] = [];
  if (staticBool(cx, 'force')) extra.push(['force', raw('true')]);
  const wait = staticBool(cx, 'wait');
  if (wait) {
    if (a.wait_condition) {
      const c = a.wait_condition as { type?: string; status?: string };
      cx.note(`wait_condition ${c.type ?? ''}=${c.status ?? 'True'} became a readiness wait (rolled out, complete, established)`);
    }
    extra.push(['wait', a.wait_timeout !== undefined ? obj([['timeoutMs', millis(a.wait_timeout, cx.scope)]]) : raw('true')]);
  }
  return { kind: 'task', fn: `${k8s}.apply`, options: [...options, ...extra], result: APPLY_RESULT };
}

/** `k8s_info`: one named object → `k8s.get` (or `k8s.wait` with `wait:`); selectors have no task. */
export function mapK8sInfo(cx: MapCx): Mapped {
  const a = cx.task.args;
  only(
    cx,
    ['kind', 'name', 'namespace', 'api_version', 'apiVersion', 'wait', 'wait_condition', 'wait_timeout', 'wait_sleep'],
    [...CONNECTION, 'label_selectors', 'field_selectors'],
  );
  dropConnection(cx);
  const k8s = cx.module('k8s');
  if (a.label_selectors !== undefined || a.field_selectors !== undefined || a.name === undefined) {
    if (a.wait !== undefined && staticBool(cx, 'wait')) todo('module-args', 'k8s_info waiting on a selection of objects');
    return { kind: 'task', fn: `${k8s}.list`, options: listOptions(cx), result: LIST_RESULT };
  }
  const r = ref(cx, true)!;
  if (staticBool(cx, 'wait')) {
    const c = a.wait_condition as { type?: string; status?: string } | undefined;
    const waitFor: Code = c?.type
      ? obj([['condition', raw(quote(String(c.type)))], ...(c.status ? [['status', raw(quote(String(c.status)))] as const] : [])])
      : raw("'ready'");
    const timeout: [string, Code][] = a.wait_timeout !== undefined ? [['timeoutMs', millis(a.wait_timeout, cx.scope)]] : [];
    return { kind: 'task', fn: `${k8s}.wait`, options: [...r, ['for', waitFor], ...timeout], result: GET_RESULT };
  }
  return { kind: 'task', fn: `${k8s}.get`, options: r, result: GET_RESULT };
}
