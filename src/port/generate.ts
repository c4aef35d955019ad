import { basename, extname } from 'node:path';
import type { Play, Project } from './ansible/source.ts';
import { emitComponent } from './emit/component.ts';
import { emitInventory } from './emit/inventory.ts';
import { LIB_FILE, LIB_SOURCE } from './emit/lib.ts';
import { emitPlay } from './emit/playbook.ts';
import { emitRole } from './emit/role.ts';
import { Generation } from './generation.ts';
import type { Reports } from './report.ts';
import type { Knowledge } from './vars.ts';

/** `10_deploy.yaml` → `10_deploy`; Thinkube's `18_test`/`19_rollback` → helix's 88/89. */
export function playbookNames(project: Project, reports: Reports, label: (f: string) => string): { play: Play; name: string }[] {
  const out: { play: Play; name: string }[] = [];
  let auto = 10;
  const used = new Set<string>();
  for (const pb of [...project.playbooks].sort((a, b) => basename(a.file).localeCompare(basename(b.file), undefined, { numeric: true }))) {
    if (!pb.plays.length) {
      if (pb.imports.length) reports.note(label(pb.file), `imports ${pb.imports.join(', ')}: helix runs a component's numbered playbooks in order`);
      continue;
    }
    const stem = basename(pb.file, extname(pb.file));
    const m = /^(\d+)[_-](.+)$/.exec(stem);
    let n = m ? Number(m[1]) : auto;
    const rest =
      (m ? m[2]! : stem)
        .toLowerCase()
        .replace(/[^a-z0-9_]+/g, '_')
        .replace(/^_+|_+$/g, '') || 'play';
    if (/(^|_)tests?($|_)/.test(rest) && n !== 88) n = 88;
    else if (/(^|_)rollback($|_)/.test(rest) && n !== 89) n = 89;
    if (!m) auto = Math.max(auto, n) + 10;
    const nn = String(n).padStart(2, '0');
    pb.plays.forEach((play, i) => {
      let name =
        i === 0
          ? `${nn}_${rest}`
          : `${nn}_${rest}_${
              (play.name ?? String(i + 1))
                .toLowerCase()
                .replace(/[^a-z0-9]+/g, '_')
                .replace(/^_+|_+$/g, '')
                .slice(0, 30) || i + 1
            }`;
      while (used.has(name)) name = `${name}_${i + 1}`;
      used.add(name);
      out.push({ play, name });
    });
  }
  return out;
}

export function componentName(project: Project, input: string): string {
  const base = project.kind === 'playbook' ? basename(input, extname(input)).replace(/^\d+[_-]/, '') : basename(project.root);
  return (
    base
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'ported'
  );
}

/** One generation pass over a project. */
export function generate(project: Project, k: Knowledge, reports: Reports, component: string): Generation {
  const gen = new Generation(project, k, reports, component);
  for (const inv of project.inventories) {
    for (const g of Object.values(inv.groups)) for (const [name, v] of Object.entries(g.vars)) if (!k.inventory.has(name)) k.inventory.set(name, v);
  }
  for (const role of project.roles.values()) emitRole(gen, role);
  const plays = playbookNames(project, reports, (f) => gen.label(f));
  for (const { play, name } of plays) emitPlay(gen, play, `${gen.playbookDir()}/${name}.ts`);
  if (plays.length) {
    const first = plays[0]!.play;
    emitComponent(gen, `${first.name ?? component}: ported from Ansible by helix port.`);
    const groups = [...new Set(plays.map((p) => p.play.hosts).filter((h) => !/^(localhost|127\.0\.0\.1|all)$/.test(h)))];
    if (project.inventories.length) for (const inv of project.inventories) emitInventory(gen, inv, groups);
    else emitInventory(gen, undefined, groups);
  }
  if (gen.libUsed) gen.write(LIB_FILE, LIB_SOURCE);
  return gen;
}
