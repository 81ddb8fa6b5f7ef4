/**
 * Namespaces (the first segment of repository names) with their settings and members.
 */
import { and, asc, eq, isNotNull, or, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { accounts, namespaceMembers, namespaces, repositories } from '../db/schema.ts';
import type { RepositoryFilter } from '../registry/manifests.ts';
import { OciError } from '../oci/errors.ts';
import { validateUserName } from './accounts.ts';
import { DELETE_POLICIES, ROLES, type DeletePolicy, type Identity, type NamespaceFacts, type Role, type Visibility } from './permissions.ts';

export type NamespaceRow = typeof namespaces.$inferSelect;

export interface NamespaceSettings {
  visibility?: Visibility;
  immutableTags?: boolean;
  deletePolicy?: DeletePolicy;
}

export interface Member {
  name: string;
  kind: 'user' | 'robot';
  role: Role;
}

export class NamespaceService {
  /** Namespaces known to exist: pushes check this before trying to create one. */
  private readonly existing = new Set<string>();

  constructor(private readonly db: Database) {}

  /** The namespace's settings and `accountName`'s role in it; undefined when it does not exist. */
  async facts(name: string, accountName: string | undefined): Promise<NamespaceFacts | undefined> {
    const membership = this.membershipsOf(accountName ?? '');
    const [row] = await this.db
      .select({
        visibility: namespaces.visibility,
        deletePolicy: namespaces.deletePolicy,
        immutableTags: namespaces.immutableTags,
        role: membership.role,
      })
      .from(namespaces)
      .leftJoin(membership, eq(membership.namespace, namespaces.name))
      .where(eq(namespaces.name, name));
    if (!row) return undefined;
    this.existing.add(name);
    return { visibility: row.visibility, deletePolicy: row.deletePolicy, immutableTags: row.immutableTags, role: row.role ?? undefined };
  }

  /** The namespaces `accountName` belongs to, with the role, as a subquery to join. */
  private membershipsOf(accountName: string) {
    return this.db
      .select({ namespace: namespaceMembers.namespace, role: namespaceMembers.role })
      .from(namespaceMembers)
      .innerJoin(accounts, eq(accounts.id, namespaceMembers.accountId))
      .where(eq(accounts.name, accountName))
      .as('membership');
  }

  async get(name: string): Promise<NamespaceRow> {
    const [row] = await this.db.select().from(namespaces).where(eq(namespaces.name, name));
    if (!row) throw unknownNamespace(name);
    return row;
  }

  /** Creates the namespace on a first push into it; the pushing user (if any) becomes its owner. */
  async ensure(name: string, ownerName: string | undefined): Promise<void> {
    if (this.existing.has(name)) return;
    await this.db.transaction(async (tx) => {
      const [created] = await tx.insert(namespaces).values({ name }).onConflictDoNothing().returning({ name: namespaces.name });
      if (created && ownerName) await this.addMember(tx, name, ownerName, 'owner');
    });
    this.existing.add(name);
  }

  async create(name: string, settings: NamespaceSettings, ownerName: string | undefined): Promise<NamespaceRow> {
    validateNamespaceName(name);
    return this.db.transaction(async (tx) => {
      const [row] = await tx
        .insert(namespaces)
        .values({ name, ...validateSettings(settings) })
        .onConflictDoNothing()
        .returning();
      if (!row) throw new OciError('CONFLICT', `namespace ${name} already exists`);
      if (ownerName) await this.addMember(tx, name, ownerName, 'owner');
      return row;
    });
  }

  async update(name: string, settings: NamespaceSettings): Promise<NamespaceRow> {
    const values = validateSettings(settings);
    if (Object.keys(values).length === 0) return this.get(name);
    const [row] = await this.db.update(namespaces).set(values).where(eq(namespaces.name, name)).returning();
    if (!row) throw unknownNamespace(name);
    return row;
  }

  /** Removes an empty namespace; one that still holds repositories is refused. */
  async delete(name: string): Promise<void> {
    const [used] = await this.db
      .select({ name: repositories.name })
      .from(repositories)
      .where(or(eq(repositories.name, name), sql`${repositories.name} like ${`${name}/%`}`))
      .limit(1);
    if (used) throw new OciError('CONFLICT', `namespace ${name} still holds repositories (${used.name}); delete them first`);
    const removed = await this.db.delete(namespaces).where(eq(namespaces.name, name)).returning({ name: namespaces.name });
    if (removed.length === 0) throw unknownNamespace(name);
    this.existing.delete(name);
  }

  /** Every namespace `identity` can see, with its role there: all of them for admins. */
  async visibleTo(identity: Identity): Promise<(NamespaceRow & { role?: Role })[]> {
    const membership = this.membershipsOf(identity.kind === 'anonymous' ? '' : identity.name);
    const rows = await this.db
      .select({ namespace: namespaces, role: membership.role })
      .from(namespaces)
      .leftJoin(membership, eq(membership.namespace, namespaces.name))
      .where(identity.admin ? undefined : or(eq(namespaces.visibility, 'public'), isNotNull(membership.role)))
      .orderBy(asc(namespaces.name));
    return rows.map((r) => ({ ...r.namespace, role: r.role ?? undefined }));
  }

  /** The repositories `identity` may pull, for the catalog; 'all' for admins. */
  async readableBy(identity: Identity): Promise<RepositoryFilter | 'all'> {
    if (identity.admin) return 'all';
    const filter: RepositoryFilter = { namespaces: (await this.visibleTo(identity)).map((ns) => ns.name), names: [], prefixes: [] };
    if (identity.kind === 'user') filter.namespaces.push(identity.name);
    // A robot reads exactly where its permissions let it pull.
    for (const permission of identity.kind === 'robot' ? (identity.permissions ?? []) : []) {
      if (!permission.actions.includes('pull')) continue;
      if (permission.repository === '*') return 'all';
      if (permission.repository.endsWith('/*')) filter.prefixes.push(permission.repository.slice(0, -1));
      else filter.names.push(permission.repository);
    }
    return filter;
  }

  async members(name: string): Promise<Member[]> {
    await this.get(name);
    return this.db
      .select({ name: accounts.name, kind: accounts.kind, role: namespaceMembers.role })
      .from(namespaceMembers)
      .innerJoin(accounts, eq(accounts.id, namespaceMembers.accountId))
      .where(eq(namespaceMembers.namespace, name))
      .orderBy(asc(accounts.name));
  }

  async setMember(name: string, accountName: string, role: string): Promise<void> {
    await this.get(name);
    await this.addMember(this.db, name, accountName, validateRole(role));
  }

  async removeMember(name: string, accountName: string): Promise<void> {
    const [account] = await this.db.select({ id: accounts.id }).from(accounts).where(eq(accounts.name, accountName));
    const removed = account
      ? await this.db
          .delete(namespaceMembers)
          .where(and(eq(namespaceMembers.namespace, name), eq(namespaceMembers.accountId, account.id)))
          .returning({ role: namespaceMembers.role })
      : [];
    if (removed.length === 0) throw new OciError('NAME_UNKNOWN', `${accountName} is not a member of namespace ${name}`);
  }

  private async addMember(db: Pick<Database, 'select' | 'insert'>, name: string, accountName: string, role: Role): Promise<void> {
    const [account] = await db.select({ id: accounts.id }).from(accounts).where(eq(accounts.name, accountName));
    if (!account) throw new OciError('NAME_UNKNOWN', `there is no account named ${accountName}`);
    await db
      .insert(namespaceMembers)
      .values({ namespace: name, accountId: account.id, role })
      .onConflictDoUpdate({ target: [namespaceMembers.namespace, namespaceMembers.accountId], set: { role } });
  }
}

export function validateNamespaceName(name: string): string {
  try {
    return validateUserName(name);
  } catch {
    throw new OciError('NAME_INVALID', `"${name}" is not a valid namespace name: lowercase letters and digits, separated by ".", "_" or "-"`);
  }
}

function validateRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw new OciError('REQUEST_INVALID', `"${role}" is not a role; roles are ${ROLES.join(', ')}`);
  return role as Role;
}

function validateSettings(settings: NamespaceSettings): NamespaceSettings {
  const values: NamespaceSettings = {};
  if (settings.visibility !== undefined) {
    if (settings.visibility !== 'public' && settings.visibility !== 'private') throw badSetting('visibility', 'public or private');
    values.visibility = settings.visibility;
  }
  if (settings.immutableTags !== undefined) {
    if (typeof settings.immutableTags !== 'boolean') throw badSetting('immutableTags', 'true or false');
    values.immutableTags = settings.immutableTags;
  }
  if (settings.deletePolicy !== undefined) {
    if (!DELETE_POLICIES.includes(settings.deletePolicy)) throw badSetting('deletePolicy', DELETE_POLICIES.join(', '));
    values.deletePolicy = settings.deletePolicy;
  }
  return values;
}

function badSetting(key: string, expected: string): OciError {
  return new OciError('REQUEST_INVALID', `${key} must be ${expected}`);
}

function unknownNamespace(name: string): OciError {
  return new OciError('NAME_UNKNOWN', `there is no namespace named ${name}`, { detail: { namespace: name } });
}
