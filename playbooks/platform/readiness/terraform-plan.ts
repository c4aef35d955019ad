import { relative } from 'node:path';
import { errorExcerpt, findTofu, lockInfo, plan, type PlannedChange, type PlanResult } from 'helix/modules/opentofu';
import { type CheckResult, fail, pass, warn } from 'helix/verify';
import type { Platform } from '../lib/context.ts';

const ID = 'plan-drift';
const TITLE = 'Terraform state matches its configuration (tofu plan: no changes)';

/** `terraform_data.x: update (input)`. */
function describe(c: PlannedChange): string {
  return `${c.address}: ${c.actions}${c.attributes.length ? ` (${c.attributes.join(', ')})` : ''}`;
}

/**
 * A (drift): `tofu plan -detailed-exitcode` on `terraform.plan.dir` against its real backend.
 * Exit 0 is a PASS; exit 2 (the plan is not empty: the state no longer matches the
 * configuration and what it reads) is a FAIL naming each resource and attribute; a held state
 * lock is a WARN (the plan did not run); any other error a FAIL with tofu's error. No tofu
 * is a WARN, like promtool's. Nothing when the inventory configures no plan.
 */
export async function planChecks(p: Platform, o: { /** `null`: none installed. @default findTofu() */ tofu?: string | null } = {}): Promise<CheckResult[]> {
  const cfg = p.v.terraform.plan;
  if (!cfg) return [];
  const dir = p.path(cfg.dir);
  const where = relative(p.env.inventoryDir, dir) || dir;
  const bin = cfg.binary ? p.path(cfg.binary) : o.tofu === undefined ? findTofu() : (o.tofu ?? undefined);
  if (!bin)
    return [
      warn(
        'A',
        ID,
        TITLE,
        `tofu not found: ${where} was not planned`,
        'build it (`node src/modules/opentofu/install.ts`), set HELIX_TOFU, or set terraform.plan.binary',
      ),
    ];
  const r = await plan({ dir, tofu: bin, lockTimeout: cfg.lock_timeout });
  return [planResult(r, where)];
}

/** The check's result for one plan of the module at `where`. */
export function planResult(r: PlanResult, where: string): CheckResult {
  if (r.code === 0) return pass('A', ID, TITLE, `tofu plan -detailed-exitcode: exit 0, no changes in ${where}`);
  if (r.code === 2) {
    const drift = r.drift.length ? `; changed outside OpenTofu: ${r.drift.map(describe).join('; ')}` : '';
    const changes = r.changes.length ? r.changes.map(describe).join('; ') : 'changes (tofu show -json listed none)';
    return fail(
      'A',
      ID,
      TITLE,
      `tofu plan -detailed-exitcode: exit 2, drift in ${where}: ${changes}${drift}`,
      'find what changed since the last apply (the stack or what it reads), then apply the reviewed plan or revert the change',
    );
  }
  const lock = lockInfo(r.output);
  if (lock) {
    const by = [lock.who && `by ${lock.who}`, lock.operation && `for ${lock.operation}`, lock.id && `(lock ID ${lock.id})`].filter(Boolean).join(' ');
    return warn(
      'A',
      ID,
      TITLE,
      `tofu plan: the state of ${where} is locked ${by}: drift not checked`,
      'run verify again when that operation ends; `tofu force-unlock <lock ID>` only if it died',
    );
  }
  return fail(
    'A',
    ID,
    TITLE,
    `tofu plan (exit ${r.code}) in ${where} failed:\n${errorExcerpt(r.output)}`,
    'fix the backend access (AWS_* environment) or the configuration tofu names',
  );
}
