/**
 * Accounts: users (people) and robots (CI identities named `robot$<name>`). Both log in with a
 * name and a password; robots have fixed permissions and may expire.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { accounts, type RobotPermission } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { generateSecret, hashPassword, verifyPassword } from './passwords.ts';
import type { Identity } from './permissions.ts';

export type AccountRow = typeof accounts.$inferSelect;

export const ROBOT_PREFIX = 'robot$';
const USER_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const MIN_PASSWORD_LENGTH = 8;

/** The identity permissions are decided for. */
export function identityOf(account: AccountRow): Identity {
  return {
    name: account.name,
    kind: account.kind,
    admin: account.admin,
    permissions: account.permissions ?? undefined,
    createdBy: account.kind === 'robot' ? (account.createdBy ?? undefined) : undefined,
  };
}

/** Why an account may not log in now, or undefined when it may. */
export function loginRefusal(account: AccountRow, now = new Date()): string | undefined {
  if (account.disabled) return `account ${account.name} is disabled`;
  if (account.expiresAt && account.expiresAt <= now) return `robot account ${account.name} expired at ${account.expiresAt.toISOString()}`;
  return undefined;
}

/** A user name: like a namespace name, since a user's own namespace carries it. */
export function validateUserName(name: string): string {
  if (name.length > 64 || !USER_NAME.test(name)) {
    throw new OciError('NAME_INVALID', `"${name}" is not a valid account name: lowercase letters and digits, separated by ".", "_" or "-", at most 64 characters`);
  }
  return name;
}

export function validatePassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD_LENGTH) {
    throw new OciError('REQUEST_INVALID', `a password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  return password;
}

export class AccountService {
  /**
   * Credentials verified recently: HMAC(name, password) → the hash they matched. scrypt is slow on
   * purpose; clients that send Basic credentials on every request must not pay it each time. A
   * changed password changes the stored hash, so an old entry stops matching at once.
   */
  private readonly verified = new Map<string, string>();
  private readonly cacheKey = randomBytes(32);

  constructor(private readonly db: Database) {}

  async find(name: string): Promise<AccountRow | undefined> {
    const [row] = await this.db.select().from(accounts).where(eq(accounts.name, name));
    return row;
  }

  async findById(id: number): Promise<AccountRow | undefined> {
    const [row] = await this.db.select().from(accounts).where(eq(accounts.id, id));
    return row;
  }

  /** The account if `password` is its password; undefined otherwise (login refusals are the caller's to check). */
  async checkPassword(name: string, password: string): Promise<AccountRow | undefined> {
    const account = await this.find(name);
    if (!account) {
      // Spend the same time as for a real account, so that timing does not tell which names exist.
      await verifyPassword(password, await DUMMY_HASH());
      return undefined;
    }
    const key = createHmac('sha256', this.cacheKey).update(name).update('\0').update(password).digest('base64url');
    if (this.verified.get(key) === account.passwordHash) return account;
    if (!(await verifyPassword(password, account.passwordHash))) return undefined;
    if (this.verified.size >= 10_000) this.verified.clear();
    this.verified.set(key, account.passwordHash);
    return account;
  }

  async list(kind: AccountRow['kind']): Promise<AccountRow[]> {
    return this.db.select().from(accounts).where(eq(accounts.kind, kind)).orderBy(asc(accounts.name));
  }

  async createUser(input: { name: string; password: string; admin?: boolean; createdBy?: string }): Promise<AccountRow> {
    const name = validateUserName(input.name);
    return this.insert({
      name,
      kind: 'user',
      passwordHash: await hashPassword(validatePassword(input.password)),
      admin: input.admin ?? false,
      createdBy: input.createdBy,
    });
  }

  /** A robot and its secret, which is shown this once and never stored in clear. */
  async createRobot(input: {
    name: string;
    permissions: RobotPermission[];
    expiresAt?: Date;
    description?: string;
    createdBy: string;
  }): Promise<{ robot: AccountRow; secret: string }> {
    const name = `${ROBOT_PREFIX}${validateUserName(input.name.startsWith(ROBOT_PREFIX) ? input.name.slice(ROBOT_PREFIX.length) : input.name)}`;
    const secret = generateSecret();
    const robot = await this.insert({
      name,
      kind: 'robot',
      passwordHash: await hashPassword(secret),
      permissions: input.permissions,
      expiresAt: input.expiresAt,
      description: input.description,
      createdBy: input.createdBy,
    });
    return { robot, secret };
  }

  async update(name: string, change: { password?: string; admin?: boolean; disabled?: boolean }): Promise<AccountRow> {
    const values: Partial<typeof accounts.$inferInsert> = {};
    if (change.password !== undefined) values.passwordHash = await hashPassword(validatePassword(change.password));
    if (change.admin !== undefined) values.admin = change.admin;
    if (change.disabled !== undefined) values.disabled = change.disabled;
    if (Object.keys(values).length === 0) return this.require(name);
    const [row] = await this.db.update(accounts).set(values).where(eq(accounts.name, name)).returning();
    if (!row) throw unknownAccount(name);
    return row;
  }

  async delete(name: string): Promise<void> {
    const removed = await this.db.delete(accounts).where(eq(accounts.name, name)).returning({ id: accounts.id });
    if (removed.length === 0) throw unknownAccount(name);
  }

  async require(name: string): Promise<AccountRow> {
    const account = await this.find(name);
    if (!account) throw unknownAccount(name);
    return account;
  }

  /**
   * Creates `admin` when no account exists yet: with `password`, or a generated one that is
   * returned so that it can be shown once. Several replicas starting at once create it once.
   */
  async bootstrapAdmin(password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    const [any] = await this.db.select({ id: accounts.id }).from(accounts).limit(1);
    if (any) return { created: false };
    const chosen = password ?? generateSecret();
    const [row] = await this.db
      .insert(accounts)
      .values({ name: 'admin', kind: 'user', admin: true, passwordHash: await hashPassword(chosen) })
      .onConflictDoNothing()
      .returning({ id: accounts.id });
    if (!row) return { created: false };
    return { created: true, generatedPassword: password ? undefined : chosen };
  }

  private async insert(values: typeof accounts.$inferInsert): Promise<AccountRow> {
    const [row] = await this.db.insert(accounts).values(values).onConflictDoNothing().returning();
    if (!row) throw new OciError('CONFLICT', `an account named ${values.name} already exists`);
    return row;
  }
}

function unknownAccount(name: string): OciError {
  return new OciError('NAME_UNKNOWN', `there is no account named ${name}`, { detail: { account: name } });
}

// A valid hash of a random password, for equal timing when the account does not exist.
let dummyHash: Promise<string> | undefined;
const DUMMY_HASH = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));
