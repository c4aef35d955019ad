import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, defineTask, noChange, TargetError, type Task, type TaskContext, type TaskOptions } from 'helix';
import { transportFor } from 'helix/modules/ssh';

export interface PipVenvOptions extends TaskOptions<PipVenvResult> {
  /** Virtualenv folder on the host, under the login user's home (`.local/share/devpi-client/venv`). */
  venv: string;
  /** Interpreter that creates the venv. @default '/usr/bin/python3' */
  python?: string;
  /** Requirement pinned to one version: `devpi-client`. */
  package: string;
  version: string;
  /**
   * Where pip finds it: an index URL (certificates verified), or `wheelhouse`: the wheels are
   * downloaded on this machine (PyPI) and copied over SSH, for hosts without a route to an index.
   */
  source: { index: string } | 'wheelhouse';
}

export interface PipVenvResult {
  /** Absolute path of the venv on the host. */
  venv: string;
  version: string;
}

function sh(argv: readonly string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code: code ?? -1, out }));
    c.stdin.end(input ?? '');
  });
}

/** Downloads the wheels of `pkg==version` and its dependencies once into helix's cache. */
async function wheelhouse(pkg: string, version: string): Promise<string> {
  const dir = join(cacheDir(), 'wheels', `${pkg}-${version}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const r = await sh(['python3', '-m', 'pip', 'download', '--disable-pip-version-check', '--only-binary=:all:', '--dest', tmp, `${pkg}==${version}`]);
  if (r.code !== 0) throw new TargetError('pypi', `pip download ${pkg}==${version} failed: ${r.out.trim().split('\n').slice(-3).join(' ')}`);
  writeFileSync(join(tmp, '.complete'), '');
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

async function home(ctx: TaskContext): Promise<string> {
  const t = transportFor(ctx);
  const r = await t.check({ argv: ['sh', '-c', 'printf %s "$HOME"'], readOnly: true }, 'read $HOME');
  return r.stdout.trim();
}

/**
 * A virtualenv on the host with one package at a pinned version (original: `pip:
 * devpi-client` as root into whatever interpreter Ansible used). Installed as the login
 * user into its own venv, so no root-owned files in the user's environment and no clash
 * with PEP 668. Plans nothing when the venv already has that version.
 */
export function pipVenv(name: string, options: PipVenvOptions): Task<PipVenvResult> {
  const { venv, python = '/usr/bin/python3', package: pkg, version, source, ...common } = options;
  return defineTask<PipVenvResult>({
    kind: 'python.pipVenv',
    name,
    options: common,
    validate: (report) => {
      if (venv.startsWith('/') || venv.includes('..')) report('venv must be a path relative to the home folder');
      if (!/^[A-Za-z0-9._-]+$/.test(pkg)) report(`invalid package name "${pkg}"`);
      if (!/^[A-Za-z0-9._+-]+$/.test(version)) report(`invalid version "${version}"`);
      if (source !== 'wheelhouse' && !/^https?:\/\//.test(source.index)) report('source.index must be an http(s) URL');
    },
    plan: async (ctx) => {
      const t = transportFor(ctx);
      const dir = `${await home(ctx)}/${venv}`;
      const target = `python:${ctx.host.name}:${dir}#${pkg}`;
      const probe = await t.run({ argv: [`${dir}/bin/python`, '-m', 'pip', 'show', pkg], readOnly: true });
      const live = /^Version:\s*(\S+)/m.exec(probe.stdout)?.[1];
      if (probe.code === 0 && live === version) return noChange(`${pkg} ${version} is installed in ${dir}`, { venv: dir, version });
      const result = { venv: dir, version };
      return {
        changes: [{ target, action: live ? 'update' : 'create', summary: live ? `${pkg} ${live} -> ${version}` : `install ${pkg} ${version} in a new venv` }],
        predicted: result,
        apply: async () => {
          await t.check({ argv: [python, '-m', 'venv', dir] }, `create venv ${dir}`);
          const pip = [`${dir}/bin/python`, '-m', 'pip', 'install', '--disable-pip-version-check', '--no-input'];
          if (source === 'wheelhouse') {
            const local = await wheelhouse(pkg, version);
            const remote = `${dir}/.helix-wheels`;
            await t.check({ argv: ['mkdir', '-p', remote] }, 'create the wheel folder');
            for (const f of readdirSync(local).filter((f) => f.endsWith('.whl'))) {
              await t.check({ argv: ['sh', '-c', 'cat > "$1"', 'sh', `${remote}/${f}`], stdin: readFileSync(join(local, f)) }, `copy ${f}`);
            }
            await t.check({ argv: [...pip, '--no-index', '--find-links', remote, `${pkg}==${version}`] }, `pip install ${pkg}`);
            await t.check({ argv: ['rm', '-rf', remote] }, 'remove the wheel folder');
          } else {
            await t.check({ argv: [...pip, '--index-url', source.index, `${pkg}==${version}`] }, `pip install ${pkg}`);
          }
          return result;
        },
      };
    },
  });
}
