import { join } from 'node:path';
import { measure, type Sample } from '../measure.ts';
import { ANSIBLE_PLAYBOOK, ansible, helix, must, REPO, WORK, writeFile } from '../tools.ts';

/** An empty component and an empty Ansible playbook: what each tool costs before any work. */
function emptyProjects(): { root: string; playbook: string } {
  const root = join(WORK, 'empty');
  writeFile(join(root, 'inventory', 'bench.yaml'), 'vars: {}\n');
  writeFile(
    join(root, 'playbooks', 'empty', 'component.ts'),
    `import { z } from 'zod';\nimport { defineComponent } from 'helix';\n\nexport default defineComponent({ name: 'empty', description: 'nothing', vars: z.object({}).passthrough() });\n`,
  );
  writeFile(join(root, 'playbooks', 'empty', '10_nothing.ts'), `import { definePlaybook } from 'helix';\n\nexport default definePlaybook(() => []);\n`);
  const playbook = join(WORK, 'empty-ansible', 'site.yaml');
  writeFile(playbook, '- hosts: localhost\n  connection: local\n  gather_facts: false\n  tasks: []\n');
  return { root, playbook };
}

export interface StartupResult {
  name: string;
  helix: Sample[];
  ansible: Sample[];
}

export async function startup(runs: number): Promise<StartupResult[]> {
  const { root, playbook } = emptyProjects();
  const pairs: { name: string; h: () => Promise<Sample>; a: () => Promise<Sample> }[] = [
    {
      name: 'version',
      h: () => measure(helix(['--version'], REPO)),
      a: () => measure({ argv: [ANSIBLE_PLAYBOOK, '--version'] }),
    },
    {
      name: 'list',
      h: () => measure(helix(['list'], REPO)),
      a: () => measure({ argv: [ANSIBLE_PLAYBOOK, '--list-tasks', '-i', 'localhost,', playbook] }),
    },
    {
      name: 'empty play --check',
      h: () => measure(helix(['play', 'empty', '--env', 'bench', '--check', '--json'], root)),
      a: () => measure(ansible(playbook, ['--check'])),
    },
  ];
  const out: StartupResult[] = [];
  for (const p of pairs) {
    await p.h();
    await p.a();
    const r: StartupResult = { name: p.name, helix: [], ansible: [] };
    for (let i = 0; i < runs; i++) {
      for (const tool of i % 2 ? (['a', 'h'] as const) : (['h', 'a'] as const)) {
        const s = await p[tool]();
        must(s.exitCode === 0, `${p.name} (${tool === 'h' ? 'helix' : 'ansible'}) exited ${s.exitCode}: ${s.stderr.slice(-300)}`);
        (tool === 'h' ? r.helix : r.ansible).push(s);
      }
    }
    out.push(r);
  }
  return out;
}
