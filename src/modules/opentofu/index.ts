/**
 * The `opentofu` module: OpenTofu (MPL-2.0) run on a root module, read-only. `plan` runs
 * `tofu init` and `tofu plan -detailed-exitcode` with its working data in a scratch folder and
 * returns the exit code and the resources the plan would change.
 *
 * ```ts
 * import { plan } from 'helix/modules/opentofu';
 * const r = await plan({ dir: 'terraform/envs/prod' });
 * if (r.code === 2) console.log(r.changes.map((c) => `${c.address}: ${c.actions}`));
 * ```
 */
export {
  changedAttributes,
  errorExcerpt,
  findTofu,
  installTofu,
  lockInfo,
  plan,
  planChanges,
  tofu,
  type PlannedChange,
  type PlanJson,
  type PlanOptions,
  type PlanResult,
  type TofuOptions,
  type TofuResult,
} from './tofu.ts';
