import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchObjects, namespaceObject } from '../k8s-objects.ts';
import { measure, type Sample } from '../measure.ts';
import { sandboxKube } from '../sandbox.ts';
import { ansible, ansibleChanged, helix, helixChanged, must, WORK, writeFile } from '../tools.ts';

/** Writes a helix project whose one playbook applies `count` objects, one task each. */
export function helixProject(name: string, namespace: string, count: number): string {
  const root = join(WORK, name);
  writeFile(join(root, 'objects.json'), JSON.stringify([namespaceObject(namespace), ...benchObjects(namespace, count)]));
  writeFile(join(root, 'inventory', 'bench.yaml'), 'include: [sandbox]\n');
  writeFile(
    join(root, 'playbooks', 'bench', 'component.ts'),
    `import { z } from 'zod';\nimport { defineComponent } from 'helix';\n\nexport default defineComponent({ name: 'bench', description: 'benchmark objects', vars: z.object({}).passthrough() });\n`,
  );
  writeFile(
    join(root, 'playbooks', 'bench', '10_objects.ts'),
    `import { readFileSync } from 'node:fs';
import { definePlaybook } from 'helix';
import * as k8s from 'helix/modules/k8s';

const objects = JSON.parse(readFileSync(new URL('../../objects.json', import.meta.url), 'utf8')) as { kind: string; metadata: { name: string } }[];

export default definePlaybook(() => objects.map((o) => k8s.apply(\`\${o.kind.toLowerCase()}-\${o.metadata.name}\`, { manifest: o })));
`,
  );
  return root;
}

/** The same objects through kubernetes.core.k8s, one loop item each (the idiomatic Ansible form). */
export function ansibleProject(name: string, namespace: string, count: number): string {
  const dir = join(WORK, name);
  const kube = sandboxKube();
  writeFile(join(dir, 'objects.json'), JSON.stringify(benchObjects(namespace, count)));
  const playbook = [
    {
      name: 'bench objects',
      hosts: 'localhost',
      connection: 'local',
      gather_facts: false,
      vars: { objects: "{{ lookup('file', 'objects.json') | from_json }}" },
      tasks: [
        {
          name: 'namespace',
          'kubernetes.core.k8s': { kubeconfig: kube.kubeconfig, context: kube.context, state: 'present', definition: namespaceObject(namespace) },
        },
        {
          name: 'objects',
          'kubernetes.core.k8s': { kubeconfig: kube.kubeconfig, context: kube.context, state: 'present', definition: '{{ item }}' },
          loop: '{{ objects }}',
          loop_control: { label: '{{ item.kind }}/{{ item.metadata.name }}' },
        },
      ],
    },
  ];
  writeFile(join(dir, 'site.yaml'), stringify(playbook));
  return join(dir, 'site.yaml');
}

export function deleteNamespace(namespace: string): void {
  const kube = sandboxKube();
  execFileSync('kubectl', ['--kubeconfig', kube.kubeconfig, '--context', kube.context, 'delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=300s'], {
    stdio: 'ignore',
  });
}

export function countObjects(namespace: string): number {
  const kube = sandboxKube();
  const out = execFileSync(
    'kubectl',
    ['--kubeconfig', kube.kubeconfig, '--context', kube.context, '-n', namespace, 'get', 'configmaps,deployments,services', '-l', 'app.kubernetes.io/part-of=helix-bench', '-o', 'name'],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean).length;
}

export interface PairResult {
  helix: Sample[];
  ansible: Sample[];
}

/**
 * k8s converge: create from nothing, then the no-op re-run, helix and Ansible in alternation
 * on the same cluster, each in its own namespace. Asserts both really did the work.
 */
export async function k8sConverge(count: number, runs: number): Promise<{ create: PairResult; noop: PairResult }> {
  const hRoot = helixProject(`k8s-${count}`, 'bench-helix', count);
  const aBook = ansibleProject(`k8s-ansible-${count}`, 'bench-ansible', count);
  const create: PairResult = { helix: [], ansible: [] };
  const noop: PairResult = { helix: [], ansible: [] };
  const helixRun = () => measure(helix(['play', 'bench', '--env', 'bench', '--json'], hRoot));
  const ansibleRun = () => measure(ansible(aBook));

  // Warm-up: one create + no-op each, not counted.
  deleteNamespace('bench-helix');
  deleteNamespace('bench-ansible');
  await helixRun();
  await ansibleRun();

  for (let i = 0; i < runs; i++) {
    deleteNamespace('bench-helix');
    deleteNamespace('bench-ansible');
    const order = i % 2 === 0 ? (['helix', 'ansible'] as const) : (['ansible', 'helix'] as const);
    for (const tool of order) {
      if (tool === 'helix') {
        const s = await helixRun();
        must(s.exitCode === 0, `helix create exited ${s.exitCode}: ${s.stderr.slice(-400)}`);
        must(helixChanged(s) === count + 1, `helix create changed ${helixChanged(s)} of ${count + 1}`);
        must(countObjects('bench-helix') === count, 'helix objects exist');
        create.helix.push(s);
      } else {
        const s = await ansibleRun();
        must(s.exitCode === 0, `ansible create exited ${s.exitCode}: ${s.stdout.slice(-600)}`);
        must(ansibleChanged(s) > 0, 'ansible create changed something');
        must(countObjects('bench-ansible') === count, 'ansible objects exist');
        create.ansible.push(s);
      }
    }
    for (const tool of order) {
      if (tool === 'helix') {
        const s = await helixRun();
        must(s.exitCode === 0 && helixChanged(s) === 0, `helix no-op re-run changed ${helixChanged(s)}`);
        noop.helix.push(s);
      } else {
        const s = await ansibleRun();
        must(s.exitCode === 0 && ansibleChanged(s) === 0, `ansible no-op re-run changed ${ansibleChanged(s)}`);
        noop.ansible.push(s);
      }
    }
  }
  deleteNamespace('bench-helix');
  deleteNamespace('bench-ansible');
  return { create, noop };
}

/** scale: helix's no-op re-run of 100, 300, 1000 objects in one playbook (time and peak RSS). */
export async function k8sScale(counts: number[], runs: number): Promise<Record<number, Sample[]>> {
  const out: Record<number, Sample[]> = {};
  for (const count of counts) {
    const ns = `bench-scale-${count}`;
    const root = helixProject(`scale-${count}`, ns, count);
    const first = await measure(helix(['play', 'bench', '--env', 'bench', '--json'], root));
    must(first.exitCode === 0, `helix scale ${count} first apply exited ${first.exitCode}: ${first.stderr.slice(-400)}`);
    must(countObjects(ns) === count, `scale ${count}: objects exist`);
    out[count] = [];
    for (let i = 0; i < runs; i++) {
      const s = await measure(helix(['play', 'bench', '--env', 'bench', '--json'], root));
      must(s.exitCode === 0 && helixChanged(s) === 0, `scale ${count} no-op re-run changed ${helixChanged(s)}`);
      out[count].push(s);
    }
    deleteNamespace(ns);
  }
  return out;
}
