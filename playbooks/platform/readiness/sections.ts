import type { Sections } from 'helix/verify';

/** The sections of the platform's readiness report: those of the readiness assessment (004). */
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
} as const satisfies Sections;
