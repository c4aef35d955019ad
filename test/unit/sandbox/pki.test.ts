import { createPrivateKey, X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pki } from '../../../src/sandbox/pki.ts';

const matches = (c: { cert: string; key: string }) => new X509Certificate(readFileSync(c.cert)).checkPrivateKey(createPrivateKey(readFileSync(c.key)));

describe('sandbox PKI: a certificate always goes with its key', () => {
  let dir: string;
  let pki: Pki;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'helix-pki-'));
    pki = new Pki(dir);
    await pki.ensureCa();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('two components issuing the same certificate at once get one issuance (a race left kcm with another key)', async () => {
    const spec = { name: 'loopback-serving', cn: 'helix-sandbox-loopback', ips: ['127.0.0.1'], usage: 'server' as const };
    const [a, b, c] = await Promise.all([pki.issue(spec), new Pki(dir).issue(spec), pki.issue(spec)]);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    expect(matches(a)).toBe(true);
  });

  it('a certificate on disk whose key is another is issued again', async () => {
    const one = await pki.issue({ name: 'one', cn: 'one', usage: 'client' });
    const two = await pki.issue({ name: 'two', cn: 'two', usage: 'client' });
    copyFileSync(two.key, one.key);
    expect(matches(one)).toBe(false);
    const again = await pki.issue({ name: 'one', cn: 'one', usage: 'client' });
    expect(matches(again)).toBe(true);
  });
});
