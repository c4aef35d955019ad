import type { Command } from 'commander';

/** `helix image build --env <env>`: the runner image of this project, pushed where the inventory says. */
export async function imageBuildCommand(root: string, o: { env: string }): Promise<number> {
  const { ConfigError } = await import('../runtime/errors.ts');
  const { loadInventory } = await import('../runtime/inventory.ts');
  const { buildAndPush, registryCertDir, runnerImage } = await import('../oncluster/image.ts');
  const inv = loadInventory(root, o.env, { secrets: 'placeholder' });
  if (!inv.onCluster) {
    throw new ConfigError(
      `inventory/${o.env}.yaml has no onCluster section: give onCluster.image (the repository to push to)`,
      `inventory/${o.env}.yaml: onCluster`,
    );
  }
  const image = runnerImage(inv.onCluster, root);
  process.stderr.write(`helix: building ${image.ref} (the project at ${image.projectDir} in the image)\n`);
  const { layout, pushed } = await buildAndPush(image, root, registryCertDir(inv.onCluster));
  process.stdout.write(`${pushed ? 'pushed' : 'already in the registry:'} ${image.ref} (layout ${layout})\n`);
  return 0;
}

/** The `image` command group. */
export function registerImage(program: Command, root: () => string): void {
  const image = program.command('image').description('the runner image of in-cluster runs (docs/in-cluster.md)');
  image
    .command('build')
    .description("build an OCI image of helix with this project's playbooks, roles and inventory (no secrets) and push it to the inventory's onCluster.image")
    .option('-e, --env <name>', 'inventory environment (it names the registry)', 'local')
    .action(async (o: { env: string }) => {
      process.exitCode = await imageBuildCommand(root(), o);
    });
}
