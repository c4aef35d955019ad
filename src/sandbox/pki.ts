import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.ts';
import { writePrivate } from './state.ts';

/**
 * A small certificate authority for the sandbox's control plane, made with the `openssl`
 * CLI (Node cannot issue X.509 certificates). Certificates are kept across `down`/`up`
 * and reissued only when missing or when their SANs change.
 */
export interface CertSpec {
  name: string;
  cn: string;
  org?: string;
  /** IP addresses and DNS names (server certificates). */
  ips?: readonly string[];
  dns?: readonly string[];
  usage: 'server' | 'client' | 'both';
}

export interface IssuedCert {
  cert: string;
  key: string;
}

/** Issuances under way, by certificate path (one per name at a time, across Pki instances). */
const issuing = new Map<string, Promise<IssuedCert>>();

export class Pki {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  get caCert(): string {
    return join(this.dir, 'ca.crt');
  }

  get caKey(): string {
    return join(this.dir, 'ca.key');
  }

  async ensureCa(): Promise<void> {
    if (existsSync(this.caCert) && existsSync(this.caKey)) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      this.caKey,
      '-out',
      this.caCert,
      '-days',
      '3650',
      '-subj',
      '/CN=helix-sandbox-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ]);
  }

  /**
   * Issues (or reuses) a certificate signed by the sandbox CA. Components that start side by
   * side and share a certificate (the loopback serving one) get the same issuance: two at once
   * would each write the key, and one would be left with another's certificate.
   */
  issue(spec: CertSpec): Promise<IssuedCert> {
    const file = join(this.dir, spec.name);
    let pending = issuing.get(file);
    if (!pending) {
      pending = this.#issue(spec).finally(() => issuing.delete(file));
      issuing.set(file, pending);
    }
    return pending;
  }

  async #issue(spec: CertSpec): Promise<IssuedCert> {
    const cert = join(this.dir, `${spec.name}.crt`);
    const key = join(this.dir, `${spec.name}.key`);
    const sans = [...(spec.dns ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((i) => `IP:${i}`)];
    if (existsSync(cert) && existsSync(key) && this.#matches(cert, key, spec, sans)) return { cert, key };
    const csr = join(this.dir, `${spec.name}.csr`);
    const ext = join(this.dir, `${spec.name}.ext`);
    const eku = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[spec.usage];
    const lines = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', `extendedKeyUsage=${eku}`];
    if (sans.length) lines.push(`subjectAltName=${sans.join(',')}`);
    writeFileSync(ext, `${lines.join('\n')}\n`);
    const subj = `/CN=${spec.cn}${spec.org ? `/O=${spec.org}` : ''}`;
    await run('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subj]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.caCert,
      '-CAkey',
      this.caKey,
      '-CAcreateserial',
      '-days',
      '3650',
      '-sha256',
      '-extfile',
      ext,
      '-out',
      cert,
    ]);
    rmSync(csr, { force: true });
    rmSync(ext, { force: true });
    return { cert, key };
  }

  #matches(certFile: string, keyFile: string, spec: CertSpec, sans: string[]): boolean {
    try {
      const x = new X509Certificate(readFileSync(certFile));
      if (!x.checkIssued(new X509Certificate(readFileSync(this.caCert)))) return false;
      if (!x.checkPrivateKey(createPrivateKey(readFileSync(keyFile)))) return false;
      if (!x.subject.includes(`CN=${spec.cn}`)) return false;
      const have = (x.subjectAltName ?? '')
        .split(', ')
        .filter(Boolean)
        .map((s) => s.replace('IP Address:', 'IP:'));
      return sans.every((s) => have.includes(s)) && have.length === sans.length;
    } catch {
      return false;
    }
  }

  /** An RSA key pair for signing service-account tokens. */
  ensureServiceAccountKey(): { key: string; pub: string } {
    const key = join(this.dir, 'sa.key');
    const pub = join(this.dir, 'sa.pub');
    if (!existsSync(key) || !existsSync(pub)) {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writePrivate(key, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }) as string);
    }
    return { key, pub };
  }
}
