import { installWeed } from '../../sandbox/seaweedfs.ts';
import { installTofu } from './tofu.ts';

/**
 * `node src/modules/opentofu/install.ts`: builds OpenTofu's `tofu` and SeaweedFS's
 * `weed` (the S3 server of the backend tests) into the cache, one after the other, and prints
 * their paths.
 */
(async () => {
  for (const [name, install] of [
    ['tofu', installTofu],
    ['weed', installWeed],
  ] as const) {
    const t0 = Date.now();
    const path = await install();
    process.stderr.write(`${name}: ${path} (${Math.round((Date.now() - t0) / 1000)}s)\n`);
    process.stdout.write(`${path}\n`);
  }
})().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
