import { installPromtool } from './promtool.ts';

/** `node src/modules/prometheus/install.ts`: builds promtool into the cache and prints its path. */
installPromtool().then(
  (p) => process.stdout.write(`${p}\n`),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exit(1);
  },
);
