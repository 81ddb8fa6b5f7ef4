/**
 * One severity for an OSV record. A CVSS v3 vector is scored by the specification; CVSS v4
 * vectors are not scored here (the v4 score needs the specification's table of macro-vectors),
 * so for them, as for records that carry no vector at all (Debian, Ubuntu, many distributions),
 * the level comes from the severity word a database put in `database_specific` or
 * `ecosystem_specific` (`severity: "high"`, Debian's `urgency`), or an `Ubuntu` priority.
 */
import { cvss3BaseScore, cvssRating } from './cvss3.ts';
import type { OsvRecord, OsvSeverity } from './record.ts';

/** The severity levels the Hub reports. */
export type SeverityLevel = 'critical' | 'high' | 'medium' | 'low' | 'unknown';

/** A record's severity and what it rests on. */
export interface RecordSeverity {
  level: SeverityLevel;
  /** The CVSS v3 base score, when the level was computed from a vector. */
  score?: number;
  /** The CVSS vector the level rests on or, for v4, the vector that was found but not scored. */
  vector?: string;
  /** Where the level came from: `CVSS_V3`, or the path of the field holding a severity word. */
  from?: string;
}

const RANK: Record<SeverityLevel, number> = { unknown: 0, low: 1, medium: 2, high: 3, critical: 4 };

/**
 * The level a database's severity word stands for: GitHub's `MODERATE`, Debian's urgencies
 * (`unimportant`, `low**`), Ubuntu's priorities (`negligible`), Red Hat's `important`.
 * Words that say nothing of severity (`not yet assigned`, `untriaged`) are `unknown`.
 *
 * @example
 * severityFromWord('MODERATE'); // 'medium'
 * severityFromWord('unimportant'); // 'low'
 */
export function severityFromWord(word: string): SeverityLevel {
  // Debian marks uncertain urgencies with trailing asterisks; the word is what counts.
  const normal = word.trim().toLowerCase().replace(/[^a-z]+$/, '');
  switch (normal) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'medium':
    case 'moderate':
      return 'medium';
    case 'low':
    case 'negligible':
    case 'unimportant':
      return 'low';
    default:
      return 'unknown';
  }
}

/**
 * The severity of a record: the highest CVSS v3 base score among its vectors (record-wide and
 * per affected package) when there is one; else the highest severity word its database fields
 * or `Ubuntu` severities hold; else `unknown`. A CVSS v4 vector is reported in `vector` but its
 * score is not computed, so its level always comes from such a word.
 * A score of 0.0 (no impact) is reported as `low` with its score, the lowest level there is.
 *
 * @example
 * recordSeverity(parseOsvRecord({ id: 'X-1', modified: 'm', severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }));
 * // { level: 'critical', score: 9.8, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', from: 'CVSS_V3' }
 */
export function recordSeverity(record: OsvRecord): RecordSeverity {
  const severities: OsvSeverity[] = [...record.severity, ...record.affected.flatMap((entry) => entry.severity)];
  const scored = highestCvss3(severities);
  if (scored !== undefined) return scored;

  const fromWords = highestWord(record);
  const v4 = severities.find((severity) => severity.type === 'CVSS_V4')?.score;
  const level: RecordSeverity = fromWords ?? { level: 'unknown' };
  return v4 === undefined ? level : { ...level, vector: v4 };
}

function highestCvss3(severities: OsvSeverity[]): RecordSeverity | undefined {
  let best: RecordSeverity | undefined;
  for (const severity of severities) {
    if (severity.type !== 'CVSS_V3') continue;
    let score: number;
    try {
      score = cvss3BaseScore(severity.score);
    } catch {
      // A malformed vector is no evidence; other vectors or the database's words may still be.
      continue;
    }
    if (best?.score !== undefined && best.score >= score) continue;
    const rating = cvssRating(score);
    best = { level: rating === 'none' ? 'low' : rating, score, vector: severity.score, from: 'CVSS_V3' };
  }
  return best;
}

function highestWord(record: OsvRecord): RecordSeverity | undefined {
  const words: { word: unknown; from: string }[] = [
    { word: record.database_specific?.severity, from: 'database_specific.severity' },
    { word: record.database_specific?.urgency, from: 'database_specific.urgency' },
  ];
  record.affected.forEach((entry, index) => {
    for (const field of ['database_specific', 'ecosystem_specific'] as const) {
      for (const key of ['severity', 'urgency']) words.push({ word: entry[field]?.[key], from: `affected[${index}].${field}.${key}` });
    }
  });
  record.severity.forEach((severity, index) => {
    if (severity.type === 'Ubuntu') words.push({ word: severity.score, from: `severity[${index}].score` });
  });
  record.affected.forEach((entry, index) =>
    entry.severity.forEach((severity, inner) => {
      if (severity.type === 'Ubuntu') words.push({ word: severity.score, from: `affected[${index}].severity[${inner}].score` });
    }),
  );

  let best: RecordSeverity | undefined;
  for (const { word, from } of words) {
    if (typeof word !== 'string') continue;
    const level = severityFromWord(word);
    if (level === 'unknown' || (best !== undefined && RANK[best.level] >= RANK[level])) continue;
    best = { level, from };
  }
  return best;
}
