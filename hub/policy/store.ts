/**
 * Trust policies in the database: one row per namespace and environment. The registry looks
 * them up (`find`) on pulls; the management API lists, sets and removes them.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/open.ts';
import { namespaces, trustPolicies } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import type { TrustPolicy, TrustPolicyLookup } from './types.ts';
import { parsePolicyInput, validateEnvironment, type PolicyInput } from './validate.ts';

export type { PolicyInput };

export interface TrustPolicyStore extends TrustPolicyLookup {
  /** The namespace's policies, by environment name. */
  list(namespace: string): Promise<TrustPolicy[]>;
  /** Creates or replaces the policy; its version rises by one each time (1 when created). */
  put(namespace: string, environment: string, input: PolicyInput, actor: string): Promise<TrustPolicy>;
  /** False when there was no such policy. */
  remove(namespace: string, environment: string): Promise<boolean>;
}

type Row = typeof trustPolicies.$inferSelect;

const present = (row: Row): TrustPolicy => ({
  namespace: row.namespace,
  environment: row.environment,
  mode: row.mode,
  keys: row.keys,
  roots: row.roots,
  identities: row.identities,
  required: row.required,
  version: row.version,
  updatedAt: row.updatedAt.toISOString(),
  updatedBy: row.updatedBy,
});

/**
 * @example
 * const policies = createTrustPolicyStore(db);
 * await policies.put('team', 'production', { mode: 'enforce', keys: [{ name: 'release', pem }], required: 1 }, 'ann');
 * await policies.find('team', 'production'); // { mode: 'enforce', version: 1, … }
 */
export function createTrustPolicyStore(db: Database): TrustPolicyStore {
  const where = (namespace: string, environment: string) => and(eq(trustPolicies.namespace, namespace), eq(trustPolicies.environment, environment));

  return {
    async find(namespace, environment) {
      const [row] = await db.select().from(trustPolicies).where(where(namespace, environment));
      return row ? present(row) : undefined;
    },

    async list(namespace) {
      const rows = await db.select().from(trustPolicies).where(eq(trustPolicies.namespace, namespace)).orderBy(asc(trustPolicies.environment));
      return rows.map(present);
    },

    async put(namespace, environment, input, actor) {
      validateEnvironment(environment);
      const { mode, keys, roots, identities, required } = parsePolicyInput(input);
      const [known] = await db.select({ name: namespaces.name }).from(namespaces).where(eq(namespaces.name, namespace));
      if (!known) throw new OciError('NAME_UNKNOWN', `there is no namespace named ${namespace}`, { detail: { namespace } });
      // One statement, so that two concurrent changes still give two versions.
      const [row] = await db
        .insert(trustPolicies)
        .values({ namespace, environment, mode, keys, roots, identities, required, version: 1, updatedBy: actor })
        .onConflictDoUpdate({
          target: [trustPolicies.namespace, trustPolicies.environment],
          set: { mode, keys, roots, identities, required, version: sql`${trustPolicies.version} + 1`, updatedAt: sql`now()`, updatedBy: actor },
        })
        .returning();
      if (!row) throw new OciError('INTERNAL', `the policy of ${namespace} for ${environment} was not saved`);
      return present(row);
    },

    async remove(namespace, environment) {
      const removed = await db.delete(trustPolicies).where(where(namespace, environment)).returning({ version: trustPolicies.version });
      return removed.length > 0;
    },
  };
}
