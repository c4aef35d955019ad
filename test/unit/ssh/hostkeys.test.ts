import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { algorithmsFor, fingerprint, hostFieldMatches, parseKeyText, readKnownHosts, verifyHostKey } from '../../../src/modules/ssh/hostkeys.ts';

function blob(type: string, body: Buffer): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, body]);
}

const keyA = blob('ssh-ed25519', randomBytes(36));
const keyB = blob('ssh-ed25519', randomBytes(36));
const rsa = blob('ssh-rsa', randomBytes(64));
const text = (b: Buffer, type = 'ssh-ed25519'): string => `${type} ${b.toString('base64')} comment`;

describe('host keys', () => {
  it('parses inventory keys and fingerprints', () => {
    const k = parseKeyText(text(keyA), 'inventory');
    expect(k?.type).toBe('ssh-ed25519');
    expect(k?.fingerprint).toBe(fingerprint(keyA));
    expect(parseKeyText(fingerprint(keyA), 'inv')?.fingerprint).toBe(fingerprint(keyA));
    expect(parseKeyText('ssh-rsa AAAA', 'inv')).toBeUndefined();
    expect(parseKeyText(`ssh-rsa ${keyA.toString('base64')}`, 'inv')).toBeUndefined();
  });

  it.each([
    ['the expected key', keyA, [text(keyA)], true, ''],
    ['a changed key', keyB, [text(keyA)], false, 'host key CHANGED'],
    ['an unknown host', keyA, [], false, 'host key is unknown'],
    ['a fingerprint entry', keyA, [fingerprint(keyA)], true, ''],
  ])('%s', (_name, offered, trusted, ok, message) => {
    const keys = trusted.map((t) => parseKeyText(t, 'inventory')!);
    const v = verifyHostKey(offered, keys, [], 'h1 (10.0.0.1:22)');
    expect(v.ok).toBe(ok);
    if (!v.ok) {
      expect(v.reason).toContain(message);
      expect(v.reason).toContain(fingerprint(offered));
    }
  });

  it('asks the server for the key types it knows', () => {
    expect(algorithmsFor([parseKeyText(text(keyA), 'i')!])).toEqual(['ssh-ed25519']);
    expect(algorithmsFor([parseKeyText(text(rsa, 'ssh-rsa'), 'i')!])).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(algorithmsFor([parseKeyText(fingerprint(keyA), 'i')!])).toBeUndefined();
  });

  it('matches known_hosts host fields: plain, port, wildcard, negation, hashed', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2222').digest('base64')}`;
    expect(hostFieldMatches('10.0.0.1,other', '10.0.0.1')).toBe(true);
    expect(hostFieldMatches('10.0.0.1', '[10.0.0.1]:2222')).toBe(false);
    expect(hostFieldMatches('[10.0.0.1]:2222', '[10.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches('10.0.0.*,!10.0.0.9', '10.0.0.3')).toBe(true);
    expect(hostFieldMatches('10.0.0.*,!10.0.0.9', '10.0.0.9')).toBe(false);
    expect(hostFieldMatches(hashed, '[10.0.0.5]:2222')).toBe(true);
    expect(hostFieldMatches(hashed, '10.0.0.5')).toBe(false);
  });

  it('reads known_hosts, honouring @revoked and ignoring @cert-authority', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hx-kh-'));
    const file = join(dir, 'known_hosts');
    writeFileSync(
      file,
      [
        `# comment`,
        `[10.0.0.1]:2222 ${text(keyA)}`,
        `@revoked [10.0.0.1]:2222 ${text(keyB)}`,
        `@cert-authority * ${text(rsa, 'ssh-rsa')}`,
        `10.0.0.2 ${text(keyB)}`,
      ].join('\n'),
    );
    const kh = readKnownHosts([file, join(dir, 'missing')], '10.0.0.1', 2222);
    expect(kh.trusted.map((k) => k.fingerprint)).toEqual([fingerprint(keyA)]);
    expect(kh.trusted[0]?.origin).toBe(`${file}:2`);
    expect(kh.revoked.map((k) => k.fingerprint)).toEqual([fingerprint(keyB)]);
    const v = verifyHostKey(keyB, kh.trusted, kh.revoked, 'x');
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain('@revoked');
  });
});
