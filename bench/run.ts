/**
 * `npm run bench [-- --quick] [-- --scenario k8s,ssh,startup,scale]`: helix against
 * ansible-playbook on the same work, in one run, on the sandbox. Writes bench/RESULTS.md and
 * bench/results.json. Not part of the test suite: the bench asserts its own correctness.
 */
import { execFileSync } from 'node:child_process';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Sample, stats } from './measure.ts';
import { machine, markdown, type ScenarioResult } from './report.ts';
import { sandboxInventory } from './sandbox.ts';
import { devpiObjects, devpiSource, restoreDevpi, SET_LABEL } from './devpi-objects.ts';
import { countObjects, k8sConverge, k8sScale, syntheticSet } from './scenarios/k8s.ts';
import { startup } from './scenarios/startup.ts';
import { ansibleAvailable, REPO } from './tools.ts';

const ALL = ['startup', 'k8s', 'devpi', 'ssh', 'scale'] as const;

function pair(scenario: string, h: Sample[], a: Sample[] | null, target?: { text: string; ratio?: number; maxMs?: number }): ScenarioResult {
  const hs = stats(h);
  const as = a?.length ? stats(a) : null;
  const ratio = as ? as.medianMs / Math.max(1, hs.medianMs) : null;
  let met: boolean | undefined;
  if (target?.ratio !== undefined) met = ratio !== null && ratio >= target.ratio;
  if (target?.maxMs !== undefined) met = hs.medianMs <= target.maxMs;
  return {
    scenario,
    helixMedianMs: hs.medianMs,
    ansibleMedianMs: as?.medianMs ?? null,
    ratio: ratio === null ? null : Math.round(ratio * 10) / 10,
    ...(target ? { target: target.text, met } : {}),
    helix: hs,
    ansible: as,
  };
}

async function main(): Promise<void> {
  const program = new Command('bench')
    .option('--quick', 'fewer runs, objects and hosts (under 10 minutes)')
    .option('--scenario <names>', `comma-separated: ${ALL.join(', ')}`, (v) => v.split(','))
    .option('--runs <n>', 'measured runs per tool', (v) => Number.parseInt(v, 10))
    .parse();
  const o = program.opts<{ quick?: boolean; scenario?: string[]; runs?: number }>();
  const started = Date.now();
  const quick = o.quick === true;
  const runs = o.runs ?? (quick ? 2 : 5);
  const chosen = new Set(o.scenario ?? ALL);
  if (!ansibleAvailable()) {
    process.stderr.write('bench: ansible-playbook not found: installing it (bash scripts/setup.sh bench, ~90 s)\n');
    execFileSync('bash', [join(REPO, 'scripts', 'setup.sh'), 'bench'], { stdio: ['ignore', 'inherit', 'inherit'] });
  }
  if (!ansibleAvailable()) throw new Error('ansible-playbook not found after scripts/setup.sh bench');
  const inv = sandboxInventory();
  const results: ScenarioResult[] = [];
  const log = (s: string): void => void process.stderr.write(`bench: ${s}\n`);

  if (chosen.has('startup')) {
    log('startup');
    for (const r of await startup(runs)) {
      const target =
        r.name === 'version' ? { text: 'helix --version < 150 ms', maxMs: 150 } : r.name === 'list' ? { text: 'helix list < 300 ms', maxMs: 300 } : undefined;
      results.push(pair(`start-up: ${r.name}`, r.helix, r.ansible, target));
    }
  }
  if (chosen.has('k8s')) {
    const count = quick ? 30 : 90;
    log(`k8s converge, ${count} objects`);
    const r = await k8sConverge(syntheticSet(count), runs, { warmAnsible: !quick });
    results.push(pair(`k8s converge: create ${count} objects`, r.create.helix, r.create.ansible, { text: '≥ 10× less wall time', ratio: 10 }));
    results.push(pair(`k8s converge: no-op re-run, ${count} objects`, r.noop.helix, r.noop.ansible, { text: '≥ 50× less wall time', ratio: 50 }));
  }
  if (chosen.has('devpi')) {
    log('k8s converge, the DevPi objects');
    const source = devpiSource(log);
    try {
      const set = {
        name: 'devpi',
        objects: (ns: string) => devpiObjects(source, ns, 'devpi'),
        count: (ns: string) => countObjects(ns, source.kinds, `${SET_LABEL}=devpi`),
      };
      const r = await k8sConverge(set, runs, { warmAnsible: !quick });
      const kinds = [...new Set(source.applied.map((o) => String(o.kind)))].join(', ');
      log(`devpi: ${r.objects} objects (${kinds})`);
      results.push(
        pair(`k8s converge: create the DevPi objects (${r.objects})`, r.create.helix, r.create.ansible, { text: '≥ 10× less wall time', ratio: 10 }),
      );
      results.push(
        pair(`k8s converge: no-op re-run, the DevPi objects (${r.objects})`, r.noop.helix, r.noop.ansible, { text: '≥ 50× less wall time', ratio: 50 }),
      );
    } finally {
      restoreDevpi(source);
    }
  }
  if (chosen.has('ssh')) {
    const sshModule: string = './scenarios/ssh.ts';
    const { sshFanout } = (await import(sshModule).catch(() => ({}))) as {
      sshFanout?: (
        inv: unknown,
        runs: number,
        quick: boolean,
      ) => Promise<{ name: string; helix: Sample[]; ansible: Sample[]; target?: { text: string; ratio?: number } }[]>;
    };
    if (sshFanout) {
      for (const r of await sshFanout(inv, runs, quick)) results.push(pair(r.name, r.helix, r.ansible, r.target));
    } else log('ssh: scenario not available yet (skipped)');
  }
  if (chosen.has('scale')) {
    const counts = quick ? [100, 300] : [100, 300, 1000];
    log(`scale ${counts.join(', ')}`);
    const r = await k8sScale(counts, quick ? 2 : 3);
    for (const c of counts) {
      const target = c === 1000 ? { text: '1000-object no-op < 5 s (and peak RSS < 250 MB)', maxMs: 5000 } : undefined;
      const res = pair(`scale: no-op re-run, ${c} objects`, r[c]!, null, target);
      if (c === 1000 && res.met) res.met = res.helix.rssMaxKb < 250 * 1024;
      results.push(res);
    }
  }

  const m = machine(String(inv.vars.kubernetes_version ?? 'unknown'));
  const info = { runs, seconds: Math.round((Date.now() - started) / 1000) };
  writeFileSync(join(REPO, 'bench', 'results.json'), `${JSON.stringify({ machine: m, quick, ...info, results }, null, 2)}\n`);
  const md = markdown(results, m, quick, info);
  writeFileSync(join(REPO, 'bench', 'RESULTS.md'), md);
  process.stdout.write(md);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
