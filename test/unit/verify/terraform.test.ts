import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ciPolicyChecks, parseTerraformDirs, resources, stateKeys, terraformChecks, versionAllowsLockfile } from '../../../src/verify/index.ts';

const base = mkdtempSync(join(tmpdir(), 'helix-tf-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const GOOD_BACKEND = `terraform {
  required_version = ">= 1.11.0"
  backend "s3" {
    bucket       = "b"
    key          = "platform/prod/terraform.tfstate"
    region       = "eu-central-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-central-1:1:key/x"
    use_lockfile = true
  }
}
`;

async function check(files: Record<string, string>) {
  const dir = mkdtempSync(join(base, 'case-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const parsed = await parseTerraformDirs([dir]);
  return terraformChecks(parsed.files, parsed.errors, dir);
}

type Row = { name: string; files: Record<string, string>; fails: Record<string, RegExp> };
const rows: Row[] = [
  {
    name: 'a good backend and no cluster payloads: all PASS',
    files: { 'backend.tf': GOOD_BACKEND, 'main.tf': 'resource "aws_s3_bucket" "s" { bucket = "b" }\n' },
    fails: {},
  },
  {
    name: 'dynamodb_table is a FAIL naming the file and value',
    files: { 'backend.tf': GOOD_BACKEND.replace('use_lockfile = true', 'use_lockfile = true\n    dynamodb_table = "tf-locks"') },
    fails: { 'A.backend-no-dynamodb': /backend\.tf: backend "s3": dynamodb_table = tf-locks/ },
  },
  {
    name: 'use_lockfile missing',
    files: { 'backend.tf': GOOD_BACKEND.replace('    use_lockfile = true\n', '') },
    fails: { 'A.backend-lockfile': /use_lockfile is not set/ },
  },
  {
    name: 'use_lockfile false',
    files: { 'backend.tf': GOOD_BACKEND.replace('use_lockfile = true', 'use_lockfile = false') },
    fails: { 'A.backend-lockfile': /use_lockfile is false/ },
  },
  {
    name: 'encrypt false',
    files: { 'backend.tf': GOOD_BACKEND.replace('encrypt      = true', 'encrypt = false') },
    fails: { 'A.backend-encrypt': /encrypt is false/ },
  },
  { name: 'no kms_key_id', files: { 'backend.tf': GOOD_BACKEND.replace(/ *kms_key_id.*\n/, '') }, fails: { 'A.backend-kms': /kms_key_id is not set/ } },
  {
    name: 'a helm_release resource breaks the hard boundary',
    files: { 'backend.tf': GOOD_BACKEND, 'apps.tf': 'resource "helm_release" "devtron" {\n  name = "devtron"\n}\n' },
    fails: { 'A.hard-boundary': /apps\.tf: resource helm_release\.devtron/ },
  },
  {
    name: 'a kubernetes_* resource in a nested folder breaks it too',
    files: { 'backend.tf': GOOD_BACKEND, 'modules/ns/main.tf': 'resource "kubernetes_namespace" "x" {\n  metadata {\n    name = "x"\n  }\n}\n' },
    fails: { 'A.hard-boundary': /resource kubernetes_namespace\.x/ },
  },
  {
    name: 'the kubernetes provider alone breaks it',
    files: { 'backend.tf': GOOD_BACKEND, 'providers.tf': 'provider "kubernetes" {\n  config_path = "~/.kube/config"\n}\n' },
    fails: { 'A.hard-boundary': /provider kubernetes/ },
  },
  { name: 'no backend at all', files: { 'main.tf': 'resource "aws_s3_bucket" "s" { bucket = "b" }\n' }, fails: { 'A.backend': /no backend block/ } },
  { name: 'malformed HCL is a parse FAIL', files: { 'backend.tf': GOOD_BACKEND, 'bad.tf': 'resource "x" {\n' }, fails: { 'A.parse': /bad\.tf/ } },
  {
    name: 'a comment mentioning dynamodb_table is not a finding (a real parser, not a regex)',
    files: { 'backend.tf': `# dynamodb_table = "old" was removed\n${GOOD_BACKEND}`, 'notes.tf': '# resource "helm_release" "x" {}\n' },
    fails: {},
  },
];

describe('Terraform checks (section A)', () => {
  for (const row of rows) {
    it(row.name, async () => {
      const results = await check(row.files);
      const failed = results.filter((r) => r.status === 'FAIL');
      expect(failed.map((r) => r.id).sort()).toEqual(Object.keys(row.fails).sort());
      for (const [id, re] of Object.entries(row.fails)) expect(failed.find((r) => r.id === id)!.evidence).toMatch(re);
    });
  }

  it('reads resources and state keys from the parsed JSON', async () => {
    const dir = mkdtempSync(join(base, 'keys-'));
    writeFileSync(join(dir, 'b.tf'), `${GOOD_BACKEND}\nresource "aws_kms_key" "k" {}\n`);
    const { files } = await parseTerraformDirs([dir]);
    expect(stateKeys(files)).toEqual(['platform/prod/terraform.tfstate']);
    expect(resources(files).map((r) => r.address)).toEqual(['aws_kms_key.k']);
  });

  it.each([
    ['>= 1.11.0', true],
    ['>= 1.10.0', false],
    ['~> 1.12', true],
    ['1.9.8', false],
    ['>= 2.0', true],
  ])('required_version %s allows use_lockfile: %s', (c, ok) => expect(versionAllowsLockfile(c)).toBe(ok));
});

const policy = (statements: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const LOCK = 'arn:aws:s3:::b/platform/prod/terraform.tfstate.tflock';

describe('CI policy check (section A)', () => {
  it.each([
    [
      'grants DeleteObject on the lock object',
      policy([{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], Resource: [LOCK] }]),
      'PASS',
      /s3:DeleteObject on .*\.tflock/,
    ],
    ['a wildcard action covers it', policy([{ Effect: 'Allow', Action: 's3:*Object', Resource: LOCK }]), 'PASS', /tflock/],
    [
      'only Get/Put on the lock: FAIL',
      policy([{ Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: [LOCK] }]),
      'FAIL',
      /no Allow of s3:DeleteObject/,
    ],
    [
      'DeleteObject on the state object only: FAIL',
      policy([{ Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: ['arn:aws:s3:::b/platform/prod/terraform.tfstate'] }]),
      'FAIL',
      /no Allow/,
    ],
    [
      'an explicit Deny wins: FAIL',
      policy([
        { Effect: 'Allow', Action: 's3:DeleteObject', Resource: LOCK },
        { Effect: 'Deny', Action: 's3:DeleteObject', Resource: LOCK },
      ]),
      'FAIL',
      /denied/,
    ],
    ['not JSON: FAIL', '{ nope', 'FAIL', /not JSON/],
  ])('%s', (_name, text, status, evidence) => {
    const [r] = ciPolicyChecks('/x/policy.json', text, ['platform/prod/terraform.tfstate'], '/x');
    expect(r!.status).toBe(status);
    expect(r!.evidence).toMatch(evidence);
  });
});
