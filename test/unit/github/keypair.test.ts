import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSshKeypair, publicKeyOf } from '../../../src/modules/github/keypair.ts';
import { Secret } from '../../../src/runtime/secret.ts';

describe('generateSshKeypair', () => {
  it('makes an OpenSSH ed25519 key that ssh-keygen reads, with the matching public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-kp-'));
    try {
      for (const comment of ['devpi deploy key', '', 'x']) {
        const pair = generateSshKeypair(comment);
        expect(String(pair.privateKey)).toBe('********');
        expect(pair.privateKey.reveal()).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+\n-----END OPENSSH PRIVATE KEY-----\n$/);
        const file = join(dir, 'id');
        writeFileSync(file, pair.privateKey.reveal(), { mode: 0o600 });
        const derived = execFileSync('ssh-keygen', ['-y', '-f', file], { encoding: 'utf8' }).trim();
        expect(derived.split(' ').slice(0, 2)).toEqual(pair.publicKey.split(' ').slice(0, 2));
        expect(publicKeyOf(pair.privateKey)).toBe(pair.publicKey.split(' ').slice(0, 2).join(' '));
        expect(execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' })).toMatch(/^256 SHA256:\S+ .*\(ED25519\)/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the public key of an ssh-keygen key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helix-kp-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'c', '-f', join(dir, 'k')]);
      const pub = execFileSync('cat', [join(dir, 'k.pub')], { encoding: 'utf8' }).trim();
      const priv = new Secret(execFileSync('cat', [join(dir, 'k')], { encoding: 'utf8' }), 'test');
      expect(publicKeyOf(priv, 'c')).toBe(pub);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
