import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchObjects, namespaceObject } from '../k8s-objects.ts';
import { measure, type Sample } from '../measure.ts';
import { sandboxKube } from '../sandbox.ts';
import { ansible, ansibleChanged, helix, helixChanged, must, WORK, writeFile } from '../tools.ts';

type Obj = Record<string, unknown>;

/** Writes a helix project whose one playbook applies `objects` in order, one task each. */
export function helixProject(name: string, objects: readonly Obj[]): string {
  const root = join(WORK, name);
  writeFile(join(root, 'objects.json'), JSON.stringify(objects));
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

/** The same objects through kubernetes.core.k8s, in order, one loop item each (the idiomatic Ansible form). */
export function ansibleProject(name: string, objects: readonly Obj[]): string {
  const dir = join(WORK, name);
  const kube = sandboxKube();
  writeFile(join(dir, 'objects.json'), JSON.stringify(objects));
  const playbook = [
    {
      name: 'bench objects',
      hosts: 'localhost',
      connection: 'local',
      gather_facts: false,
      vars: { objects: "{{ lookup('file', 'objects.json') | from_json }}" },
      tasks: [
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
  execFileSync(
    'kubectl',
    ['--kubeconfig', kube.kubeconfig, '--context', kube.context, 'delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=300s'],
    {
      stdio: 'ignore',
    },
  );
}

export function countObjects(namespace: string, kinds = 'configmaps,deployments,services', selector = 'app.kubernetes.io/part-of=helix-bench'): number {
  const kube = sandboxKube();
  const out = execFileSync(
    'kubectl',
    ['--kubeconfig', kube.kubeconfig, '--context', kube.context, '-n', namespace, 'get', kinds, '-l', selector, '-o', 'name'],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean).length;
}

export interface PairResult {
  helix: Sample[];
  ansible: Sample[];
}

/** One set of objects both tools converge, each in its own namespace. */
export interface ObjectSet {
  /** Short name for the bench's work folders (`synthetic-90`, `devpi`). */
  name: string;
  /** The objects for a namespace, the Namespace itself first. */
  objects: (namespace: string) => Obj[];
  /** Counts the set's objects that exist in a namespace (the Namespace not included). */
  count: (namespace: string) => number;
}

/** The synthetic set: a namespace and `n` ConfigMaps, Deployments and Services. */
export function syntheticSet(n: number): ObjectSet {
  return { name: `synthetic-${n}`, objects: (ns) => [namespaceObject(ns), ...benchObjects(ns, n)], count: (ns) => countObjects(ns) };
}

/**
 * k8s converge: create from nothing, then the no-op re-run, helix and Ansible in alternation
 * on the same cluster, each in its own namespace. Asserts both really did the work: every
 * object exists, the create changed every object (helix) or something (Ansible's recap counts
 * the loop task once), and the no-op re-run changed nothing.
 */
export async function k8sConverge(
  set: ObjectSet,
  runs: number,
  opts: { warmAnsible?: boolean } = {},
): Promise<{ create: PairResult; noop: PairResult; objects: number }> {
  const [hNs, aNs] = [`bench-${set.name}-helix`, `bench-${set.name}-ansible`];
  const hObjects = set.objects(hNs);
  const expected = hObjects.length - 1;
  const hRoot = helixProject(`k8s-${set.name}`, hObjects);
  const aBook = ansibleProject(`k8s-ansible-${set.name}`, set.objects(aNs));
  const create: PairResult = { helix: [], ansible: [] };
  const noop: PairResult = { helix: [], ansible: [] };
  const helixRun = () => measure(helix(['play', 'bench', '--env', 'bench', '--json'], hRoot));
  const ansibleRun = () => measure(ansible(aBook));

  // Warm-up, not counted: one create each. Quick mode warms only helix (its playbooks' first
  // transform); Ansible is warm from the earlier scenarios and its warm-up costs half a minute.
  deleteNamespace(hNs);
  deleteNamespace(aNs);
  const warm = await helixRun();
  must(warm.exitCode === 0, `helix warm-up exited ${warm.exitCode}: ${warm.stderr.slice(-600)}`);
  if (opts.warmAnsible !== false) {
    const warmA = await ansibleRun();
    must(warmA.exitCode === 0, `ansible warm-up exited ${warmA.exitCode}: ${warmA.stdout.slice(-800)}`);
  }

  for (let i = 0; i < runs; i++) {
    deleteNamespace(hNs);
    deleteNamespace(aNs);
    const order = i % 2 === 0 ? (['helix', 'ansible'] as const) : (['ansible', 'helix'] as const);
    for (const tool of order) {
      if (tool === 'helix') {
        const s = await helixRun();
        must(s.exitCode === 0, `helix create exited ${s.exitCode}: ${s.stderr.slice(-400)}`);
        must(helixChanged(s) === expected + 1, `helix create changed ${helixChanged(s)} of ${expected + 1}`);
        must(set.count(hNs) === expected, `helix objects exist: ${set.count(hNs)} of ${expected}`);
        create.helix.push(s);
      } else {
        const s = await ansibleRun();
        must(s.exitCode === 0, `ansible create exited ${s.exitCode}: ${s.stdout.slice(-600)}`);
        must(ansibleChanged(s) > 0, 'ansible create changed something');
        must(set.count(aNs) === expected, `ansible objects exist: ${set.count(aNs)} of ${expected}`);
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
        must(s.exitCode === 0 && ansibleChanged(s) === 0, `ansible no-op re-run changed ${ansibleChanged(s)}: ${s.stdout.slice(-1500)}`);
        noop.ansible.push(s);
      }
    }
  }
  deleteNamespace(hNs);
  deleteNamespace(aNs);
  return { create, noop, objects: expected };
}

/** scale: helix's no-op re-run of 100, 300, 1000 objects in one playbook (time and peak RSS). */
export async function k8sScale(counts: number[], runs: number): Promise<Record<number, Sample[]>> {
  const out: Record<number, Sample[]> = {};
  for (const count of counts) {
    const ns = `bench-scale-${count}`;
    const root = helixProject(`scale-${count}`, [namespaceObject(ns), ...benchObjects(ns, count)]);
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
