import type { Change } from '../../runtime/change.ts';
import { TaskError } from '../../runtime/errors.ts';
import { defineTask, type Input, noChange, resolve, splitOptions, type Task, type TaskOptions } from '../../runtime/task.ts';
import { gatherFacts } from './facts.ts';
import { type HostOptions, toBecome } from './options.ts';
import { tail, type Transport, transportFor } from './transport.ts';

export interface PackageResult {
  manager: 'apt' | 'pip';
  /** Installed version of each named package after the task (absent ones omitted). */
  installed: Record<string, string>;
}

export interface PackageOptions extends HostOptions, TaskOptions<PackageResult> {
  /** Package names; pip names may pin a version (`requests==2.32.3`). */
  names: readonly string[];
  /** @default 'present' */
  state?: 'present' | 'absent';
  /** `apt` (Debian, Ubuntu) or `pip`. @default 'apt' when apt-get is on the host, else 'pip' */
  manager?: 'apt' | 'pip';
  /** The pip to run (a virtualenv's may come from facts: `(ctx) => [...]`). @default ['python3', '-m', 'pip'] */
  pip?: Input<readonly string[]>;
  /** Run `apt-get update` before installing. @default false */
  updateCache?: boolean;
}

interface Wanted {
  name: string;
  version?: string;
}

const APT_NAME = /^[a-z0-9][a-z0-9+.-]*(:[a-z0-9]+)?$/;
const PIP_SPEC = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9,._-]+\])?(?:==([A-Za-z0-9.+!_-]+))?$/;

/** PEP 503 normal form. */
function pipNormal(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

function parseWanted(manager: 'apt' | 'pip', spec: string): Wanted | undefined {
  if (manager === 'apt') return APT_NAME.test(spec) ? { name: spec } : undefined;
  const m = PIP_SPEC.exec(spec);
  if (!m) return undefined;
  return { name: pipNormal(m[1]!), ...(m[2] ? { version: m[2] } : {}) };
}

/** Installed versions of the named apt packages (one dpkg-query for all). */
export function parseDpkg(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [name, status, version] = line.split('\t');
    if (name && status?.startsWith('ii') && version) out[name.replace(/:[a-z0-9]+$/, '')] = version;
  }
  return out;
}

/** Installed versions from `pip list --format=json`, by normal name. */
export function parsePipList(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  try {
    for (const p of JSON.parse(text) as { name: string; version: string }[]) out[pipNormal(p.name)] = p.version;
  } catch {
    // not JSON: nothing installed we can tell about
  }
  return out;
}

async function installed(
  t: Transport,
  manager: 'apt' | 'pip',
  names: readonly string[],
  pip: readonly string[],
  become: ReturnType<typeof toBecome>,
): Promise<Record<string, string>> {
  if (manager === 'apt') {
    // Exit 1 only means some names are not known to dpkg: they are not installed.
    const r = await t.check(
      { argv: ['dpkg-query', '-W', '-f', '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', '--', ...names], readOnly: true },
      'querying installed packages',
      [0, 1],
    );
    return parseDpkg(r.stdout);
  }
  const r = await t.check(
    { argv: [...pip, 'list', '--format=json', '--disable-pip-version-check'], readOnly: true, ...(become ? { become } : {}) },
    'listing pip packages',
  );
  return parsePipList(r.stdout);
}

/** Packages installed (or removed) with apt or pip; nothing runs when the host already matches. */
export function pkg(name: string, options: PackageOptions): Task<PackageResult> {
  const [own, common] = splitOptions(options);
  const become = toBecome(own.become);
  const state = own.state ?? 'present';
  return defineTask<PackageResult>({
    kind: 'ssh.package',
    name,
    options: common,
    validate: (report) => {
      if (own.names.length === 0) report('names is empty');
      if (own.names.some((n) => n.startsWith('-'))) report('a package name cannot start with "-"');
      // Without a manager, names are checked at plan time, once the host tells which one it has.
      const manager = own.manager;
      if (manager) {
        const bad = own.names.filter((n) => !n.startsWith('-') && !parseWanted(manager, n));
        if (bad.length) report(`invalid ${manager} package name(s): ${bad.join(', ')}`);
      }
    },
    plan: async (ctx) => {
      const t = transportFor(ctx);
      const facts = await gatherFacts(t);
      const manager = own.manager ?? (facts.commands.includes('apt-get') ? 'apt' : 'pip');
      if (manager === 'apt' && !facts.commands.includes('apt-get')) throw new TaskError(ctx.path, `apt-get is not available on ${ctx.host.name}`);
      const wanted = own.names.map((n) => parseWanted(manager, n));
      if (wanted.some((w) => !w)) throw new TaskError(ctx.path, `invalid ${manager} package name in ${own.names.join(', ')}`);
      const ws = wanted as Wanted[];
      const pip = resolve(own.pip ?? ['python3', '-m', 'pip'], ctx);
      const have = await installed(
        t,
        manager,
        ws.map((w) => w.name),
        pip,
        become,
      );
      const todo = ws.filter((w) =>
        state === 'present' ? have[w.name] === undefined || (w.version !== undefined && have[w.name] !== w.version) : have[w.name] !== undefined,
      );
      const result = (): PackageResult => ({ manager, installed: Object.fromEntries(ws.filter((w) => have[w.name]).map((w) => [w.name, have[w.name]!])) });
      if (todo.length === 0) {
        return noChange(
          state === 'present'
            ? `${manager} packages already installed: ${own.names.join(', ')}`
            : `${manager} packages already absent: ${own.names.join(', ')}`,
          result(),
        );
      }
      const changes: Change[] = todo.map((w) => ({
        target: `package:${ctx.host.name}:${manager}/${w.name}`,
        action: state === 'absent' ? 'delete' : have[w.name] === undefined ? 'create' : 'update',
        summary:
          state === 'absent'
            ? `remove ${w.name} ${have[w.name]}`
            : have[w.name] === undefined
              ? `install ${w.name}${w.version ? ` ${w.version}` : ''}`
              : `${w.name} ${have[w.name]} -> ${w.version}`,
      }));
      const specs = own.names.filter((_, i) => todo.includes(ws[i]!));
      return {
        changes,
        apply: async () => {
          const b = become ? { become } : {};
          if (manager === 'apt') {
            const env = { DEBIAN_FRONTEND: 'noninteractive' };
            if (own.updateCache && state === 'present') await t.check({ argv: ['apt-get', 'update', '-q'], env, ...b }, 'apt-get update');
            const argv =
              state === 'present'
                ? ['apt-get', 'install', '-y', '-q', '--no-install-recommends', '--', ...specs]
                : ['apt-get', 'remove', '-y', '-q', '--', ...specs];
            const r = await t.run({ argv, env, ...b });
            if (r.code !== 0)
              throw new TaskError(ctx.path, `apt-get ${state === 'present' ? 'install' : 'remove'} exited ${r.code}${tail(r.stderr || r.stdout)}`);
          } else {
            const argv =
              state === 'present'
                ? [...pip, 'install', '--disable-pip-version-check', '-q', '--', ...specs]
                : [...pip, 'uninstall', '-y', '-q', '--', ...specs];
            const r = await t.run({ argv, ...b });
            if (r.code !== 0)
              throw new TaskError(ctx.path, `pip ${state === 'present' ? 'install' : 'uninstall'} exited ${r.code}${tail(r.stderr || r.stdout)}`);
          }
          return {
            manager,
            installed: await installed(
              t,
              manager,
              ws.map((w) => w.name),
              pip,
              become,
            ),
          };
        },
      };
    },
  });
}
