import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Sample } from './measure.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
export const WORK = join(REPO, 'bench', '.work');
export const HELIX_BIN = join(REPO, 'bin', 'helix.js');

/** The Ansible the bench compares against: a venv from PyPI with the bundled kubernetes.core. */
export const ANSIBLE_VENV = process.env.HELIX_BENCH_ANSIBLE_VENV ?? join(homedir(), '.cache', 'helix', 'ansible-venv');
export const ANSIBLE_PLAYBOOK = join(ANSIBLE_VENV, 'bin', 'ansible-playbook');
export const ANSIBLE_PYTHON = join(ANSIBLE_VENV, 'bin', 'python');

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeFile(path: string, text: string): void {
  ensureDir(dirname(path));
  writeFileSync(path, text);
}

/** A helix run as the user would type it, with JSON events so the bench can check the work. */
export function helix(args: string[], root: string): Command {
  return { argv: [process.execPath, HELIX_BIN, ...args], env: { HELIX_ROOT: root, NO_COLOR: '1' } };
}

export function ansible(playbook: string, extra: string[] = []): Command {
  return {
    argv: [ANSIBLE_PLAYBOOK, '-i', 'localhost,', '-e', `ansible_python_interpreter=${ANSIBLE_PYTHON}`, ...extra, playbook],
    env: { ANSIBLE_NOCOLOR: '1', ANSIBLE_HOST_KEY_CHECKING: 'True', ANSIBLE_RETRY_FILES_ENABLED: 'False', ANSIBLE_LOCALHOST_WARNING: 'False' },
    cwd: dirname(playbook),
  };
}

/** The `changed` count of a helix `--json` run, from its run.end event. */
export function helixChanged(sample: Sample): number {
  const end = sample.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; recap?: Record<string, { changed: number; failed: number }> })
    .find((e) => e.type === 'run.end');
  if (!end?.recap) throw new Error(`helix run had no run.end event (exit ${sample.exitCode}): ${sample.stderr.slice(-500)}`);
  return Object.values(end.recap).reduce((n, r) => n + r.changed, 0);
}

/** The `changed=` total of an ansible-playbook recap. */
export function ansibleChanged(sample: Sample): number {
  const counts = [...sample.stdout.matchAll(/changed=(\d+)/g)].map((m) => Number(m[1]));
  if (counts.length === 0) throw new Error(`ansible-playbook printed no recap (exit ${sample.exitCode}): ${sample.stdout.slice(-800)}`);
  return counts.reduce((a, b) => a + b, 0);
}

export function must(condition: boolean, message: string): void {
  if (!condition) throw new Error(`bench correctness check failed: ${message}`);
}

export function ansibleAvailable(): boolean {
  return existsSync(ANSIBLE_PLAYBOOK);
}
