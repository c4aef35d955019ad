import type { Command } from 'commander';
import { describeError, exitCodeFor, ValidationError } from '../runtime/errors.ts';

interface VerifyCliOptions {
  env: string;
  format?: 'table' | 'md' | 'json';
  json?: boolean;
  static?: boolean;
  check?: boolean;
}

/** `helix verify platform --env <name> [--format md|json] [--static]`. */
export function registerVerify(program: Command, root: () => string): void {
  program
    .command('verify')
    .description('readiness reports')
    .command('platform')
    .description('the Devtron platform readiness report, sections A–J (exit 1 on any FAIL)')
    .option('-e, --env <name>', 'inventory environment', 'local')
    .option('--format <format>', 'table, md or json', 'table')
    .option('--json', 'same as --format json')
    .option('--static', 'no cluster: check the Terraform files and what helix would apply (CI pre-merge)')
    .option('--check', 'same as --static')
    .action(async (o: VerifyCliOptions) => {
      const { verifyPlatform } = await import('./platform/index.ts');
      const { renderJson, renderMarkdown, renderTable } = await import('./render.ts');
      const format = o.json ? 'json' : (o.format ?? 'table');
      if (!['table', 'md', 'json'].includes(format)) {
        process.stderr.write(`helix: --format must be table, md or json\n`);
        process.exitCode = 2;
        return;
      }
      const staticOnly = o.static === true || o.check === true;
      try {
        const results = await verifyPlatform({ root: root(), env: o.env, static: staticOnly });
        const title = `Platform readiness: ${o.env}${staticOnly ? ' (static)' : ''}`;
        const text =
          format === 'json'
            ? renderJson(results, { env: o.env, mode: staticOnly ? 'static' : 'live' })
            : format === 'md'
              ? renderMarkdown(results, title)
              : renderTable(results, title);
        process.stdout.write(text);
        process.exitCode = results.some((r) => r.status === 'FAIL') ? 1 : 0;
      } catch (error) {
        const msg = error instanceof ValidationError ? error.message : describeError(error);
        process.stderr.write(`helix: ${msg}\n`);
        process.exitCode = exitCodeFor(error);
      }
    });
}
