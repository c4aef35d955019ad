/**
 * `npm run bench [-- --quick] [-- --scenario k8s,ssh,startup,scale] [-- --peers kubectl,pyinfra]`:
 * helix against its peers (Ansible; `kubectl apply --server-side` for Kubernetes objects;
 * pyinfra and Ansible with Mitogen for the SSH fan-out) on the same work, in one run, on the
 * sandbox. Writes bench/RESULTS.md and
 * bench/results.json. Not part of the test suite: the bench asserts its own correctness.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { devpiObjects, devpiSource, restoreDevpi, SET_LABEL } from './devpi-objects.ts';
import { ensureKubectl, installPeers, PEER_NAMES, PEERS, type Peer, peersAvailable, peerVersions } from './peers.ts';
import { type Machine, machine, markdown, row, type ScenarioResult, scenarioOf, type Target } from './report.ts';
import { sandboxInventory } from './sandbox.ts';
import { k8sConverge, k8sScale, type ObjectSet, syntheticSet } from './scenarios/k8s.ts';
import { sshFanout } from './scenarios/ssh.ts';
import { startup } from './scenarios/startup.ts';
import { ansibleAvailable, REPO } from './tools.ts';

const ALL = ['startup', 'k8s', 'devpi', 'ssh', 'scale'] as const;

/** A row of results.json as written before peers were named (Ansible the only peer). */
function fromOlderFormat(r: ScenarioResult & { ansibleMedianMs?: number | null; ansible?: ScenarioResult['peerStats'] }): ScenarioResult {
  if (!('ansible' in r)) return r;
  const { ansibleMedianMs, ansible, ...rest } = r;
  return { ...rest, peer: ansible ? 'Ansible' : null, peerMedianMs: ansibleMedianMs ?? null, peerStats: ansible ?? null };
}

