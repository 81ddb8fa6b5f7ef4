/**
 * Refresh tokens: what `docker login` keeps as its identity token and trades for access tokens
 * (`grant_type=refresh_token`). The token is `<id>.<secret>`; only a hash of the secret is
 * stored, and each can be listed and revoked by its owner.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { refreshTokens } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';

const LIFETIME_MS = 90 * 24 * 3600 * 1000;

export interface RefreshTokenInfo {
  id: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  userAgent: string | null;
}

const hashOf = (secret: string) => createHash('sha256').update(secret).digest();

export class RefreshTokenService {
  constructor(private readonly db: Database) {}

  /** A new token for the account; `lifetimeMs` shortens it (the web catalog's sessions). */
  async issue(accountId: number, userAgent: string | undefined, lifetimeMs = LIFETIME_MS): Promise<string> {
    const id = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    await this.db.insert(refreshTokens).values({
      id,
      accountId,
      secretHash: hashOf(secret).toString('base64url'),
      userAgent: userAgent?.slice(0, 200),
      expiresAt: new Date(Date.now() + lifetimeMs),
    });
    return `${id}.${secret}`;
  }

  /** The account a live refresh token belongs to; undefined for anything else. */
  async redeem(token: string): Promise<number | undefined> {
    const [id, secret] = token.split('.');
    if (!id || !secret) return undefined;
    const [row] = await this.db
      .update(refreshTokens)
      .set({ lastUsedAt: new Date() })
      .where(and(eq(refreshTokens.id, id), gt(refreshTokens.expiresAt, new Date())))
      .returning({ accountId: refreshTokens.accountId, secretHash: refreshTokens.secretHash });
    if (!row) return undefined;
    const expected = Buffer.from(row.secretHash, 'base64url');
    const actual = hashOf(secret);
    return expected.length === actual.length && timingSafeEqual(expected, actual) ? row.accountId : undefined;
  }

  async list(accountId: number): Promise<RefreshTokenInfo[]> {
    return this.db
      .select({
        id: refreshTokens.id,
        createdAt: refreshTokens.createdAt,
        expiresAt: refreshTokens.expiresAt,
        lastUsedAt: refreshTokens.lastUsedAt,
        userAgent: refreshTokens.userAgent,
      })
      .from(refreshTokens)
      .where(eq(refreshTokens.accountId, accountId))
      .orderBy(desc(refreshTokens.createdAt));
  }

  async revoke(accountId: number, id: string): Promise<void> {
    const removed = await this.db
      .delete(refreshTokens)
      .where(and(eq(refreshTokens.id, id), eq(refreshTokens.accountId, accountId)))
      .returning({ id: refreshTokens.id });
    if (removed.length === 0) throw new OciError('NAME_UNKNOWN', `you have no token ${id}`);
  }
}
