import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';
import type { Skip } from './skip-policy.ts';

/**
 * A vitest reporter that writes every skipped test, with its reason, to the JSON file named by
 * `HELIX_SKIP_REPORT` (`.ci/run` passes it; see docs/testing.md). The reason is the note given
 * to `ctx.skip(note)`; a test skipped by `skipIf`/`runIf`/`.skip` carries none.
 */
export default class SkipReport implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const file = process.env.HELIX_SKIP_REPORT;
    if (!file) return;
    const skips: Skip[] = [];
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const r = t.result();
        if (r.state !== 'skipped') continue;
        skips.push({
          test: `${relative(process.cwd(), m.moduleId)} > ${t.fullName}`,
          project: t.project.name,
          reason: r.note ?? `${t.options.mode === 'todo' ? 'todo' : 'skipIf/runIf/.skip'}: no reason given`,
        });
      }
    }
    writeFileSync(file, `${JSON.stringify(skips, null, 2)}\n`);
  }
}
