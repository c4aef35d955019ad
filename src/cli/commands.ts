import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { registerImage } from './image.ts';
import { findProjectRoot } from './root.ts';
import { registerPort } from '../port/command.ts';
import { registerSandbox } from '../sandbox/command.ts';
import { registerVerify } from '../verify/command.ts';

function list(value: string, previous: string[] = []): string[] {
  return [
    ...previous,
    ...value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  ];
}

/** Options shared by play, test and rollback. */
function runOptions(cmd: Command): Command {
  return cmd
    .option('-e, --env <name>', 'inventory environment', 'local')
    .option('--check', 'plan only: report what would change, change nothing')
    .option('--diff', 'show a diff for each change (secrets masked)')
    .option('--json', 'one JSON event per line on stdout')
    .option('--only <names>', 'playbooks (30_redis) or task paths to run alone; comma-separated', list)
    .option('--from <playbook>', 'start at this playbook')
    .option('--tags <tags>', 'only tasks with one of these tags; comma-separated', list)
    .option('--forks <n>', 'hosts handled in parallel per task', (v) => Number.parseInt(v, 10), 20)
    .addOption(new Option('--max-fail-percent <n>', 'stop when more than this percentage of hosts failed').argParser(Number))
    .option('--wait-lock <duration>', 'wait this long (30s, 5m) for another run of the same component and env', parseDuration)
    .option('--set <key=value>', 'override a component variable for this run (YAML value; dotted keys nest); repeatable', setVar, {})
    .option('-v, --verbose', 'also show informational log lines')
    .option(
      '--on-cluster',
      'run the same command in a pod of an Argo Workflow, under RBAC derived from the playbooks (--check prints it); see docs/in-cluster.md',
    );
}

/** `--set a.b=value`: the value is read as YAML (`true`, `3`, `[x]`), dotted keys nest. */
export function setVar(pair: string, previous: Record<string, unknown>): Record<string, unknown> {
  const i = pair.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${pair}"`);
  const keys = pair.slice(0, i).split('.');
  let value: unknown;
  try {
    value = parseYaml(pair.slice(i + 1));
  } catch {
    value = pair.slice(i + 1);
  }
  const out = structuredClone(previous);
  let cur = out;
  for (const k of keys.slice(0, -1)) cur = (cur[k] = typeof cur[k] === 'object' && cur[k] !== null ? cur[k] : {}) as Record<string, unknown>;
  cur[keys[keys.length - 1]!] = value;
  return out;
}

/** `500ms`, `30s`, `5m`, `1h` → milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError(`not a duration: "${value}" (use 500ms, 30s, 5m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

export function registerCommands(program: Command): void {
  const root = (): string => findProjectRoot(process.cwd());

  for (const [name, selection, what] of [
    ['play', 'play', "apply a component's numbered playbooks (all but 88 test and 89 rollback)"],
    ['test', 'test', "run a component's test playbook (88)"],
    ['rollback', 'rollback', "run a component's rollback playbook (89): removes what the play created, keeps the data unless --purge-data"],
  ] as const) {
    const cmd = runOptions(program.command(`${name} <component>`).description(what));
    if (name === 'rollback') {
      cmd.option(
        '--purge-data',
        "also delete the component's data (volumes, PersistentVolumeClaims, databases), which a rollback keeps by default (same as --set purge_data=true)",
      );
    }
    if (name === 'play') cmd.option('--prune', 'after a successful play, delete objects helix created for the component that its playbooks no longer declare');
    cmd.action(async (component: string, o) => {
      if (o.onCluster) {
        const { onClusterCommand } = await import('./on-cluster.ts');
        process.exitCode = await onClusterCommand({ root: root(), component, selection, ...o });
        return;
      }
      const { playCommand } = await import('./play.ts');
      process.exitCode = await playCommand({ root: root(), component, selection, ...o });
    });
  }

  program
    .command('list')
    .description('list components and their playbooks')
    .option('--json', 'as JSON')
    .action(async (o: { json?: boolean }) => {
      const { listCommand } = await import('./list.ts');
      listCommand(root(), o);
    });

  program
    .command('explain <component> <variable>')
    .description("show a variable's value (masked if secret) and where it came from")
    .option('-e, --env <name>', 'inventory environment', 'local')
    .option('--json', 'as JSON')
    .action(async (component: string, variable: string, o: { env: string; json?: boolean }) => {
      const { explainCommand } = await import('./explain.ts');
      explainCommand(root(), component, variable, o);
    });

  program
    .command('history <component>')
    .description('list the recorded runs of a component in an environment')
    .option('-e, --env <name>', 'inventory environment', 'local')
    .option('--json', 'as JSON')
    .action(async (component: string, o: { env: string; json?: boolean }) => {
      const { historyCommand } = await import('./state.ts');
      await historyCommand(root(), component, o);
    });

  program
    .command('unlock <component>')
    .description("release a component's run lock left by a run that is gone (asks first)")
    .option('-e, --env <name>', 'inventory environment', 'local')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (component: string, o: { env: string; yes?: boolean }) => {
      const { unlockCommand } = await import('./state.ts');
      process.exitCode = await unlockCommand(root(), component, o);
    });

  registerImage(program, root);
  registerOptional(program);
}

/** Command groups owned by other parts of helix, added when present. */
function registerOptional(program: Command): void {
  registerVerify(program, () => findProjectRoot(process.cwd()));
  registerSandbox(program);
  registerPort(program);
}
