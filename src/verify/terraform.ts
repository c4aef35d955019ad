import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { type CheckResult, fail, pass, warn } from './report.ts';

/** One parsed `.tf` file: hcl2json's JSON form (blocks as arrays of bodies). */
export interface TfFile {
  file: string;
  json: Record<string, unknown>;
}

/** Parses every `.tf` file of the folders (not recursive into `.terraform`) with a real HCL parser. */
export async function parseTerraformDirs(dirs: readonly string[]): Promise<{ files: TfFile[]; errors: string[] }> {
  const files: TfFile[] = [];
  const errors: string[] = [];
  const walk = (dir: string): string[] => {
    if (!existsSync(dir)) {
      errors.push(`${dir}: no such folder`);
      return [];
    }
    return readdirSync(dir)
      .sort()
      .flatMap((e) => {
        const p = join(dir, e);
        if (e.startsWith('.')) return [];
        if (statSync(p).isDirectory()) return walk(p);
        return e.endsWith('.tf') ? [p] : [];
      });
  };
  for (const file of [...new Set(dirs.flatMap(walk))]) {
    try {
      files.push({ file, json: (await parse(file, readFileSync(file, 'utf8'))) as Record<string, unknown> });
    } catch (e) {
      errors.push(`${file}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  return { files, errors };
}

type Body = Record<string, unknown>;
const bodies = (v: unknown): Body[] => (Array.isArray(v) ? (v as Body[]) : v && typeof v === 'object' ? [v as Body] : []);

/** Every `backend "<type>"` block of every `terraform {}` block. */
export function backends(files: readonly TfFile[]): { file: string; type: string; body: Body }[] {
  const out: { file: string; type: string; body: Body }[] = [];
  for (const f of files) {
    for (const tf of bodies(f.json.terraform)) {
      const be = (tf.backend ?? {}) as Record<string, unknown>;
      for (const [type, v] of Object.entries(be)) for (const body of bodies(v)) out.push({ file: f.file, type, body });
    }
  }
  return out;
}

/** `resource "<type>" "<name>"` addresses. */
export function resources(files: readonly TfFile[]): { file: string; address: string; type: string }[] {
  const out: { file: string; address: string; type: string }[] = [];
  for (const f of files) {
    const res = (f.json.resource ?? {}) as Record<string, Record<string, unknown>>;
    for (const [type, byName] of Object.entries(res))
      for (const name of Object.keys(byName ?? {})) out.push({ file: f.file, address: `${type}.${name}`, type });
  }
  return out;
}

/** `required_providers` entries naming hashicorp/kubernetes or hashicorp/helm. */
function forbiddenProviders(files: readonly TfFile[]): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  for (const f of files) {
    for (const tf of bodies(f.json.terraform)) {
      for (const rp of bodies(tf.required_providers)) {
        for (const [name, spec] of Object.entries(rp)) {
          const source = typeof spec === 'object' && spec ? String((spec as Body).source ?? '') : '';
          if (/(^|\/)(kubernetes|helm)$/.test(source) || name === 'kubernetes' || name === 'helm') out.push({ file: f.file, name });
        }
      }
    }
    for (const name of Object.keys((f.json.provider ?? {}) as Body)) if (name === 'kubernetes' || name === 'helm') out.push({ file: f.file, name });
  }
  return out;
}

/** `required_version` must allow only Terraform >= 1.11 (use_lockfile GA). */
export function versionAllowsLockfile(constraint: string): boolean {
  const m = />=\s*(\d+)\.(\d+)/.exec(constraint) ?? /~>\s*(\d+)\.(\d+)/.exec(constraint) ?? /^=?\s*(\d+)\.(\d+)/.exec(constraint.trim());
  if (!m) return false;
  const [maj, min] = [Number(m[1]), Number(m[2])];
  return maj > 1 || (maj === 1 && min >= 11);
}

const truthy = (v: unknown): boolean => v === true || v === 'true';

/** Section A and the 002 hard boundary, from parsed Terraform files. `base` shortens paths in evidence. */
export function terraformChecks(files: readonly TfFile[], parseErrors: readonly string[], base: string): CheckResult[] {
  const rel = (p: string): string => relative(base, p) || p;
  const out: CheckResult[] = [];
  for (const e of parseErrors) out.push(fail('A', 'parse', 'Terraform files parse', e, 'fix the HCL syntax (terraform fmt / validate)'));
  if (files.length === 0) {
    out.push(fail('A', 'files', 'Terraform root module present', 'no .tf files found', 'point terraform.dir at the environment root module'));
    return out;
  }
  const bes = backends(files);
  const s3 = bes.filter((b) => b.type === 's3');
  if (s3.length === 0) {
    out.push(
      fail(
        'A',
        'backend',
        'S3 remote state backend',
        bes.length ? `backends: ${bes.map((b) => `${b.type} in ${rel(b.file)}`).join(', ')}` : 'no backend block: state stays local, in plain text',
        'add backend "s3" with encrypt, kms_key_id and use_lockfile',
      ),
    );
  }
  for (const b of s3) {
    const where = `${rel(b.file)}: backend "s3"`;
    out.push(
      truthy(b.body.use_lockfile)
        ? pass('A', 'backend-lockfile', 'native S3 state locking', `${where}: use_lockfile = true`)
        : fail(
            'A',
            'backend-lockfile',
            'native S3 state locking',
            `${where}: use_lockfile is ${b.body.use_lockfile === undefined ? 'not set' : String(b.body.use_lockfile)}`,
            'set use_lockfile = true (Terraform >= 1.11)',
          ),
    );
    out.push(
      truthy(b.body.encrypt)
        ? pass('A', 'backend-encrypt', 'state encrypted at rest', `${where}: encrypt = true`)
        : fail(
            'A',
            'backend-encrypt',
            'state encrypted at rest',
            `${where}: encrypt is ${b.body.encrypt === undefined ? 'not set' : String(b.body.encrypt)}`,
            'set encrypt = true',
          ),
    );
    out.push(
      typeof b.body.kms_key_id === 'string' && b.body.kms_key_id.length > 0
        ? pass('A', 'backend-kms', 'state encrypted with a customer KMS key', `${where}: kms_key_id = ${b.body.kms_key_id}`)
        : fail('A', 'backend-kms', 'state encrypted with a customer KMS key', `${where}: kms_key_id is not set`, 'set kms_key_id to the state KMS key ARN'),
    );
    out.push(
      b.body.dynamodb_table === undefined && b.body.dynamodb_endpoint === undefined
        ? pass('A', 'backend-no-dynamodb', 'no DynamoDB locking', `${where}: no dynamodb_table`)
        : fail(
            'A',
            'backend-no-dynamodb',
            'no DynamoDB locking',
            `${where}: dynamodb_table = ${String(b.body.dynamodb_table ?? b.body.dynamodb_endpoint)}`,
            'remove dynamodb_table (deprecated since 1.11); use_lockfile replaces it',
          ),
    );
  }
  const versions = files.flatMap((f) => bodies(f.json.terraform).map((t) => ({ file: f.file, v: t.required_version })));
  const rv = versions.find((x) => typeof x.v === 'string');
  out.push(
    rv && versionAllowsLockfile(rv.v as string)
      ? pass('A', 'required-version', 'Terraform version supports use_lockfile', `${rel(rv.file)}: required_version = "${String(rv.v)}"`)
      : warn(
          'A',
          'required-version',
          'Terraform version supports use_lockfile',
          rv ? `${rel(rv.file)}: required_version = "${String(rv.v)}"` : 'no required_version',
          'require Terraform ">= 1.11.0" (use_lockfile is GA from 1.11)',
        ),
  );
  const bad = resources(files).filter((r) => r.type.startsWith('kubernetes_') || r.type === 'helm_release');
  const providers = forbiddenProviders(files);
  out.push(
    bad.length === 0 && providers.length === 0
      ? pass(
          'A',
          'hard-boundary',
          'no Kubernetes payloads in Terraform (002 hard boundary)',
          `${files.length} files, no kubernetes_* or helm_release resources`,
        )
      : fail(
          'A',
          'hard-boundary',
          'no Kubernetes payloads in Terraform (002 hard boundary)',
          [...bad.map((r) => `${rel(r.file)}: resource ${r.address}`), ...providers.map((p) => `${rel(p.file)}: provider ${p.name}`)].join('; '),
          'move cluster payloads to GitOps/helix; Terraform owns the cluster, not what runs in it',
        ),
  );
  return out;
}

interface IamStatement {
  Effect?: string;
  Action?: string | string[];
  Resource?: string | string[];
}

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Does an IAM action pattern (`s3:*`, `s3:Delete*`) cover `action`? */
function covers(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** The CI policy grants s3:DeleteObject on the `.tflock` object (without it a failed run leaves the lock). */
export function ciPolicyChecks(file: string, text: string, stateKeys: readonly string[], base: string): CheckResult[] {
  const rel = relative(base, file) || file;
  let doc: { Statement?: IamStatement | IamStatement[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    return [fail('A', 'ci-policy', 'CI policy can release the state lock', `${rel}: not JSON (${(e as Error).message})`, 'fix the policy JSON')];
  }
  const statements = Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  const allows = statements.filter((s) => s.Effect === 'Allow');
  const denies = statements.filter((s) => s.Effect === 'Deny');
  const lockResources = (s: IamStatement): string[] =>
    list(s.Resource).filter((r) => /\.tflock$/.test(r) || /\*$/.test(r) || stateKeys.some((k) => r.endsWith(`${k}.tflock`)));
  const grant = allows.find((s) => list(s.Action).some((a) => covers(a, 's3:DeleteObject')) && lockResources(s).length > 0);
  const denied = denies.find((s) => list(s.Action).some((a) => covers(a, 's3:DeleteObject')) && lockResources(s).length > 0);
  if (grant && !denied) {
    return [pass('A', 'ci-policy', 'CI policy can release the state lock', `${rel}: s3:DeleteObject on ${lockResources(grant).join(', ')}`)];
  }
  return [
    fail(
      'A',
      'ci-policy',
      'CI policy can release the state lock',
      denied ? `${rel}: s3:DeleteObject is denied on ${lockResources(denied).join(', ')}` : `${rel}: no Allow of s3:DeleteObject on a *.tflock object`,
      'allow s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::<bucket>/<state key>.tflock',
    ),
  ];
}

/** State keys of the S3 backends (to recognise `<key>.tflock` in the CI policy). */
export function stateKeys(files: readonly TfFile[]): string[] {
  return backends(files)
    .filter((b) => b.type === 's3' && typeof b.body.key === 'string')
    .map((b) => b.body.key as string);
}
