/** One readiness check: PASS, WARN or FAIL, with the evidence behind it and how to fix it. */
export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface CheckResult {
  /** Section of the component's report (the platform's are A–J), a key of its `sections`. */
  section: string;
  /** Stable id: `A.backend-lockfile`. */
  id: string;
  title: string;
  status: Status;
  /** The object, field or file that was checked and what was found there. */
  evidence: string;
  /** What to do when it is not PASS. */
  fix?: string;
}

/** A component's report sections, in report order: key (`A`) → title. */
export type Sections = Readonly<Record<string, string>>;

export function pass(section: string, id: string, title: string, evidence: string): CheckResult {
  return { section, id: `${section}.${id}`, title, status: 'PASS', evidence };
}
export function warn(section: string, id: string, title: string, evidence: string, fix: string): CheckResult {
  return { section, id: `${section}.${id}`, title, status: 'WARN', evidence, fix };
}
export function fail(section: string, id: string, title: string, evidence: string, fix: string): CheckResult {
  return { section, id: `${section}.${id}`, title, status: 'FAIL', evidence, fix };
}

/** The worst status of a list (a section's verdict). */
export function worst(results: readonly CheckResult[]): Status {
  if (results.some((r) => r.status === 'FAIL')) return 'FAIL';
  if (results.some((r) => r.status === 'WARN')) return 'WARN';
  return 'PASS';
}
