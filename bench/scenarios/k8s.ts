import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { benchObjects, namespaceObject } from '../k8s-objects.ts';
import { type Command, measure, type Sample } from '../measure.ts';
import { KUBECTL, kubectlBin } from '../peers.ts';
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

function kubectl(args: string[]): string {
  const kube = sandboxKube();
  return execFileSync(kubectlBin(), ['--kubeconfig', kube.kubeconfig, '--context', kube.context, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function deleteNamespace(namespace: string): void {
  kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--wait=true', '--timeout=300s']);
}

export function countObjects(namespace: string, kinds = SYNTHETIC_KINDS, selector = SYNTHETIC_SELECTOR): number {
  return kubectl(['-n', namespace, 'get', kinds, '-l', selector, '-o', 'name']).split('\n').filter(Boolean).length;
}

const SYNTHETIC_KINDS = 'configmaps,deployments,services';
const SYNTHETIC_SELECTOR = 'app.kubernetes.io/part-of=helix-bench';
/** The field manager of the kubectl peer's server-side applies. */
export const KUBECTL_MANAGER = 'bench-kubectl';

/**
 * When `manager` last applied each of a set's objects in a namespace (`Kind/name` → time of its
 * `Apply` managedFields entry). A server-side apply that changes nothing writes nothing, so
 * the same map before and after a re-apply proves it was a no-op; controllers writing status
 * in between do not count, as a resourceVersion comparison would.
 */
export function applyTimes(namespace: string, kinds: string, selector: string, manager: string): Record<string, string> {
  const list = JSON.parse(kubectl(['-n', namespace, 'get', kinds, '-l', selector, '--show-managed-fields', '-o', 'json'])) as {
    items: { kind: string; metadata: { name: string; managedFields?: { manager: string; operation: string; time?: string }[] } }[];
  };
  return Object.fromEntries(
    list.items.map((o) => [
      `${o.kind}/${o.metadata.name}`,
      o.metadata.managedFields?.find((m) => m.manager === manager && m.operation === 'Apply')?.time ?? 'none',
    ]),
  );
}

/** The objects as one multi-document YAML file for `kubectl apply -f`, in the order the other tools apply them. */
export function kubectlProject(name: string, objects: readonly Obj[]): string {
  const file = join(WORK, name, 'objects.yaml');
  writeFile(file, objects.map((o) => stringify(o)).join('---\n'));
  return file;
}

/** `kubectl apply --server-side` of a file, as a user would type it. */
export function kubectlApply(file: string): Command {
  const kube = sandboxKube();
  return {
    argv: [KUBECTL, '--kubeconfig', kube.kubeconfig, '--context', kube.context, 'apply', '--server-side', `--field-manager=${KUBECTL_MANAGER}`, '-f', file],
  };
}

/** Samples per tool of one scenario. */
export type ToolSamples = Partial<Record<'helix' | K8sPeer, Sample[]>>;
export type K8sPeer = 'ansible' | 'kubectl';

/** One set of objects every tool converges, each in its own namespace. */
export interface ObjectSet {
  /** Short name for the bench's work folders (`synthetic-90`, `devpi`). */
  name: string;
  /** The objects for a namespace, the Namespace itself first. */
  objects: (namespace: string) => Obj[];
  /** Kinds to count with `kubectl get` (`configmaps,deployments.apps`). */
  kinds: string;
  /** The label selector of the set's objects. */
  selector: string;
}

/** The synthetic set: a namespace and `n` ConfigMaps, Deployments and Services. */
export function syntheticSet(n: number): ObjectSet {
  return { name: `synthetic-${n}`, objects: (ns) => [namespaceObject(ns), ...benchObjects(ns, n)], kinds: SYNTHETIC_KINDS, selector: SYNTHETIC_SELECTOR };
}

/**
 * k8s converge: create from nothing, then the no-op re-run, helix and each peer (Ansible's
 * kubernetes.core, `kubectl apply --server-side`) in rotation on the same cluster, each in its
 * own namespace. Asserts every tool really did the work: every object exists after the create,
 * the create changed every object (helix) or something (Ansible's recap counts the loop task
 * once), and the no-op re-run changed nothing (helix's and Ansible's own counts; for kubectl,
 * whose output says `serverside-applied` either way, its Apply entries were not rewritten).
 */
export async function k8sConverge(
  set: ObjectSet,
  runs: number,
  opts: { warmAnsible?: boolean; peers?: readonly K8sPeer[] } = {},
): Promise<{ create: ToolSamples; noop: ToolSamples; objects: number }> {
  const peers = opts.peers ?? ['ansible'];
  const tools = ['helix', ...peers] as const;
  const ns = (tool: string) => `bench-${set.name}-${tool}`;
  const hObjects = set.objects(ns('helix'));
  const expected = hObjects.length - 1;
  const hRoot = helixProject(`k8s-${set.name}`, hObjects);
  const aBook = peers.includes('ansible') ? ansibleProject(`k8s-ansible-${set.name}`, set.objects(ns('ansible'))) : '';
  const kFile = peers.includes('kubectl') ? kubectlProject(`k8s-kubectl-${set.name}`, set.objects(ns('kubectl'))) : '';
  const create: ToolSamples = Object.fromEntries(tools.map((t) => [t, []]));
  const noop: ToolSamples = Object.fromEntries(tools.map((t) => [t, []]));
  const run = (tool: (typeof tools)[number]): Promise<Sample> =>
    measure(tool === 'helix' ? helix(['play', 'bench', '--env', 'bench', '--json'], hRoot) : tool === 'ansible' ? ansible(aBook) : kubectlApply(kFile));
  const count = (tool: string) => countObjects(ns(tool), set.kinds, set.selector);
  const deleteAll = () => {
    for (const t of tools) deleteNamespace(ns(t));
  };

  // Warm-up, not counted: one create each. Quick mode warms only helix and kubectl (helix's
  // playbooks' first transform); Ansible is warm from the earlier scenarios and its warm-up
  // costs half a minute.
  deleteAll();
  for (const tool of tools) {
    if (tool === 'ansible' && opts.warmAnsible === false) continue;
    const w = await run(tool);
    must(w.exitCode === 0, `${tool} warm-up exited ${w.exitCode}: ${w.stderr.slice(-600)}${w.stdout.slice(-800)}`);
  }

  for (let i = 0; i < runs; i++) {
    deleteAll();
    const order = rotate(tools, i);
    for (const tool of order) {
      const s = await run(tool);
      must(s.exitCode === 0, `${tool} create exited ${s.exitCode}: ${s.stderr.slice(-400)}${s.stdout.slice(-600)}`);
      if (tool === 'helix') must(helixChanged(s) === expected + 1, `helix create changed ${helixChanged(s)} of ${expected + 1}`);
      if (tool === 'ansible') must(ansibleChanged(s) > 0, 'ansible create changed something');
      must(count(tool) === expected, `${tool} objects exist: ${count(tool)} of ${expected}`);
      create[tool]!.push(s);
    }
    const before = peers.includes('kubectl') ? applyTimes(ns('kubectl'), set.kinds, set.selector, KUBECTL_MANAGER) : {};
    for (const tool of order) {
      const s = await run(tool);
      if (tool === 'helix') must(s.exitCode === 0 && helixChanged(s) === 0, `helix no-op re-run changed ${helixChanged(s)}`);
      if (tool === 'ansible') must(s.exitCode === 0 && ansibleChanged(s) === 0, `ansible no-op re-run changed ${ansibleChanged(s)}: ${s.stdout.slice(-1500)}`);
      if (tool === 'kubectl') {
        must(s.exitCode === 0, `kubectl no-op re-apply exited ${s.exitCode}: ${s.stderr.slice(-600)}`);
        const after = applyTimes(ns('kubectl'), set.kinds, set.selector, KUBECTL_MANAGER);
        const rewritten = Object.keys(after).filter((k) => after[k] !== before[k]);
        must(Object.keys(after).length === expected && rewritten.length === 0, `kubectl no-op re-apply rewrote ${rewritten.join(', ')}`);
      }
      noop[tool]!.push(s);
    }
  }
  deleteAll();
  return { create, noop, objects: expected };
}

/** The tools in turn: run i starts with tool i, so no tool always goes first on a warm cache. */
export function rotate<T>(tools: readonly T[], i: number): T[] {
  const k = i % tools.length;
  return [...tools.slice(k), ...tools.slice(0, k)];
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
