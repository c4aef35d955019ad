import { relative } from 'node:path';
import { listComponents } from '../runtime/loader.ts';

/** `helix list`: components and their numbered playbooks, without loading any of them. */
export function listCommand(root: string, o: { json?: boolean }): void {
  const components = listComponents(root).map((c) => ({
    name: c.name,
    path: relative(root, c.dir),
    playbooks: c.playbooks.map((p) => p.name),
  }));
  if (o.json) {
    process.stdout.write(`${JSON.stringify(components)}\n`);
    return;
  }
  for (const c of components) process.stdout.write(`${c.name.padEnd(16)} ${c.path}\n  ${c.playbooks.join('  ')}\n`);
}
