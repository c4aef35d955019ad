import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import type { Stats } from './measure.ts';
import { ANSIBLE_PLAYBOOK, ansibleAvailable } from './tools.ts';

export interface ScenarioResult {
  scenario: string;
  /** Medians of wall time, in milliseconds. */
  helixMedianMs: number;
  ansibleMedianMs: number | null;
  /** Ansible / helix, from the medians. */
  ratio: number | null;
  /** The product's goal for this scenario, as text, and whether it was met. */
  target?: string;
  met?: boolean;
  helix: Stats;
  ansible: Stats | null;
}

export interface Machine {
  date: string;
  cores: number;
  memoryGiB: number;
  node: string;
  ansible: string;
  kubernetes: string;
  load: string;
}

function version(argv: string[], pick: RegExp): string {
  try {
    return pick.exec(execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8' }))?.[1] ?? 'unknown';
  } catch {
    return 'unavailable';
  }
}

export function machine(kubernetesVersion: string): Machine {
  return {
    date: new Date().toISOString(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ansible: ansibleAvailable() ? version([ANSIBLE_PLAYBOOK, '--version'], /core ([\d.]+)/) : 'not installed',
    kubernetes: kubernetesVersion,
    load: version(['cat', '/proc/loadavg'], /^(\S+ \S+ \S+)/),
  };
}

function fmt(ms: number | null): string {
  if (ms === null || Number.isNaN(ms)) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** How the bench was run: measured runs per tool and how long the whole bench took. */
export interface RunInfo {
  runs: number;
  seconds: number;
}

/** `scale: no-op re-run, 100 objects` → 100. */
const scaleCount = (r: ScenarioResult): number | undefined => {
  const m = /^scale: no-op re-run, (\d+) objects$/.exec(r.scenario);
  return m ? Number(m[1]) : undefined;
};

/** How the no-op time grows from the smallest to the largest scale run (linear or better: ratio of times ≤ ratio of counts). */
export function growth(results: ScenarioResult[]): string | undefined {
  const scale = results.filter((r) => scaleCount(r) !== undefined).sort((a, b) => scaleCount(a)! - scaleCount(b)!);
  if (scale.length < 2) return undefined;
  const [lo, hi] = [scale[0]!, scale.at(-1)!];
  const objects = scaleCount(hi)! / scaleCount(lo)!;
  const time = hi.helixMedianMs / Math.max(1, lo.helixMedianMs);
  const memory = hi.helix.rssMaxKb / Math.max(1, lo.helix.rssMaxKb);
  return `Scale: from ${scaleCount(lo)} to ${scaleCount(hi)} objects (×${objects}), the no-op re-run's wall time grew ×${time.toFixed(1)} and its peak RSS ×${memory.toFixed(1)}: ${time <= objects ? 'no faster than linearly (target met)' : 'faster than linearly (**target not met**)'}.`;
}

export function markdown(results: ScenarioResult[], m: Machine, quick: boolean, info?: RunInfo): string {
  const grew = growth(results);
  const rows = results.map(
    (r) =>
      `| ${r.scenario} | ${fmt(r.helixMedianMs)} (${fmt(r.helix.minMs)}–${fmt(r.helix.maxMs)}) | ${r.ansible ? `${fmt(r.ansibleMedianMs)} (${fmt(r.ansible.minMs)}–${fmt(r.ansible.maxMs)})` : '–'} | ${r.ratio === null ? '–' : `${r.ratio.toFixed(1)}×`} | ${fmt(r.helix.cpuMedianMs)} / ${r.ansible ? fmt(r.ansible.cpuMedianMs) : '–'} | ${Math.round(r.helix.rssMaxKb / 1024)} / ${r.ansible ? Math.round(r.ansible.rssMaxKb / 1024) : '–'} MB | ${r.target ? `${r.met ? 'met' : '**not met**'}: ${r.target}` : ''} |`,
  );
  return [
    '# helix vs Ansible: benchmark results',
    '',
    `Measured ${m.date}${quick ? ' (quick mode: fewer runs and objects)' : ''} on ${m.cores} cores, ${m.memoryGiB} GiB; node ${m.node}, ansible-core ${m.ansible} (kubernetes.core from the PyPI \`ansible\` package), Kubernetes ${m.kubernetes} (the helix sandbox: real apiserver, kwok nodes). Load average at the end: ${m.load}.`,
    '',
    'Both tools did the same work on the same cluster in the same run, alternating, after a warm-up; the bench asserts that the objects exist and that each no-op re-run reported no change. Times are wall-clock medians (min–max) of whole processes measured with GNU time; CPU is user+system; memory is peak RSS.',
    '',
    '| scenario | helix | Ansible | Ansible/helix | CPU helix / Ansible | peak RSS helix / Ansible | target |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(grew ? [grew, ''] : []),
    ...(info
      ? [
          `${info.runs} measured runs per tool and scenario${quick ? ' (the SSH fan-out on all hosts: one)' : ''}, after a warm-up; the whole bench took ${(info.seconds / 60).toFixed(1)} min.`,
          '',
        ]
      : []),
    'Reproduce with `npm run bench` (add `-- --quick` for a short run, `-- --scenario k8s,startup` to choose).',
    '',
  ].join('\n');
}
