import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve as resolvePath } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import type { Env, HostSpec } from './env.ts';
import { ConfigError, type Problem, ValidationError } from './errors.ts';
import { MIN_SECRET_LENGTH, Secret } from './secret.ts';
import { sandboxDir } from './paths.ts';

/**
 * A secret reference in the inventory: `{ secret: { env: NAME } }` or
 * `{ secret: { file: path } }`. The value never lives in the inventory file.
 */
const secretRef = z
  .object({
    secret: z
      .object({ env: z.string().min(1).optional(), file: z.string().min(1).optional() })
      .strict()
      .refine((s) => (s.env ? 1 : 0) + (s.file ? 1 : 0) === 1, 'give exactly one of env or file'),
  })
  .strict();

const hostSchema = z
  .object({
    address: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    user: z.string().min(1),
    key: z.string().optional(),
    hostKeys: z.array(z.string().min(1)).default([]),
    insecureSkipHostKeyCheck: z.boolean().default(false),
    becomePassword: z.unknown().optional(),
    vars: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

const inventorySchema = z
  .object({
    include: z.array(z.string()).default([]),
    kubernetes: z.object({ kubeconfig: z.string().optional(), context: z.string().optional(), inCluster: z.boolean().optional() }).strict().optional(),
    /** Where `--on-cluster` runs go (docs/in-cluster.md). */
    onCluster: z
      .object({
        /** Repository of the runner image, without tag: `registry.sandbox.test/helix/runner`. */
        image: z.string().min(1),
        /** Namespace of the Workflows and the runner's ServiceAccount (one Argo Workflows watches). @default argo */
        namespace: z.string().min(1).default('argo'),
        /** The Kubernetes Secret (in `namespace`) the run's secrets come from. @default helix-<component>-<env> */
        secret: z.string().min(1).optional(),
        /** A folder with the registry's CA as `ca.crt` (skopeo's cert dir); relative to the inventory file. */
        registryCertDir: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    tls: z
      .object({
        /** Refused when false: verification is turned off per target, under `targets`. */
        verify: z.boolean().optional(),
        /** `host` or `host:port` → `{ verify: false }` to skip that target's certificate checks. */
        targets: z.record(z.string(), z.object({ verify: z.boolean() }).strict()).default({}),
      })
      .strict()
      .default({ targets: {} }),
    vars: z.record(z.string(), z.unknown()).default({}),
    components: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    hosts: z.record(z.string(), hostSchema).default({}),
    groups: z
      .record(z.string(), z.object({ hosts: z.array(z.string()).default([]), vars: z.record(z.string(), z.unknown()).default({}) }).strict())
      .default({}),
  })
  .strict();

type RawInventory = z.infer<typeof inventorySchema>;

/** The inventory's `onCluster` section, paths absolute. */
export type OnClusterSettings = NonNullable<RawInventory['onCluster']>;

/** One file of an environment as written (secret references unresolved), and where it is. */
export interface InventoryLayer {
  raw: RawInventory;
  label: string;
  dir: string;
}

/** How secret references are read: their values, or stand-ins that read nothing (RBAC derivation). */
export interface LoadOptions {
  /** @default 'resolve' */
  secrets?: 'resolve' | 'placeholder';
}

/** `host` or `host:port` under `tls.targets` (no scheme, path or wildcard). */
const TLS_TARGET = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** The environment's data before a component's variables are picked and validated. */
export interface Inventory {
  name: string;
  file: string;
  kubernetes: Env['kubernetes'];
  /** The `onCluster` section: where in-cluster runs go. */
  onCluster?: OnClusterSettings;
  /** Targets whose TLS certificates are not verified → where that was set. */
  tlsUnverified: Record<string, string>;
  /** Shared vars merged with every component's own (component wins). */
  vars: Record<string, unknown>;
  components: Record<string, Record<string, unknown>>;
  hosts: Record<string, HostSpec>;
  groups: Record<string, string[]>;
  /** `vars.x` / `components.devpi.x` → where it was set. */
  provenance: Record<string, string>;
}

function expandPath(path: string, base: string): string {
  let p = path.replace(/^~(?=\/|$)/, homedir()).replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, n: string) => process.env[n] ?? '');
  if (!isAbsolute(p)) p = resolvePath(base, p);
  return p;
}

function readYaml(file: string, label: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`, label);
  }
  try {
    return parseYaml(text, { prettyErrors: true, uniqueKeys: true }) ?? {};
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` (line ${error.linePos[0].line})` : '';
    throw new ConfigError(`malformed YAML${where}: ${(error as Error).message.split('\n')[0]}`, label);
  }
}

function zodProblems(error: z.ZodError, prefix: string): Problem[] {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

function parseFile(file: string, label: string): RawInventory {
  const parsed = inventorySchema.safeParse(readYaml(file, label));
  if (!parsed.success) throw new ValidationError(zodProblems(parsed.error, label));
  return parsed.data;
}

/**
 * A secret value as read, or undefined (with a problem) when it is too short to be masked
 * safely in output: the length is reported, never the value.
 */
function checkedSecret(value: string, origin: string, path: string, problems: Problem[]): Secret | undefined {
  if (value.length < MIN_SECRET_LENGTH) {
    problems.push({
      path,
      message: `secret from ${origin} has ${value.length} character(s): at least ${MIN_SECRET_LENGTH} are needed so that it can be masked in output`,
    });
    return undefined;
  }
  return new Secret(value, origin);
}

/** Turns `{ secret: { env } }` / `{ secret: { file } }` into Secret values, collecting problems. */
function resolveSecrets(value: unknown, path: string, base: string, problems: Problem[], placeholder = false): unknown {
  const ref = secretRef.safeParse(value);
  if (ref.success) {
    const { env, file } = ref.data.secret;
    if (placeholder) return new Secret(`placeholder-of-${env ?? file}`, `a placeholder for ${env ? `environment variable ${env}` : `file ${file}`}`);
    if (env) {
      const v = process.env[env];
      if (v === undefined || v === '') {
        problems.push({ path, message: `secret from environment variable ${env} is not set` });
        return undefined;
      }
      return checkedSecret(v, `environment variable ${env}`, path, problems);
    }
    const full = expandPath(file!, base);
    if (!existsSync(full)) {
      problems.push({ path, message: `secret file ${full} does not exist` });
      return undefined;
    }
    return checkedSecret(readFileSync(full, 'utf8').replace(/\r?\n$/, ''), `file ${full}`, path, problems);
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveSecrets(v, `${path}[${i}]`, base, problems, placeholder));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveSecrets(v, `${path}.${k}`, base, problems, placeholder);
    return out;
  }
  return value;
}

/** Finds `inventory/<env>.yaml` under the project root. */
export function inventoryFile(root: string, env: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(env)) throw new ConfigError(`invalid environment name "${env}"`, 'env');
  const file = join(root, 'inventory', `${env}.yaml`);
  if (!existsSync(file)) throw new ConfigError(`unknown environment "${env}" (no ${file})`, `inventory/${env}`);
  return file;
}

/** The files of an environment, includes first, as written (secret references unresolved). */
export function inventoryLayers(root: string, env: string): InventoryLayer[] {
  const file = inventoryFile(root, env);
  const label = `inventory/${env}.yaml`;
  const top = parseFile(file, label);
  const layers: InventoryLayer[] = [];
  for (const inc of top.include) {
    const incFile = inc === 'sandbox' ? join(sandboxDir(), 'inventory.yaml') : expandPath(inc, dirname(file));
    if (!existsSync(incFile)) {
      const hint = inc === 'sandbox' ? ' (run `helix sandbox up` first)' : '';
      throw new ConfigError(`included inventory ${incFile} does not exist${hint}`, `${label}: include`);
    }
    layers.push({ raw: parseFile(incFile, incFile), label: incFile, dir: dirname(incFile) });
  }
  layers.push({ raw: top, label, dir: dirname(file) });
  return layers;
}

/** True for `{ secret: { env } }` and `{ secret: { file } }`. */
export function isSecretRef(value: unknown): value is { secret: { env?: string; file?: string } } {
  return secretRef.safeParse(value).success;
}

/**
 * Loads an environment: the file, then its includes underneath it (`sandbox` names the
 * inventory written by `helix sandbox up`), with secret references resolved (or replaced by
 * placeholders, with `secrets: 'placeholder'`).
 */
export function loadInventory(root: string, env: string, opts: LoadOptions = {}): Inventory {
  const file = inventoryFile(root, env);
  const label = `inventory/${env}.yaml`;
  const layers = inventoryLayers(root, env);
  const placeholder = opts.secrets === 'placeholder';

  const problems: Problem[] = [];
  const inv: Inventory = {
    name: env,
    file,
    kubernetes: undefined,
    tlsUnverified: {},
    vars: {},
    components: {},
    hosts: {},
    groups: {},
    provenance: {},
  };
  for (const { raw, label: from, dir } of layers) {
    if (raw.kubernetes) {
      const k = { ...raw.kubernetes };
      if (k.kubeconfig) k.kubeconfig = expandPath(k.kubeconfig, dir);
      inv.kubernetes = { ...inv.kubernetes, ...k };
    }
    if (raw.onCluster) {
      const o = { ...raw.onCluster };
      if (o.registryCertDir) o.registryCertDir = expandPath(o.registryCertDir, dir);
      inv.onCluster = { ...inv.onCluster, ...o };
    }
    if (raw.tls.verify === false) {
      problems.push({
        path: `${from}: tls.verify`,
        message:
          'TLS verification cannot be turned off for every target: list each target whose certificate is not to be verified under tls.targets, as "<host>[:<port>]": { verify: false }',
      });
    }
    for (const [target, { verify }] of Object.entries(raw.tls.targets)) {
      const key = target.toLowerCase();
      if (!TLS_TARGET.test(key)) {
        problems.push({ path: `${from}: tls.targets.${target}`, message: 'a TLS target is a host name or IP address, with an optional :port' });
        continue;
      }
      if (verify) delete inv.tlsUnverified[key];
      else inv.tlsUnverified[key] = `${from}: tls.targets.${target}`;
    }
    for (const [k, v] of Object.entries(raw.vars)) {
      inv.vars[k] = resolveSecrets(v, `${from}: vars.${k}`, dir, problems, placeholder);
      inv.provenance[`vars.${k}`] = `${from}: vars.${k}`;
    }
    for (const [c, vars] of Object.entries(raw.components)) {
      const target = (inv.components[c] ??= {});
      for (const [k, v] of Object.entries(vars)) {
        target[k] = resolveSecrets(v, `${from}: components.${c}.${k}`, dir, problems, placeholder);
        inv.provenance[`components.${c}.${k}`] = `${from}: components.${c}.${k}`;
      }
    }
    for (const [name, h] of Object.entries(raw.hosts)) {
      const becomePassword = resolveSecrets(h.becomePassword, `${from}: hosts.${name}.becomePassword`, dir, problems, placeholder);
      inv.hosts[name] = {
        ...h,
        ...(h.key ? { key: expandPath(h.key, dir) } : {}),
        becomePassword: becomePassword instanceof Secret ? becomePassword : undefined,
      } as HostSpec;
    }
    for (const [name, g] of Object.entries(raw.groups)) {
      const prev = inv.groups[name] ?? [];
      inv.groups[name] = [...new Set([...prev, ...g.hosts])];
      for (const h of g.hosts) {
        const host = inv.hosts[h];
        if (host) host.vars = { ...g.vars, ...host.vars };
      }
    }
  }
  for (const [g, members] of Object.entries(inv.groups)) {
    for (const h of members) if (!inv.hosts[h]) problems.push({ path: `${label}: groups.${g}`, message: `unknown host "${h}"` });
  }
  if (problems.length) throw new ValidationError(problems);
  return inv;
}

/** The variables a component sees, and where each came from. */
export function componentVars(inv: Inventory, component: string): { vars: Record<string, unknown>; provenance: Record<string, string> } {
  const own = inv.components[component] ?? {};
  const vars = { ...inv.vars, ...own };
  const provenance: Record<string, string> = {};
  for (const k of Object.keys(vars)) {
    provenance[k] = inv.provenance[k in own ? `components.${component}.${k}` : `vars.${k}`] ?? 'unknown';
  }
  return { vars, provenance };
}

/** The typed environment a component's playbooks see, from its inventory and (validated) variables. */
export function envOf<V>(inv: Inventory, vars: V, provenance: Record<string, string>, component?: string): Env<V> {
  return {
    name: inv.name,
    vars,
    kubernetes: inv.kubernetes,
    tlsUnverified: inv.tlsUnverified,
    hosts: inv.hosts,
    groups: inv.groups,
    provenance,
    inventoryDir: dirname(inv.file),
    ...(component ? { component } : {}),
  };
}
