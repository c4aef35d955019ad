import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { writePrivate } from './state.ts';

export interface KubeconfigSpec {
  server: string;
  context: string;
  user: string;
  ca: string;
  cert: string;
  key: string;
  /** Embed the PEM data (a self-contained file) instead of referring to the files. */
  embed: boolean;
}

/** Writes a kubeconfig (0600) with one cluster, user and context, verified against the sandbox CA. */
export function writeKubeconfig(file: string, k: KubeconfigSpec): void {
  const b64 = (f: string) => readFileSync(f).toString('base64');
  const cluster = k.embed ? { server: k.server, 'certificate-authority-data': b64(k.ca) } : { server: k.server, 'certificate-authority': k.ca };
  const user = k.embed ? { 'client-certificate-data': b64(k.cert), 'client-key-data': b64(k.key) } : { 'client-certificate': k.cert, 'client-key': k.key };
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: k.context, cluster }],
    users: [{ name: k.user, user }],
    contexts: [{ name: k.context, context: { cluster: k.context, user: k.user } }],
    'current-context': k.context,
    preferences: {},
  };
  writePrivate(file, stringify(doc));
}
