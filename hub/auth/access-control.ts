/**
 * The Hub's access control, assembled: accounts, namespaces, tokens, the audit log and login
 * limits, plus the two decisions everything else asks for — "who is this?" (login) and "what
 * may they have?" (grant).
 */
import type { Context } from 'hono';
import type { AuthConfig } from '../config.ts';
import type { Database } from '../db/open.ts';
import { OciError } from '../oci/errors.ts';
import { validateRepositoryName } from '../oci/names.ts';
import { createTrustPolicyStore, type TrustPolicyStore } from '../policy/store.ts';
import { AccountService, identityOf, loginRefusal, type AccountRow } from './accounts.ts';
import { AuditLog } from './audit.ts';
import { loadSigningKey, VerificationKeys } from './keys.ts';
import { NamespaceService } from './namespaces.ts';
import { allowedActions, namespaceOf, type Identity } from './permissions.ts';
import { FailureLimiter } from './rate-limit.ts';
import { RefreshTokenService } from './refresh-tokens.ts';
import { API_SCOPE, CATALOG_SCOPE, type AccessEntry, type RepositoryAction } from './scopes.ts';
import { TokenService } from './tokens.ts';

export interface AccessControl {
  enabled: boolean;
  accounts: AccountService;
  namespaces: NamespaceService;
  refreshTokens: RefreshTokenService;
  tokens: TokenService;
  keys: VerificationKeys;
  audit: AuditLog;
  /** Namespaces' trust policies: which signatures their images need, per environment. */
  policies: TrustPolicyStore;
  /** The token service name clients must present, for this request. */
  serviceFor(c: Context): string;
  /** The token endpoint's URL, as clients reach it. */
  realmFor(c: Context): string;
  /** Checks a name and password, with failed-attempt limits and an audit entry for each failure. */
  login(name: string, password: string, clientAddress: string | undefined): Promise<AccountRow>;
  /** The part of `requested` that `identity` may have. */
  grant(identity: Identity, requested: AccessEntry[]): Promise<AccessEntry[]>;
  /** What `identity` may do to one repository. */
  actionsOn(identity: Identity, repository: string): Promise<Set<RepositoryAction>>;
  /** First start: creates `admin` (printing a generated password once) and warns when auth is off. */
  bootstrap(options: { quiet?: boolean }): Promise<void>;
  close(): Promise<void>;
}

/** Failed logins allowed per account and per client address within the window. */
export const LOGIN_LIMITS = { perAccount: 10, perAddress: 30, windowMs: 5 * 60_000 } as const;

/**
 * @example
 * const access = await createAccessControl(db, config.auth, config.dataDir);
 */
export async function createAccessControl(db: Database, config: AuthConfig, dataDir: string): Promise<AccessControl> {
  const accounts = new AccountService(db);
  const namespaces = new NamespaceService(db);
  const audit = new AuditLog(db);
  const key = await loadSigningKey({ tokenKey: config.tokenKey, dataDir });
  const keys = new VerificationKeys(db, key);
  await keys.publish();
  const tokens = new TokenService(key, keys, config.tokenTtlSeconds);
  const byAccount = new FailureLimiter({ limit: LOGIN_LIMITS.perAccount, windowMs: LOGIN_LIMITS.windowMs });
  const byAddress = new FailureLimiter({ limit: LOGIN_LIMITS.perAddress, windowMs: LOGIN_LIMITS.windowMs });
  let quiet = false;

  const ownActions = async (identity: Identity, repository: string) =>
    allowedActions(identity, repository, await namespaces.facts(namespaceOf(repository), identity.kind === 'anonymous' ? undefined : identity.name));

  const actionsOn = async (identity: Identity, repository: string): Promise<Set<RepositoryAction>> => {
    const own = await ownActions(identity, repository);
    if (identity.kind !== 'robot' || own.size === 0) return own;
    // A robot acts for its creator: what the creator lost (a role, the account) the robot loses too.
    const creator = identity.createdBy ? await accounts.find(identity.createdBy) : undefined;
    if (!creator || loginRefusal(creator)) return new Set();
    if (creator.admin) return own;
    const held = await ownActions(identityOf(creator), repository);
    return new Set([...own].filter((action) => held.has(action)));
  };

  return {
    enabled: config.enabled,
    accounts,
    namespaces,
    refreshTokens: new RefreshTokenService(db),
    tokens,
    keys,
    audit,
    policies: createTrustPolicyStore(db),
    serviceFor: (c) => config.service ?? c.req.header('host') ?? new URL(c.req.url).host,
    realmFor: (c) => `${config.publicUrl ?? new URL(c.req.url).origin}/token`,

    async login(name, password, clientAddress) {
      const keys = [`account:${name}`, `address:${clientAddress ?? 'unknown'}`] as const;
      const wait = Math.max(byAccount.retryAfter(keys[0]), byAddress.retryAfter(keys[1]));
      const fail = (outcome: 'denied' | 'failure', reason: string) =>
        audit.record({ actor: name, actorKind: 'unknown', clientAddress, action: 'login', outcome, detail: { reason } });
      if (wait > 0) {
        fail('denied', 'too many failed attempts');
        throw new OciError('TOOMANYREQUESTS', `too many failed logins for ${name} or from this address; try again in ${wait} s`, {
          headers: { 'Retry-After': String(wait) },
        });
      }
      const account = await accounts.checkPassword(name, password);
      const refusal = account ? loginRefusal(account) : 'wrong name or password';
      if (!account || refusal) {
        byAccount.recordFailure(keys[0]);
        byAddress.recordFailure(keys[1]);
        fail('failure', refusal ?? 'wrong name or password');
        if (!quiet) console.warn(JSON.stringify({ level: 'warn', msg: 'failed login', account: name, client: clientAddress, reason: refusal }));
        // The same words for an unknown name and a wrong password: nothing tells which names exist.
        throw new OciError('UNAUTHORIZED', account && refusal ? refusal : 'the name or password is wrong', {
          headers: { 'WWW-Authenticate': 'Basic realm="nocker"' },
        });
      }
      byAccount.reset(keys[0]);
      return account;
    },

    async grant(identity, requested) {
      const granted: AccessEntry[] = [];
      for (const entry of requested) {
        if (entry.type === 'registry' && entry.name === CATALOG_SCOPE.name) granted.push(CATALOG_SCOPE);
        if (entry.type === 'registry' && entry.name === API_SCOPE.name && identity.kind !== 'anonymous') granted.push(API_SCOPE);
        if (entry.type !== 'repository' || !isRepositoryName(entry.name)) continue;
        const allowed = await actionsOn(identity, entry.name);
        const actions = entry.actions.includes('*') ? [...allowed] : entry.actions.filter((a) => allowed.has(a as RepositoryAction));
        if (actions.length > 0) granted.push({ type: 'repository', name: entry.name, actions });
      }
      return granted;
    },

    actionsOn,

    async bootstrap(options) {
      quiet = options.quiet ?? false;
      const admin = await accounts.bootstrapAdmin(config.adminPassword);
      if (admin.generatedPassword) {
        // Shown once, whatever `quiet` says: there is no other way to learn it.
        console.log(`nocker hub created the account "admin" with the password ${admin.generatedPassword} — keep it now, it is not shown again`);
      }
      if (!config.enabled && !options.quiet) {
        console.warn('nocker hub: WARNING authentication is off (NOCKER_AUTH=off): anyone who reaches this Hub can read, push and delete everything');
      }
    },

    async close() {
      await audit.close();
    },
  };
}

function isRepositoryName(name: string): boolean {
  try {
    validateRepositoryName(name);
    return true;
  } catch {
    return false;
  }
}
