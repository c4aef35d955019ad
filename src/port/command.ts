import type { Command } from 'commander';

/** `helix port <path> --out <dir> [--json]`. The port itself loads only when the command runs. */
export function registerPort(program: Command): void {
  program
    .command('port <path>')
    .description('turn Ansible playbooks and roles (a playbook, a role folder or a folder) into helix TypeScript')
    .requiredOption('--out <dir>', 'folder to write the helix playbooks, roles, component and inventory into')
    .option('--component <name>', 'name of the component the playbooks become (default: the folder or file name)')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, o: { out: string; component?: string; json?: boolean }) => {
      const { portCommand } = await import('./cli.ts');
      process.exitCode = portCommand(path, o);
    });
}
