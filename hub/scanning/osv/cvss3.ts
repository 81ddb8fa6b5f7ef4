/**
 * CVSS v3.0 and v3.1 base scores, computed from a vector string by the formulas of the FIRST
 * specification (v3.1, section 7). Temporal and environmental metrics are read, so a full
 * vector is accepted, but the base score does not depend on them.
 */

/** The eight base metrics of a CVSS v3 vector. */
export interface Cvss3BaseMetrics {
  version: '3.0' | '3.1';
  attackVector: 'N' | 'A' | 'L' | 'P';
  attackComplexity: 'L' | 'H';
  privilegesRequired: 'N' | 'L' | 'H';
  userInteraction: 'N' | 'R';
  scope: 'U' | 'C';
  confidentiality: 'H' | 'L' | 'N';
  integrity: 'H' | 'L' | 'N';
  availability: 'H' | 'L' | 'N';
}

/** The qualitative rating of a score (specification, section 5). */
export type CvssRating = 'none' | 'low' | 'medium' | 'high' | 'critical';

const BASE_VALUES: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
};

/** Temporal and environmental metrics: allowed in a vector, not part of the base score. */
const OTHER_VALUES: Record<string, readonly string[]> = {
  E: ['X', 'H', 'F', 'P', 'U'],
  RL: ['X', 'U', 'W', 'T', 'O'],
  RC: ['X', 'C', 'R', 'U'],
  CR: ['X', 'H', 'M', 'L'],
  IR: ['X', 'H', 'M', 'L'],
  AR: ['X', 'H', 'M', 'L'],
  MAV: ['X', 'N', 'A', 'L', 'P'],
  MAC: ['X', 'L', 'H'],
  MPR: ['X', 'N', 'L', 'H'],
  MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'],
  MC: ['X', 'H', 'L', 'N'],
  MI: ['X', 'H', 'L', 'N'],
  MA: ['X', 'H', 'L', 'N'],
};

const ATTACK_VECTOR = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 } as const;
const ATTACK_COMPLEXITY = { L: 0.77, H: 0.44 } as const;
const PRIVILEGES_UNCHANGED = { N: 0.85, L: 0.62, H: 0.27 } as const;
// With a changed scope, privileges weigh more: the attacker reaches beyond the component.
const PRIVILEGES_CHANGED = { N: 0.85, L: 0.68, H: 0.5 } as const;
const USER_INTERACTION = { N: 0.85, R: 0.62 } as const;
const IMPACT = { H: 0.56, L: 0.22, N: 0 } as const;

/**
 * Reads a CVSS v3.0 or v3.1 vector (`CVSS:3.1/AV:N/...`). Every base metric must be there once;
 * an unknown metric, a repeated one or a value outside the specification is an error.
 *
 * @example
 * parseCvss3Vector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H').scope; // 'U'
 */
export function parseCvss3Vector(vector: string): Cvss3BaseMetrics {
  const [prefix, ...parts] = vector.trim().split('/');
  const version = prefix === 'CVSS:3.1' ? '3.1' : prefix === 'CVSS:3.0' ? '3.0' : undefined;
  if (version === undefined) throw new Error(`CVSS vector "${vector}" does not start with CVSS:3.0/ or CVSS:3.1/`);
  const seen = new Map<string, string>();
  for (const part of parts) {
    const [metric = '', value = '', ...rest] = part.split(':');
    const allowed = BASE_VALUES[metric] ?? OTHER_VALUES[metric];
    if (allowed === undefined || rest.length > 0) throw new Error(`CVSS vector "${vector}" has an unknown metric "${part}"`);
    if (!allowed.includes(value)) throw new Error(`CVSS vector "${vector}": ${metric} cannot be "${value}"`);
    if (seen.has(metric)) throw new Error(`CVSS vector "${vector}" gives ${metric} twice`);
    seen.set(metric, value);
  }
  const base = (metric: string): string => {
    const value = seen.get(metric);
    if (value === undefined) throw new Error(`CVSS vector "${vector}" lacks the base metric ${metric}`);
    return value;
  };
  return {
    version,
    attackVector: base('AV') as Cvss3BaseMetrics['attackVector'],
    attackComplexity: base('AC') as Cvss3BaseMetrics['attackComplexity'],
    privilegesRequired: base('PR') as Cvss3BaseMetrics['privilegesRequired'],
    userInteraction: base('UI') as Cvss3BaseMetrics['userInteraction'],
    scope: base('S') as Cvss3BaseMetrics['scope'],
    confidentiality: base('C') as Cvss3BaseMetrics['confidentiality'],
    integrity: base('I') as Cvss3BaseMetrics['integrity'],
    availability: base('A') as Cvss3BaseMetrics['availability'],
  };
}

/**
 * The specification's Roundup (v3.1, Appendix A): the smallest number with one decimal that is
 * at least `value`, computed on integers so that float noise (4.000000000000001) does not add
 * a tenth. v3.0 defined the same function without the float care; it is used for both.
 *
 * @example
 * roundUp(4.000000000000001); // 4
 * roundUp(4.02); // 4.1
 */
export function roundUp(value: number): number {
  const scaled = Math.round(value * 100_000);
  if (scaled % 10_000 === 0) return scaled / 100_000;
  return (Math.floor(scaled / 10_000) + 1) / 10;
}

/**
 * The base score (0.0–10.0) of a CVSS v3.0 or v3.1 vector.
 *
 * @example
 * cvss3BaseScore('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'); // 9.8
 */
export function cvss3BaseScore(vector: string | Cvss3BaseMetrics): number {
  const m = typeof vector === 'string' ? parseCvss3Vector(vector) : vector;
  const changed = m.scope === 'C';
  const impactSubScore = 1 - (1 - IMPACT[m.confidentiality]) * (1 - IMPACT[m.integrity]) * (1 - IMPACT[m.availability]);
  const impact = changed ? 7.52 * (impactSubScore - 0.029) - 3.25 * (impactSubScore - 0.02) ** 15 : 6.42 * impactSubScore;
  const privileges = (changed ? PRIVILEGES_CHANGED : PRIVILEGES_UNCHANGED)[m.privilegesRequired];
  const exploitability = 8.22 * ATTACK_VECTOR[m.attackVector] * ATTACK_COMPLEXITY[m.attackComplexity] * privileges * USER_INTERACTION[m.userInteraction];
  if (impact <= 0) return 0;
  return changed ? roundUp(Math.min(1.08 * (impact + exploitability), 10)) : roundUp(Math.min(impact + exploitability, 10));
}

/**
 * The qualitative rating of a CVSS score: 0 none, 0.1–3.9 low, 4.0–6.9 medium, 7.0–8.9 high,
 * 9.0–10.0 critical.
 *
 * @example
 * cvssRating(9.8); // 'critical'
 */
export function cvssRating(score: number): CvssRating {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'none';
}
