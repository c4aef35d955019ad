import type { TodoReason } from './jinja/scope.ts';

/**
 * What became of each Ansible task:
 * - `mapped`: a helix task from a module (k8s.apply, keycloak.client, ssh.file …);
 * - `inlined`: TypeScript that is not a task (set_fact → a const, include_role → a role call,
 *   a token request → the Keycloak admin connection, an assert on variables → a validation);
 * - `wrapped`: a shell script run as is by exec (counted apart: not a real translation);
 * - `debug`: Ansible `debug` output, kept as `lib/port.ts` `debug` (a log line, not a translation
 *   of work: counted apart, never as mapped);
 * - `dropped`: nothing to do in helix (`helm repo update`, `meta: flush_handlers`);
 * - `todo`: a `// TODO(port):` comment holding the original YAML.
 */
export type Outcome = 'mapped' | 'inlined' | 'wrapped' | 'debug' | 'dropped' | 'todo';

export interface TodoEntry {
  readonly reason: TodoReason;
  readonly message: string;
  readonly line: number;
  readonly task: string;
}

export interface FileReport {
  /** The Ansible file, relative to the input. */
  readonly file: string;
  found: number;
  mapped: number;
  inlined: number;
  wrapped: number;
  debug: number;
  dropped: number;
  todo: number;
  readonly todos: TodoEntry[];
  readonly notes: string[];
}

export interface PortReport {
  readonly input: string;
  readonly out: string;
  readonly files: FileReport[];
  readonly totals: { found: number; mapped: number; inlined: number; wrapped: number; debug: number; dropped: number; todo: number };
  /** Mapped tasks as a share of the tasks that are not `debug`, in percent (one decimal). */
  readonly mappedShare: number;
  readonly todosByReason: Record<string, number>;
  /** Variables read but defined nowhere (not in vars, defaults, inventory or group_vars). */
  readonly undefinedVars: readonly { name: string; usedIn: readonly string[] }[];
  /** Files written, relative to `out`. */
  readonly generated: readonly string[];
  /** Input files that could not be read. */
  readonly problems: readonly { file: string; message: string }[];
}

export class Reports {
  readonly #files = new Map<string, FileReport>();

  file(name: string): FileReport {
    let f = this.#files.get(name);
    if (!f) {
      f = { file: name, found: 0, mapped: 0, inlined: 0, wrapped: 0, debug: 0, dropped: 0, todo: 0, todos: [], notes: [] };
      this.#files.set(name, f);
    }
    return f;
  }

  record(file: string, outcome: Outcome, todoEntry?: TodoEntry): void {
    const f = this.file(file);
    f.found++;
    f[outcome]++;
    if (todoEntry) f.todos.push(todoEntry);
  }

  note(file: string, text: string): void {
    const f = this.file(file);
    if (!f.notes.includes(text)) f.notes.push(text);
  }

  build(input: string, out: string, extra: Pick<PortReport, 'undefinedVars' | 'generated' | 'problems'>): PortReport {
    const files = [...this.#files.values()].sort((a, b) => a.file.localeCompare(b.file));
    const totals = { found: 0, mapped: 0, inlined: 0, wrapped: 0, debug: 0, dropped: 0, todo: 0 };
    const todosByReason: Record<string, number> = {};
    for (const f of files) {
      for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += f[k];
      for (const t of f.todos) todosByReason[t.reason] = (todosByReason[t.reason] ?? 0) + 1;
    }
    return { input, out, files, totals, mappedShare: mappedShare(totals), todosByReason: sortKeys(todosByReason), ...extra };
  }
}

/** Mapped tasks in percent of the tasks that are not `debug` (one decimal). */
export function mappedShare(t: { found: number; mapped: number; debug: number }): number {
  const d = t.found - t.debug;
  return d ? Math.round((1000 * t.mapped) / d) / 10 : 0;
}

function sortKeys(r: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(r).sort(([a, x], [b, y]) => y - x || a.localeCompare(b)));
}

/** The report as text for a terminal. */
export function formatReport(r: PortReport): string {
  const t = r.totals;
  const lines: string[] = [];
  lines.push(`helix port ${r.input} → ${r.out}`);
  lines.push('');
  lines.push(
    `tasks found ${t.found} · mapped ${t.mapped} (${r.mappedShare}% of the ${t.found - t.debug} that are not debug) · inlined ${t.inlined} · shell kept ${t.wrapped} · debug ${t.debug} · dropped ${t.dropped} · TODO ${t.todo}`,
  );
  const reasons = Object.entries(r.todosByReason);
  if (reasons.length) lines.push(`TODOs by reason: ${reasons.map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push('');
  const w = Math.max(4, ...r.files.map((f) => f.file.length));
  lines.push(`${'file'.padEnd(w)}  found mapped inlined shell debug dropped todo`);
  for (const f of r.files) {
    lines.push(
      `${f.file.padEnd(w)}  ${String(f.found).padStart(5)} ${String(f.mapped).padStart(6)} ${String(f.inlined).padStart(7)} ${String(f.wrapped).padStart(5)} ${String(f.debug).padStart(5)} ${String(f.dropped).padStart(7)} ${String(f.todo).padStart(4)}`,
    );
  }
  for (const f of r.files) {
    if (!f.todos.length && !f.notes.length) continue;
    lines.push('');
    lines.push(`${f.file}:`);
    for (const todo of f.todos) lines.push(`  TODO ${todo.reason} (line ${todo.line}, ${todo.task}): ${todo.message}`);
    for (const n of f.notes) lines.push(`  note: ${n}`);
  }
  if (r.undefinedVars.length) {
    lines.push('');
    lines.push('variables read but defined nowhere (set them in the inventory):');
    for (const v of r.undefinedVars) lines.push(`  ${v.name}  (${v.usedIn.join(', ')})`);
  }
  if (r.problems.length) {
    lines.push('');
    lines.push('could not read:');
    for (const p of r.problems) lines.push(`  ${p.file}: ${p.message}`);
  }
  return lines.join('\n');
}
