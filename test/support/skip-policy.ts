import { readFileSync } from 'node:fs';

/** A skipped test as the skip reporter records it. */
export interface Skip {
  /** `<file> > <suite> > <test>`. */
  test: string;
  project: string;
  reason: string;
}

/** An allowed skip (test/skips.json): the test, and why it cannot run on our machine kind. */
export interface AllowedSkip {
  test: string;
  reason: string;
}

/**
 * The skip policy (docs/testing.md): every skip is printed with its reason, and any skip that is
 * not on the allow-list fails CI. Allow-list entries that did not skip are reported as stale.
 */
export function checkSkips(skips: readonly Skip[], allowed: readonly AllowedSkip[]): { ok: boolean; lines: string[] } {
  const allow = new Map(allowed.map((a) => [a.test, a.reason]));
  const lines: string[] = [];
  const unlisted = skips.filter((s) => !allow.has(s.test));
  for (const s of skips) {
    const why = allow.get(s.test);
    lines.push(
      `${why === undefined ? 'NOT ALLOWED' : 'allowed    '}  [${s.project}] ${s.test}\n             reason: ${s.reason}${why === undefined ? '' : `\n             allowed because: ${why}`}`,
    );
  }
  const skipped = new Set(skips.map((s) => s.test));
  for (const a of allowed.filter((x) => !skipped.has(x.test))) lines.push(`stale allow-list entry (it ran): ${a.test}`);
  lines.push(
    unlisted.length
      ? `skips: ${skips.length}, ${unlisted.length} not on test/skips.json: a skip must not stand for a failure (docs/testing.md)`
      : `skips: ${skips.length}, all on test/skips.json`,
  );
  return { ok: unlisted.length === 0, lines };
}

/** `node test/support/skip-policy.ts <report.json> <allow-list.json>`: exit 1 on an unlisted skip. */
if (import.meta.url === `file://${process.argv[1]}`) {
  const [report, list] = process.argv.slice(2);
  if (!report || !list) {
    process.stderr.write('usage: skip-policy.ts <skip report> <allow-list>\n');
    process.exit(2);
  }
  let skips: Skip[];
  try {
    skips = JSON.parse(readFileSync(report, 'utf8')) as Skip[];
  } catch (error) {
    process.stderr.write(`skip policy: no skip report (${(error as Error).message})\n`);
    process.exit(1);
  }
  const { ok, lines } = checkSkips(skips, JSON.parse(readFileSync(list, 'utf8')) as AllowedSkip[]);
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(ok ? 0 : 1);
}
