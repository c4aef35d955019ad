import type { Command } from 'commander';
import { describeError, exitCodeFor, ValidationError } from '../runtime/errors.ts';

interface VerifyCliOptions {
  env: string;
  format?: 'table' | 'md' | 'json';
  json?: boolean;
  static?: boolean;
  check?: boolean;
}

/**
 * `helix verify <component> --env <name> [--format md|json] [--static]`: the component's own
 * readiness checks (its `verify.ts`), found the way playbooks are.
 */
export function registerVerify(program: Command, root: () => string): void {
  program
    .command('verify <component>')
    .description("a component's readiness report from its verify.ts (the platform's: sections A–J); exit 1 on any FAIL")
    .option('-e, --env <name>', 'inventory environment', 'local')
    .option('--format <format>', 'table, md or json', 'table')
    .option('--json', 'same as --format json')
    .option('--static', 'no cluster: check files and what helix would apply (CI pre-merge)')
    .option('--check', 'same as --static')
    .action(async (component: string, o: VerifyCliOptions) => {
      const format = o.json ? 'json' : (o.format ?? 'table');
      if (!['table', 'md', 'json'].includes(format)) {
        process.stderr.write(`helix: --format must be table, md or json\n`);
        process.exitCode = 2;
        return;
      }
      const staticOnly = o.static === true || o.check === true;
      try {
        const { verifyComponent } = await import('./run.ts');
        const { renderJson, renderMarkdown, renderTable } = await import('./render.ts');
        const { results, sections } = await verifyComponent({ root: root(), component, env: o.env, static: staticOnly });
        const title = `${component} readiness: ${o.env}${staticOnly ? ' (static)' : ''}`;
        const text =
          format === 'json'
            ? renderJson(results, { component, env: o.env, mode: staticOnly ? 'static' : 'live' }, sections)
            : format === 'md'
              ? renderMarkdown(results, title, sections)
              : renderTable(results, title, sections);
        process.stdout.write(text);
        process.exitCode = results.some((r) => r.status === 'FAIL') ? 1 : 0;
      } catch (error) {
        const msg = error instanceof ValidationError ? error.message : describeError(error);
        process.stderr.write(`helix: ${msg}\n`);
        process.exitCode = exitCodeFor(error);
      }
    });
}
