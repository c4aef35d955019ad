import { describe, expect, it } from 'vitest';
import { planResult } from '../../../playbooks/platform/readiness/terraform-plan.ts';
import { changedAttributes, errorExcerpt, lockInfo, planChanges, type PlanJson, type PlanResult } from '../../../src/modules/opentofu/index.ts';

/** What `tofu plan` prints when another run holds the S3 lock file (OpenTofu 1.12's wording). */
const LOCKED = `
Error: Error acquiring the state lock

Error message: operation error S3: PutObject, https response error StatusCode: 412, RequestID: , HostID: , api error PreconditionFailed: At least one of the pre-conditions you specified did not hold
Lock Info:
  ID:        4e0c1b5a-7a53-f8a1-1d5e-1b0d3f3e1a11
  Path:      helix-platform-tfstate/platform/sandbox/terraform.tfstate
  Operation: OperationTypePlan
  Who:       ci@runner-7
  Version:   1.12.6
  Created:   2026-12-07 17:00:00.000000000 +0000 UTC
  Info:

OpenTofu acquires a state lock to protect the state from being written
by multiple users at the same time.`;

describe('planChanges: what a JSON plan would change', () => {
  const rows: [string, PlanJson, string[], string[]][] = [
    ['an empty plan', { resource_changes: [] }, [], []],
    [
      'no-op and read actions only (a second run plans nothing)',
      {
        resource_changes: [
          { address: 'terraform_data.a', change: { actions: ['no-op'], before: { input: 1 }, after: { input: 1 } } },
          { address: 'data.terraform_remote_state.n', change: { actions: ['read'] } },
        ],
      },
      [],
      [],
    ],
    [
      'an in-place update names the changed attribute',
      {
        resource_changes: [
          { address: 'terraform_data.a', change: { actions: ['update'], before: { id: 'x', input: { n: 2 } }, after: { id: 'x', input: { n: 3 } } } },
        ],
      },
      ['terraform_data.a: update (input)'],
      [],
    ],
    [
      'an attribute known only after apply is left out',
      {
        resource_changes: [
          {
            address: 'terraform_data.c',
            change: { actions: ['update'], before: { input: 1, output: 1 }, after: { input: 2, output: null }, after_unknown: { output: true } },
          },
        ],
      },
      ['terraform_data.c: update (input)'],
      [],
    ],
    [
      'a replacement',
      { resource_changes: [{ address: 'terraform_data.b', change: { actions: ['delete', 'create'], before: { input: 1 }, after: { input: 2 } } }] },
      ['terraform_data.b: delete, create (input)'],
      [],
    ],
    [
      'refresh drift is listed apart',
      {
        resource_changes: [],
        resource_drift: [{ address: 'aws_s3_bucket.state', change: { actions: ['update'], before: { acl: 'private' }, after: { acl: 'public-read' } } }],
      },
      [],
      ['aws_s3_bucket.state: update (acl)'],
    ],
  ];
  for (const [name, json, changes, drift] of rows) {
    it(name, () => {
      const r = planChanges(json);
      const s = (c: { address: string; actions: string; attributes: string[] }) =>
        `${c.address}: ${c.actions}${c.attributes.length ? ` (${c.attributes.join(', ')})` : ''}`;
      expect(r.changes.map(s)).toEqual(changes);
      expect(r.drift.map(s)).toEqual(drift);
    });
  }

  it('changedAttributes compares values, not identity, and ignores non-objects', () => {
    expect(changedAttributes({ a: [1], b: 'x' }, { a: [1], b: 'y', c: null })).toEqual(['b', 'c']);
    expect(changedAttributes(null, { a: 1 })).toEqual([]);
  });
});

describe('lockInfo and errorExcerpt: reading tofu errors', () => {
  it('names the lock holder of a refused lock', () => {
    expect(lockInfo(LOCKED)).toEqual({ id: '4e0c1b5a-7a53-f8a1-1d5e-1b0d3f3e1a11', who: 'ci@runner-7', operation: 'OperationTypePlan' });
  });
  it('is undefined for other errors', () => {
    expect(lockInfo('Error: No valid credential sources found')).toBeUndefined();
  });
  it('keeps the error and what follows, without box drawing', () => {
    expect(errorExcerpt('Initializing...\n╷\n│ Error: Failed to get existing workspaces\n│ \n│ NoSuchBucket\n╵', 5)).toBe(
      'Error: Failed to get existing workspaces\nNoSuchBucket',
    );
  });
});

describe('planResult: the A.plan-drift check', () => {
  const r = (o: Partial<PlanResult>): PlanResult => ({ code: 0, changes: [], drift: [], output: '', ...o });
  const rows: [string, PlanResult, string, RegExp][] = [
    ['exit 0: PASS', r({ code: 0 }), 'PASS', /exit 0, no changes in envs\/sandbox/],
    [
      'exit 2: FAIL naming the resource and attribute',
      r({ code: 2, changes: [{ address: 'terraform_data.network_contract', actions: 'update', attributes: ['input'] }] }),
      'FAIL',
      /exit 2, drift in envs\/sandbox: terraform_data\.network_contract: update \(input\)/,
    ],
    ['a held lock: WARN naming the holder', r({ code: 1, output: LOCKED }), 'WARN', /locked by ci@runner-7 for OperationTypePlan \(lock ID 4e0c1b5a/],
    [
      'any other error: FAIL with the error',
      r({ code: 1, output: '╷\n│ Error: Failed to get existing workspaces: NoSuchBucket\n╵' }),
      'FAIL',
      /failed:\nError: Failed to get existing workspaces: NoSuchBucket/,
    ],
  ];
  for (const [name, result, status, evidence] of rows) {
    it(name, () => {
      const c = planResult(result, 'envs/sandbox');
      expect(c.id).toBe('A.plan-drift');
      expect(c.status).toBe(status);
      expect(c.evidence).toMatch(evidence);
    });
  }
});
