import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { type Sample, type Stats, stats } from './measure.ts';
import { ANSIBLE_PLAYBOOK, ansibleAvailable } from './tools.ts';

export interface ScenarioResult {
  scenario: string;
  /** The tool helix is compared with in this row (`Ansible`, `kubectl apply --server-side`, `pyinfra`, `Ansible + Mitogen`); null when helix runs alone. */
  peer: string | null;
  /** Medians of wall time, in milliseconds. */
  helixMedianMs: number;
  peerMedianMs: number | null;
  /** Peer / helix, from the medians: how many times less wall time helix took. */
  ratio: number | null;
  /** The product's goal for this scenario, as text, and whether it was met. */
  target?: string;
  met?: boolean;
  helix: Stats;
  peerStats: Stats | null;
  /** When the row was measured, if not in the run the file describes (`--merge`). */
  measured?: string;
}

/** The bench scenario a row belongs to (`--scenario` names), from its label. */
export function scenarioOf(label: string): string {
  if (label.startsWith('start-up:')) return 'startup';
  if (label.startsWith('SSH fan-out:')) return 'ssh';
  if (label.startsWith('scale:')) return 'scale';
  return label.includes('DevPi') ? 'devpi' : 'k8s';
}

/** What a row is judged against: a ratio to reach (peer / helix) or a wall time to stay under. */
export interface Target {
  text: string;
  ratio?: number;
  maxMs?: number;
}

/** One row: helix's samples against one peer's (or helix alone, with `peer` null). */
export function row(scenario: string, h: Sample[], peer: string | null, p: Sample[] | null, target?: Target): ScenarioResult {
  const hs = stats(h);
  const ps = peer && p?.length ? stats(p) : null;
  const ratio = ps ? ps.medianMs / Math.max(1, hs.medianMs) : null;
  let met: boolean | undefined;
  if (target?.ratio !== undefined) met = ratio !== null && ratio >= target.ratio;
  if (target?.maxMs !== undefined) met = hs.medianMs <= target.maxMs;
  return {
    scenario,
    peer: ps ? peer : null,
    helixMedianMs: hs.medianMs,
    peerMedianMs: ps?.medianMs ?? null,
    ratio: ratio === null ? null : Math.round(ratio * 100) / 100,
    ...(target ? { target: target.text, met } : {}),
    helix: hs,
    peerStats: ps,
  };
}

export interface Machine {
  date: string;
  cores: number;
  memoryGiB: number;
  node: string;
  ansible: string;
  /** Versions of the other peers, by name (`kubectl`, `pyinfra`, `mitogen`). */
  peers: Record<string, string>;
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

export function machine(kubernetesVersion: string, peers: Record<string, string> = {}): Machine {
  return {
    date: new Date().toISOString(),
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    ansible: ansibleAvailable() ? version([ANSIBLE_PLAYBOOK, '--version'], /core ([\d.]+)/) : 'not installed',
    peers,
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
  /** What this run did not measure or did differently, and why (one line each). */
  notes?: string[];
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
  const rows = results.map((r) => {
    const p = r.peerStats;
    const peer = p ? `${fmt(r.peerMedianMs)} (${fmt(p.minMs)}–${fmt(p.maxMs)})` : '–';
    const ratio = r.ratio === null ? '–' : `${r.ratio.toFixed(r.ratio < 10 ? 2 : 1)}×`;
    const cpu = `${fmt(r.helix.cpuMedianMs)} / ${p ? fmt(p.cpuMedianMs) : '–'}`;
    const rss = `${Math.round(r.helix.rssMaxKb / 1024)} / ${p ? Math.round(p.rssMaxKb / 1024) : '–'} MB`;
    const target = r.target ? `${r.met ? 'met' : '**not met**'}: ${r.target}` : '';
    return `| ${r.scenario}${r.measured && r.measured !== m.date ? ` (${r.measured.slice(0, 10)})` : ''} | ${fmt(r.helixMedianMs)} (${fmt(r.helix.minMs)}–${fmt(r.helix.maxMs)}) | ${r.peer ?? '–'} | ${peer} | ${ratio} | ${cpu} | ${rss} | ${target} |`;
  });
  const peers = Object.entries(m.peers)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    '# helix vs its peers: benchmark results',
    '',
    `Measured ${m.date}${quick ? ' (quick mode: fewer runs and objects)' : ''} on ${m.cores} cores, ${m.memoryGiB} GiB; node ${m.node}, ansible-core ${m.ansible} (kubernetes.core from the PyPI \`ansible\` package)${peers ? `, ${peers}` : ''}, Kubernetes ${m.kubernetes} (the helix sandbox: real apiserver, kwok nodes). Load average at the end: ${m.load}.`,
    '',
    "Every tool did the same work on the same cluster and hosts in the same run, alternating, after a warm-up; the bench asserts that the objects and files exist and that each no-op re-run changed nothing. Each row compares helix with one peer, named in the row; the ratio is the peer's median over helix's (above 1: helix took less wall time). Times are wall-clock medians (min–max) of whole processes measured with GNU time; CPU is user+system; memory is peak RSS.",
    '',
    '| scenario | helix | peer | peer time | peer/helix | CPU helix / peer | peak RSS helix / peer | target |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...(grew ? [grew, ''] : []),
    ...(info
      ? [
          `${info.runs} measured runs per tool and scenario${quick ? ' (the SSH fan-out on all hosts: one)' : ''}, after a warm-up; the whole bench took ${(info.seconds / 60).toFixed(1)} min.`,
          '',
        ]
      : []),
    ...(info?.notes?.length ? [...info.notes.map((n) => `- ${n}`), ''] : []),
    'Reproduce with `npm run bench` (add `-- --quick` for a short run, `-- --scenario k8s,startup` to choose, `-- --peers kubectl,pyinfra` to leave peers out).',
    '',
  ].join('\n');
}
