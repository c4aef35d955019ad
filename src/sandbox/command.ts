import type { Command } from 'commander';

/**
 * `helix sandbox up|down|status|env`. Thin: parses options and calls `sandbox.ts` (loaded
 * lazily, so other commands do not pay for it). Progress goes to stderr, data to stdout.
 */
export function registerSandbox(program: Command): void {
  const sandbox = program.command('sandbox').description('A real local platform: Kubernetes, Keycloak, Redis, PostgreSQL, devpi, SSH hosts, git');

  sandbox
    .command('up')
    .description('start the sandbox (idempotent: reuses running components; builds and downloads are cached)')
    .option(
      '--only <components>',
      'comma-separated components or groups (k8s, hosts, keycloak, redis, postgres, devpi, oauth2-proxy, ssh, git, …); dependencies are added',
    )
    .option('--ssh-hosts <n>', 'run n SSH hosts (host1 … host<n>), adding or removing hosts; default: keep what runs, 3 at first (env HELIX_SANDBOX_SSH_HOSTS)')
    .action(async (opts: { only?: string; sshHosts?: string }) => {
      const { up } = await import('./sandbox.ts');
      const { parseSshHostCount } = await import('./components/ssh.ts');
      const only = opts.only
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const sshHosts = parseSshHostCount(opts.sshHosts, '--ssh-hosts');
      await up({ only, ...(sshHosts !== undefined ? { sshHosts } : {}) });
    });

  sandbox
    .command('down')
    .description('stop exactly the processes up started; remove namespaces, bridge and data (keeps credentials and keys)')
    .action(async () => {
      const { down } = await import('./sandbox.ts');
      const { leftovers } = await down();
      // Anything left on the machine is a failure of down, listed above on stderr.
      if (leftovers.length) process.exitCode = 1;
    });

  sandbox
    .command('status')
    .description('each component with its health check (exit 1 when a started component is unhealthy)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { status } = await import('./sandbox.ts');
      const rows = await status();
      if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else {
        const w = Math.max(...rows.map((r) => r.name.length));
        for (const r of rows) {
          const state = !r.up && r.detail === 'not started' ? '-    ' : r.ok ? 'ok   ' : 'FAIL ';
          process.stdout.write(`${state} ${r.name.padEnd(w)}  ${r.detail}\n`);
        }
      }
      if (rows.some((r) => r.up && !r.ok)) process.exitCode = 1;
    });

  sandbox
    .command('env')
    .description('print `export` lines for the running sandbox (eval "$(helix sandbox env)"); secrets as file paths only')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { env } = await import('./sandbox.ts');
      const { exportLines } = await import('./outputs.ts');
      const o = env();
      if (opts.json) process.stdout.write(`${JSON.stringify(o, null, 2)}\n`);
      else process.stdout.write(exportLines(o.env));
    });

  // The process the `github` component runs (not for users: `sandbox up` starts it).
  sandbox
    .command('serve-github <config>', { hidden: true })
    .description("the sandbox's GitHub API stand-in (started by `sandbox up`)")
    .action(async (config: string) => {
      const { serveGithub } = await import('./components/github.ts');
      const api = await serveGithub(config);
      process.stderr.write(`github stand-in on ${api.url}\n`);
      await new Promise<never>(() => undefined);
    });
}
