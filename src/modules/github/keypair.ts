import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Secret } from '../../runtime/secret.ts';

export interface SshKeypair {
  /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`), unencrypted. */
  privateKey: Secret;
  /** `ssh-ed25519 AAAA… comment`. */
  publicKey: string;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}
function str(v: Buffer | string): Buffer {
  const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
  return Buffer.concat([u32(b.length), b]);
}

/**
 * A new ed25519 key pair in OpenSSH formats, made in process (no ssh-keygen, no file). Pure
 * apart from randomness: callers keep it (roles store it in a Kubernetes Secret) and register
 * the public half as a deploy key.
 */
export function generateSshKeypair(comment = 'helix'): SshKeypair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pubBlob = Buffer.concat([str('ssh-ed25519'), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str('ssh-ed25519'), str(pub), str(Buffer.concat([seed, pub])), str(comment)]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0', 'latin1'), str('none'), str('none'), str(''), u32(1), str(pubBlob), str(priv)]);
  const b64 = body
    .toString('base64')
    .replace(/(.{70})/g, '$1\n')
    .replace(/\n$/, '');
  const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`;
  return {
    privateKey: new Secret(pem, `generated ed25519 key (${comment})`),
    publicKey: `ssh-ed25519 ${pubBlob.toString('base64')}${comment ? ` ${comment}` : ''}`,
  };
}

/** The public key of an OpenSSH ed25519 private key made by {@link generateSshKeypair} or ssh-keygen (unencrypted). */
export function publicKeyOf(privateKey: Secret, comment?: string): string {
  const b64 = privateKey
    .reveal()
    .replace(/-----[A-Z ]+-----/g, '')
    .replace(/\s+/g, '');
  const body = Buffer.from(b64, 'base64');
  let off = 'openssh-key-v1\0'.length;
  const read = (): Buffer => {
    const n = body.readUInt32BE(off);
    const v = body.subarray(off + 4, off + 4 + n);
    off += 4 + n;
    return v;
  };
  const cipher = read().toString();
  read(); // kdf name
  read(); // kdf options
  off += 4; // number of keys
  const pubBlob = read();
  if (cipher !== 'none') throw new Error('the private key is encrypted');
  const type = pubBlob.subarray(4, 4 + pubBlob.readUInt32BE(0)).toString();
  return `${type} ${pubBlob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}
