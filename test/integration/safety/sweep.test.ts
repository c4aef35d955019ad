import { afterAll, describe, expect, it } from 'vitest';
import { hasKubernetes, sandboxClient } from '../k8s/helpers.ts';
import { dropNamespaces, type Finished, helix, journal, kube, lease, leaks, playArgs, problemsOf, recapOf, SECRETS, start, uniqueNs } from './helpers.ts';

/**
 * Issue 9, secret hygiene on the fixture: with known secret values, every way helix reports a
 * run (human output with --diff, --json, --check, errors, history, explain) and everything it
 * stores (journal records, the lock) is captured, and none of the values appears in any of
 * it, in any form of `secretForms` (as is, JSON-escaped, shell-quoted, URL- or form-encoded,
 * base64). The values do reach the cluster (checked too).
 */
const ENV = 'sweep';
const ROTATED = { SAFETY_API_TOKEN: `${SECRETS.apiToken}-rotated`, SAFETY_DB_PASSWORD: `${SECRETS.dbPassword}-rotated` };
const VALUES = [SECRETS.apiToken, SECRETS.dbPassword, ROTATED.SAFETY_API_TOKEN, ROTATED.SAFETY_DB_PASSWORD, `intruder-${SECRETS.apiToken}`];
const made: string[] = [];

describe.skipIf(!hasKubernetes())('secret sweep of the fixture', () => {
  const captured: Record<string, string> = {};
  const keep = (label: string, out: Finished): void => {
    captured[`${label}: stdout`] = out.stdout;
    captured[`${label}: stderr`] = out.stderr;
  };

  afterAll(() => dropNamespaces(made));

  it('no known secret value appears in any output, record or lock', async () => {
    const ns = uniqueNs('helix-safety-sweep');
    made.push(ns);
    const human = (...more: string[]) => ['play', 'safety', '--env', ENV, '--set', `namespace=${ns}`, ...more];

    keep('check --diff before the first play', await helix(human('--check', '--diff', '--verbose')));
    keep('check --json before the first play', await helix(playArgs(ENV, ns, '--check', '--diff')));

    // The first play, with the lock read while it is held.
    const first = start(playArgs(ENV, ns, '--diff'));
    await first.waitFor((e) => e.type === 'lock.acquired');
    const held = await lease(ENV);
    expect(held).toBeDefined();
    captured['lock (Lease) while held'] = JSON.stringify(held);
    const firstOut = await first.done;
    expect(firstOut.code, firstOut.stderr).toBe(0);
    keep('first play --json --diff', firstOut);

    // The values did reach the cluster.
    const token = await kube().get({ apiVersion: 'v1', kind: 'Secret', namespace: ns, name: 'safety-api-token' });
    expect(Buffer.from(String(token?.data?.token), 'base64').toString('utf8')).toBe(SECRETS.apiToken);

    // Rotated values: an update of both Secrets, shown with --diff (key names only).
    const rotatedCheck = await helix(human('--check', '--diff'), ROTATED);
    keep('check --diff with rotated secrets', rotatedCheck);
    expect(rotatedCheck.stdout).toMatch(/would change safety\/30_secrets\/api-token/);
    const rotated = await helix(human('--diff', '--verbose'), ROTATED);
    keep('play --diff with rotated secrets', rotated);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/changed\s+safety\/30_secrets\/db-credentials/);
    keep('second play --json with rotated secrets', await helix(playArgs(ENV, ns, '--diff'), ROTATED));

    // A manifest the server refuses, whose error quotes the token (put in a label on purpose).
    const refused = await helix(playArgs(ENV, ns, '--set', 'leak_token_into_label=true'));
    keep('refused manifest quoting the token', refused);
    expect(refused.code).toBe(2);
    const problem = problemsOf(refused.events)
      .map((p) => `${p.path}: ${p.message}`)
      .join('\n');
    expect(problem).toMatch(
      /^safety\/20_config\/flags: ConfigMap \S+\/safety-flags rejected by the API server: .*metadata\.labels: Invalid value: "\*\*\*\*\*\*\*\*"/,
    );
    const refusedHuman = await helix(human('--set', 'leak_token_into_label=true'));
    keep('refused manifest, human output', refusedHuman);
    expect(refusedHuman.stdout).toContain('********');

    // A task that fails (exit 1): another field manager took the token over, so helix's apply
    // conflicts; the failure names the field, never a value.
    await sandboxClient('intruder').apply(
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'safety-api-token', namespace: ns },
        stringData: { token: `intruder-${SECRETS.apiToken}` },
      },
      { force: true },
    );
    const conflicted = await helix(playArgs(ENV, ns), ROTATED);
    keep('failed run (field manager conflict)', conflicted);
    expect(conflicted.code).toBe(1);
    const failure = conflicted.events.find((e) => e.type === 'task.failed');
    expect(failure).toMatchObject({
      path: 'safety/30_secrets/api-token',
      error: expect.stringMatching(/conflicts with fields owned by other field managers.*intruder/),
    });

    keep('history', await helix(['history', 'safety', '--env', ENV]));
    keep('history --json', await helix(['history', 'safety', '--env', ENV, '--json']));
    const explained = await helix(['explain', 'safety', 'api_token', '--env', ENV]);
    keep('explain api_token', explained);
    expect(explained.code).toBe(0);

    // What helix stores: every run record (decoded) and the Secrets holding them.
    const { records, raw } = await journal(ENV);
    expect(records.length).toBeGreaterThanOrEqual(3);
    captured['journal records (decoded)'] = JSON.stringify(records);
    captured['journal Secrets (raw)'] = JSON.stringify(raw);

    expect(Object.keys(captured).length).toBeGreaterThanOrEqual(20);
    expect(leaks(captured, VALUES)).toEqual([]);
    // The mask itself shows up where a value was withheld, so the sweep did look at real output.
    expect(Object.values(captured).join('\n')).toContain('********');
    expect(recapOf(firstOut.events)?.changed).toBe(7);
  });
});
