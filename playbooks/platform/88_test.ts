import { defineTask, definePlaybook, noChange } from 'helix';
import * as postgres from 'helix/modules/postgres';
import { readinessContext, runReadiness, type CheckResult } from 'helix/verify';
import type { PlatformVars } from './component.ts';
import { platform } from './lib/context.ts';
import readiness from './verify.ts';

/**
 * The platform's test playbook: the readiness checks of `helix verify platform` (any FAIL
 * fails the test) and Devtron's databases present on PostgreSQL.
 */
export default definePlaybook<PlatformVars>((env) => {
  const p = platform(env);
  return [
    defineTask<CheckResult[]>({
      kind: 'platform.verify',
      name: 'readiness',
      plan: async () => {
        const results = await runReadiness(readiness, readinessContext(env, { static: false }));
        const failed = results.filter((r) => r.status === 'FAIL');
        if (failed.length) throw new Error(`readiness FAIL: ${failed.map((r) => `${r.id}: ${r.evidence}`).join('; ')}`);
        return noChange(`${results.length} readiness checks, none FAIL (${results.filter((r) => r.status === 'WARN').length} WARN)`, results);
      },
    }),
    defineTask<string[]>({
      kind: 'platform.databases',
      name: 'databases',
      plan: async (ctx) => {
        const present = await postgres.listDatabases(postgres.pgClient(ctx, p.pg(ctx)));
        const missing = p.v.database.names.filter((n) => !present.includes(n));
        if (missing.length) throw new Error(`missing databases: ${missing.join(', ')}`);
        return noChange(`databases ${p.v.database.names.join(', ')} exist`, p.v.database.names);
      },
    }),
  ];
});
