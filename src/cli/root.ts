import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project root: `HELIX_ROOT`, else the nearest folder upwards holding `playbooks/`,
 * else helix's own checkout (so `helix play devpi` works from anywhere in it).
 */
export function findProjectRoot(start: string): string {
  if (process.env.HELIX_ROOT) return process.env.HELIX_ROOT;
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'playbooks')) && existsSync(join(dir, 'inventory'))) return dir;
    if (dirname(dir) === dir) break;
  }
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}