/** The targets (issue 18), judged on the rows of one run. */
const TARGETS = {
  version: { text: 'helix --version < 100 ms', maxMs: 100 },
  emptyCheck: { text: 'empty play --check < 200 ms', maxMs: 200 },
  create: { text: '≥ 10× less wall time', ratio: 10 },
  noop: { text: '≥ 50× less wall time', ratio: 50 },
  noopKubectl: { text: 'no slower than kubectl (≥ 1.0×)', ratio: 1 },
  createKubectl: { text: 'within 1.5× of kubectl (≥ 0.67×)', ratio: 1 / 1.5 },
  sshAnsible: { text: '≥ 20× less wall time', ratio: 20 },
  sshPyinfra: { text: '≥ 5× less wall time', ratio: 5 },
  sshMitogen: { text: '≥ 20× less wall time', ratio: 20 },
} satisfies Record<string, Target>;

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--quick', 'fewer runs, objects and hosts (under 10 minutes)')
    .option('--scenario <names>', `comma-separated: ${ALL.join(', ')}`, (v) => v.split(','))
    .option('--peers <names>', `comma-separated: ${PEERS.join(', ')} (default: all)`, (v) => v.split(','))
    .option('--runs <n>', 'measured runs per tool', (v) => Number.parseInt(v, 10))
    .option('--merge', 'keep the rows of the scenarios not run now from bench/results.json')
    .option('--ssh-hosts-as-is', "use the sandbox's SSH hosts as they are instead of bringing it to 20 (sandbox up --only ssh)")
    .parse();
  const o = program.opts<{ quick?: boolean; scenario?: string[]; peers?: string[]; runs?: number; sshHostsAsIs?: boolean; merge?: boolean }>();
  const started = Date.now();
  const quick = o.quick === true;
  const runs = o.runs ?? (quick ? 2 : 5);
  const chosen = new Set(o.scenario ?? ALL);
  const unknown = (o.peers ?? []).filter((p) => !(PEERS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown peer ${unknown.join(', ')} (peers: ${PEERS.join(', ')})`);
  const peers = new Set<Peer>((o.peers as Peer[] | undefined) ?? PEERS);
  const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);
  if (!ansibleAvailable() || !peersAvailable(peers)) {
    log('Ansible, Mitogen or pyinfra not found: installing them (bash scripts/setup.sh bench, ~2 min)');
    installPeers();
  }
  if (!ansibleAvailable()) throw new Error('ansible-playbook not found after scripts/setup.sh bench');
  if (!peersAvailable(peers)) throw new Error('pyinfra or Mitogen not found after scripts/setup.sh bench');
  if (peers.has('kubectl') && (chosen.has('k8s') || chosen.has('devpi'))) await ensureKubectl(log);
  const k8sPeers = (['ansible', 'kubectl'] as const).filter((p) => peers.has(p));
  const inv = sandboxInventory();
  const results: ScenarioResult[] = [];
  const notes: string[] = [];

  if (chosen.has('startup')) {
    log('startup');
    for (const r of await startup(runs)) {
      const target = r.name === 'version' ? TARGETS.version : r.name === 'empty play --check' ? TARGETS.emptyCheck : undefined;
      results.push(row(`start-up: ${r.name}`, r.helix, PEER_NAMES.ansible, r.ansible, target));
    }
  }
  const converge = async (set: ObjectSet, label: (n: number) => string): Promise<number> => {
    const r = await k8sConverge(set, runs, { warmAnsible: !quick, peers: k8sPeers });
    for (const peer of k8sPeers) {
      const [create, noop] = peer === 'ansible' ? [TARGETS.create, TARGETS.noop] : [TARGETS.createKubectl, TARGETS.noopKubectl];
      results.push(row(`k8s converge: create ${label(r.objects)}`, r.create.helix!, PEER_NAMES[peer], r.create[peer]!, create));
      results.push(row(`k8s converge: no-op re-run, ${label(r.objects)}`, r.noop.helix!, PEER_NAMES[peer], r.noop[peer]!, noop));
    }
    return r.objects;
  };
  if (chosen.has('k8s')) {
    const count = quick ? 30 : 90;
    log(`k8s converge, ${count} objects`);
    await converge(syntheticSet(count), () => `${count} objects`);
  }
  if (chosen.has('devpi')) {
    log('k8s converge, the DevPi objects');
    const source = devpiSource(log);
    try {
      const set: ObjectSet = { name: 'devpi', objects: (ns) => devpiObjects(source, ns, 'devpi'), kinds: source.kinds, selector: `${SET_LABEL}=devpi` };
      const n = await converge(set, (n) => `the DevPi objects (${n})`);
      log(`devpi: ${n} objects (${[...new Set(source.applied.map((o) => String(o.kind)))].join(', ')})`);
    } finally {
      restoreDevpi(source);
    }
  }
  if (chosen.has('ssh')) {
    const sshPeers = (['ansible', 'pyinfra', 'mitogen'] as const).filter((p) => peers.has(p));
    const r = await sshFanout({ runs, quick, peers: sshPeers, hostsAsIs: o.sshHostsAsIs === true });
    if (r.note) notes.push(r.note);
    for (const fan of r.rows) {
      for (const peer of sshPeers) {
        const target = fan.full ? { ansible: TARGETS.sshAnsible, pyinfra: TARGETS.sshPyinfra, mitogen: TARGETS.sshMitogen }[peer] : undefined;
        results.push(row(fan.name, fan.samples.helix!, PEER_NAMES[peer], fan.samples[peer]!, target));
      }
    }
  }
  if (chosen.has('scale')) {
    const counts = quick ? [100, 300] : [100, 300, 1000];
    log(`scale ${counts.join(', ')}`);
    const r = await k8sScale(counts, quick ? 2 : 3);
    for (const c of counts) {
      const target = c === 1000 ? { text: '1000-object no-op < 5 s and peak RSS < 150 MB', maxMs: 5000 } : undefined;
      const res = row(`scale: no-op re-run, ${c} objects`, r[c]!, null, null, target);
      if (c === 1000 && res.met) res.met = res.helix.rssMaxKb < 150 * 1024;
      results.push(res);
    }
  }

  const used = new Set([...peers].filter((p) => (p === 'kubectl' ? chosen.has('k8s') || chosen.has('devpi') : p === 'ansible' || chosen.has('ssh'))));
  const m = machine(String(inv.vars.kubernetes_version ?? 'unknown'), peerVersions(used));
  if (o.merge) {
    // Rows of the scenarios this run did not measure, kept from the previous results, each
    // marked with the run that measured it (peers are only compared within one run).
    const prev = JSON.parse(readFileSync(join(REPO, 'bench', 'results.json'), 'utf8')) as { machine: Machine; results: ScenarioResult[] };
    const kept = prev.results.filter((r) => !chosen.has(scenarioOf(r.scenario))).map(fromOlderFormat);
    for (const r of kept) r.measured ??= prev.machine.date;
    for (const r of results) r.measured = m.date;
    results.unshift(...kept);
    if (kept.length) notes.push(`Rows marked with an earlier date come from the run of that date (\`--merge\`); peers are compared only within one run.`);
  }
  const info = { runs, seconds: Math.round((Date.now() - started) / 1000), notes };
  writeFileSync(join(REPO, 'bench', 'results.json'), `${JSON.stringify({ machine: m, quick, ...info, results }, null, 2)}\n`);
  const md = markdown(results, m, quick, info);
  writeFileSync(join(REPO, 'bench', 'RESULTS.md'), md);
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
