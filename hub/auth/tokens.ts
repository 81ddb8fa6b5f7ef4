/**
 * Access tokens: short-lived JWTs in the form of the Docker token specification, signed with
 * this replica's key and verified against any replica's published key.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { SIGNING_ALGORITHMS, type SigningKey, type VerifyKey } from './keys.ts';
import type { AccessEntry } from './scopes.ts';

/** Tokens name this issuer; one that does not is refused. */
export const TOKEN_ISSUER = 'nocker-hub';

/** What a verified token says. */
export interface TokenClaims {
  /** The account name, or `anonymous`. */
  subject: string;
  kind: 'user' | 'robot' | 'anonymous';
  access: AccessEntry[];
  /** Seconds since the epoch. */
  expiresAt: number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: Date;
}

/** Where verification finds the public key a token's `kid` names. */
export interface KeyLookup {
  get(kid: string): Promise<VerifyKey | undefined>;
}

/** Why a token was refused, in words for the `WWW-Authenticate` error description. */
export class InvalidTokenError extends Error {}

export class TokenService {
  /** Tokens already verified, until they expire: verification is then a map lookup. */
  private readonly verified = new Map<string, TokenClaims>();

  constructor(
    private readonly key: SigningKey,
    private readonly keys: KeyLookup,
    private readonly ttlSeconds: number,
  ) {}

  /**
   * @example
   * const { token } = await tokens.issue({ subject: 'ann', kind: 'user', access, audience: '127.0.0.1:5000' });
   */
  async issue(request: { subject: string; kind: TokenClaims['kind']; access: AccessEntry[]; audience: string; notAfter?: Date }): Promise<IssuedToken> {
    const issuedAt = new Date();
    const now = Math.floor(issuedAt.getTime() / 1000);
    let expiresAt = now + this.ttlSeconds;
    // A robot's token never outlives the robot.
    if (request.notAfter) expiresAt = Math.min(expiresAt, Math.floor(request.notAfter.getTime() / 1000));
    const token = await new SignJWT({ access: request.access, kind: request.kind })
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(request.subject)
      .setAudience(request.audience)
      .setIssuedAt(now)
      .setNotBefore(now - 5)
      .setExpirationTime(expiresAt)
      .setJti(randomUUID())
      .sign(this.key.privateKey);
    return { token, expiresIn: Math.max(expiresAt - now, 0), issuedAt };
  }

  /**
   * Signs `claims` for `audience` with this replica's key, valid for `ttlSeconds`: a value any
   * replica can check with {@link unseal}, such as the web catalog's session cookie.
   *
   * @example
   * const cookie = await tokens.seal({ session: id }, 'nocker-web', 12 * 3600);
   */
  async seal(claims: Record<string, string>, audience: string, ttlSeconds: number): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: this.key.alg, kid: this.key.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ttlSeconds)
      .sign(this.key.privateKey);
  }

  /** The string claims of a value {@link seal} made for `audience`; InvalidTokenError otherwise. */
  async unseal(value: string, audience: string): Promise<Record<string, string>> {
    try {
      const { payload } = await jwtVerify(value, (header) => this.lookup(header.kid), { issuer: TOKEN_ISSUER, audience, algorithms: SIGNING_ALGORITHMS, requiredClaims: ['exp'] });
      return Object.fromEntries(Object.entries(payload).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
    } catch (err) {
      throw new InvalidTokenError(describeFailure(err));
    }
  }

  private async lookup(kid: string | undefined): Promise<VerifyKey> {
    const key = kid ? await this.keys.get(kid) : undefined;
    if (!key) throw new InvalidTokenError('the token was not signed by this Hub');
    return key;
  }

  /** The claims of a token this Hub (any replica) issued for `audience`; InvalidTokenError otherwise. */
  async verify(token: string, audience: string): Promise<TokenClaims> {
    const cacheKey = `${audience}\n${token}`;
    const cached = this.verified.get(cacheKey);
    if (cached && cached.expiresAt > Date.now() / 1000) return cached;

    let payload;
    try {
      ({ payload } = await jwtVerify(
        token,
        (header) => this.lookup(header.kid),
        { issuer: TOKEN_ISSUER, audience, algorithms: SIGNING_ALGORITHMS, requiredClaims: ['exp', 'sub', 'jti'] },
      ));
    } catch (err) {
      throw new InvalidTokenError(describeFailure(err));
    }
    const claims: TokenClaims = {
      subject: String(payload.sub),
      kind: payload.kind === 'user' || payload.kind === 'robot' ? payload.kind : 'anonymous',
      access: Array.isArray(payload.access) ? payload.access.filter(isAccessEntry) : [],
      expiresAt: payload.exp ?? 0,
    };
    this.remember(cacheKey, claims);
    return claims;
  }

  private remember(key: string, claims: TokenClaims): void {
    if (this.verified.size >= 10_000) {
      const now = Date.now() / 1000;
      for (const [k, c] of this.verified) if (c.expiresAt <= now) this.verified.delete(k);
      if (this.verified.size >= 10_000) this.verified.clear();
    }
    this.verified.set(key, claims);
  }
}

function describeFailure(err: unknown): string {
  if (err instanceof InvalidTokenError) return err.message;
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token's ${err.claim} claim is not valid here`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  return 'the token is malformed or not signed by this Hub';
}

function isAccessEntry(value: unknown): value is AccessEntry {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.type === 'string' && typeof entry.name === 'string' && Array.isArray(entry.actions) && entry.actions.every((a) => typeof a === 'string');
}
