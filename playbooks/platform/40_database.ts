import { definePlaybook } from 'helix';
import * as postgres from 'helix/modules/postgres';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';

/**
 * Installation step 4, external databases: Devtron's databases (orchestrator, lens,
 * git_sensor, casbin) exist before the chart's migrations run. Idempotent; never dropped
 * except by a rollback with purge_data.
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return p.v.database.names.map((name) =>
    postgres.database(name, { connection: (ctx) => p.pg(ctx), ...(p.v.database.owner ? { owner: p.v.database.owner } : {}) }),
  );
});
