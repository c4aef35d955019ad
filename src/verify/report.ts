/** One readiness check: PASS, WARN or FAIL, with the evidence behind it and how to fix it. */
export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  /** Section of the readiness assessment (A–J). */
  section: Section;
  /** Stable id: `A.backend-lockfile`. */
  id: string;
  title: string;
  status: Status;
  /** The object, field or file that was checked and what was found there. */
  evidence: string;
  /** What to do when it is not PASS. */
  fix?: string;
}

export const SECTIONS = {
  A: 'Terraform remote state and CI least privilege',
  B: 'Kubernetes production readiness',
  C: 'Devtron and Argo CD',
  D: 'CI, SBOM, cosign, Kyverno, SOPS',
  E: 'CNPG, pooling, HA and DR',
  F: 'Authentik OIDC',
  G: 'NetBird mesh',
  H: 'Traefik ingress and OIDC enforcement',
  I: 'Kyverno policy lifecycle',
  J: 'Observability and runbooks',
} as const;
export type Section = keyof typeof SECTIONS;

export function pass(section: Section, id: string, title: string, evidence: string): CheckResult {
  return { section, id: `${section}.${id}`, title, status: 'PASS', evidence };
}
export function warn(section: Section, id: string, title: string, evidence: string, fix: string): CheckResult {
  return { section, id: `${section}.${id}`, title, status: 'WARN', evidence, fix };
}
export function fail(section: Section, id: string, title: string, evidence: string, fix: string): CheckResult {
  return { section, id: `${section}.${id}`, title, status: 'FAIL', evidence, fix };
}

/** The worst status of a list (a section's verdict). */
export function worst(results: readonly CheckResult[]): Status {
  if (results.some((r) => r.status === 'FAIL')) return 'FAIL';
  if (results.some((r) => r.status === 'WARN')) return 'WARN';
  return 'PASS';
}
