/**
 * In-toto statements about an image: what a Nocker signature or attestation says, wrapped in a
 * DSSE envelope. The statement's subject is the image's manifest digest, so a signature for one
 * image can never pass for another.
 */

/** The DSSE payload type of an in-toto statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The statement type (in-toto attestation framework v1). */
export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** The predicate type of a plain signature, as cosign writes it in its bundle format. */
export const SIGNATURE_PREDICATE_TYPE = 'https://sigstore.dev/cosign/sign/v1';

/** An in-toto statement about one artifact. */
export interface Statement {
  _type: string;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/**
 * The statement that `predicateType`/`predicate` hold for the image `name` at `digest`.
 *
 * @example
 * imageStatement('127.0.0.1:5000/team/app', 'sha256:ab…'); // a plain signature statement
 */
export function imageStatement(name: string, digest: string, predicateType = SIGNATURE_PREDICATE_TYPE, predicate: Record<string, unknown> = {}): Statement {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex) throw new Error(`"${digest}" is not a digest`);
  return { _type: IN_TOTO_STATEMENT_TYPE, subject: [{ name, digest: { [algorithm]: hex } }], predicateType, predicate };
}

/**
 * Parses a DSSE payload as an in-toto statement; undefined when it is not one.
 *
 * @example
 * parseStatement(Buffer.from(JSON.stringify(imageStatement('a', 'sha256:00'))))?.predicateType;
 */
export function parseStatement(payload: Uint8Array): Statement | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Partial<Statement>;
  if (typeof s._type !== 'string' || !Array.isArray(s.subject) || typeof s.predicateType !== 'string') return undefined;
  return { _type: s._type, subject: s.subject, predicateType: s.predicateType, predicate: (s.predicate ?? {}) as Record<string, unknown> };
}

/** True when the statement names `digest` among its subjects. */
export function statementCovers(statement: Statement, digest: string): boolean {
  const [algorithm, hex] = digest.split(':');
  return statement.subject.some((s) => algorithm !== undefined && s.digest?.[algorithm] === hex);
}
