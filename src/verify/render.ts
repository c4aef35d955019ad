import pc from 'picocolors';
import { type CheckResult, type Sections, type Status, worst } from './report.ts';

const colour = (s: Status): string => (s === 'PASS' ? pc.green(s) : s === 'WARN' ? pc.yellow(s) : pc.red(s));

/**
 * Results grouped by section in the component's order; a section the component did not name
 * comes last under its own key, so no result is ever left out of a report.
 */
function bySection(results: readonly CheckResult[], sections: Sections): [string, string, CheckResult[]][] {
  const keys = [...new Set([...Object.keys(sections), ...results.map((r) => r.section)])];
  return keys.map((s) => [s, sections[s] ?? s, results.filter((r) => r.section === s)]);
}

function counts(results: readonly CheckResult[]): string {
  const n = (s: Status): number => results.filter((r) => r.status === s).length;
  return `${n('PASS')} pass, ${n('WARN')} warn, ${n('FAIL')} fail`;
}

/** The terminal report: one block per section, one line per check, fixes under non-PASS lines. */
export function renderTable(results: readonly CheckResult[], title: string, sections: Sections = {}): string {
  const lines = [pc.bold(title), ''];
  for (const [s, name, rs] of bySection(results, sections)) {
    if (rs.length === 0) continue;
    lines.push(`${colour(worst(rs))}  ${pc.bold(`${s}  ${name}`)}`);
    for (const r of rs) {
      lines.push(`   ${colour(r.status).padEnd(r.status.length + 10)} ${r.title}`);
      lines.push(pc.dim(`         ${r.evidence}`));
      if (r.fix && r.status !== 'PASS') lines.push(`         fix: ${r.fix}`);
    }
    lines.push('');
  }
  lines.push(`${colour(worst(results))}  ${counts(results)}`);
  return `${lines.join('\n')}\n`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown in the shape of the readiness assessment: a quick-reference table, then each section. */
export function renderMarkdown(results: readonly CheckResult[], title: string, sections: Sections = {}): string {
  const out = [`# ${title}`, '', '| Section | Component | Status |', '|---|---|---|'];
  const groups = bySection(results, sections).filter(([, , rs]) => rs.length);
  for (const [s, name, rs] of groups) out.push(`| ${s} | ${name} | **${worst(rs)}** |`);
  for (const [s, name, rs] of groups) {
    out.push('', `## Section ${s}: ${name}`, '', `**Status**: ${worst(rs)}`, '', '| Check | Status | Evidence | Fix |', '|---|---|---|---|');
    for (const r of rs) out.push(`| ${cell(r.title)} | ${r.status} | ${cell(r.evidence)} | ${r.status === 'PASS' ? '' : cell(r.fix ?? '')} |`);
  }
  out.push('', `**Overall**: ${worst(results)} (${counts(results)})`, '');
  return out.join('\n');
}

export function renderJson(results: readonly CheckResult[], meta: Record<string, unknown>, sections: Sections = {}): string {
  const bySec = Object.fromEntries(
    bySection(results, sections)
      .filter(([, , rs]) => rs.length)
      .map(([s, name, rs]) => [s, { title: name, status: worst(rs) }]),
  );
  return `${JSON.stringify({ ...meta, status: worst(results), sections: bySec, checks: results }, null, 2)}\n`;
}
