import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readProject } from './ansible/read.ts';
import { componentName, generate } from './generate.ts';
import { type PortReport, Reports } from './report.ts';
import { Knowledge } from './vars.ts';

export { formatReport, type PortReport } from './report.ts';

export interface PortOptions {
  /** Name of the component the playbooks become. @default the input's folder or file name */
  component?: string;
  /** Write nothing; only return the report and the files. @default false */
  dryRun?: boolean;
}

/**
 * Ports Ansible (a playbook, a role folder, or a folder of playbooks with roles, templates
 * and inventories) to helix TypeScript under `out`, and reports what became of every task.
 *
 * Two passes: the first learns every variable's use (types, optionality, secrets, what
 * roles are passed), the second writes code with the settled types.
 */
export function port(input: string, out: string, options: PortOptions = {}): { report: PortReport; files: Map<string, string> } {
  const project = readProject(input);
  const component = options.component ?? componentName(project, input);
  const k = new Knowledge();
  // Two learning passes: a type settled in one (a role parameter that is a Secret) is
  // propagated to the variables passed to it in the next.
  for (let i = 0; i < 2; i++) {
    generate(project, k, new Reports(), component);
    k.settle();
  }
  const reports = new Reports();
  const gen = generate(project, k, reports, component);
  const files = new Map<string, string>();
  for (const [path, f] of gen.files) {
    const target = join(out, path);
    if (f.text !== undefined) files.set(path, f.text);
    if (options.dryRun) continue;
    mkdirSync(dirname(target), { recursive: true });
    if (f.text !== undefined) writeFileSync(target, f.text);
    else if (f.copyFrom) cpSync(f.copyFrom, target, { recursive: true, dereference: true });
  }
  const undefinedVars = [...k.vars.values()]
    .filter((v) => !v.defined && !v.envSecret && !v.derived)
    .map((v) => ({ name: v.name, usedIn: [...v.usedIn].sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const report = reports.build(resolve(input), resolve(out), {
    undefinedVars,
    generated: [...gen.files.keys()].sort(),
    problems: project.problems,
  });
  return { report, files };
}
