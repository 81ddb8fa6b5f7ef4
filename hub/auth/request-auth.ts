/**
 * One request's view of access control: who sent it (from a bearer token, Basic credentials or
 * nothing) and what they may do. Handlers ask it (`can`, `require`); it answers a refusal with
 * 401 and a token challenge when other credentials could help, 403 DENIED when they could not.
 */
import type { Context } from 'hono';
import { OciError } from '../oci/errors.ts';
import { identityOf, loginRefusal, type AccountRow } from './accounts.ts';
import type { AccessControl } from './access-control.ts';
import { ANONYMOUS, namespaceOf, type Identity, type NamespaceFacts } from './permissions.ts';
import { API_SCOPE, CATALOG_SCOPE, formatScope, grants, type AccessEntry, type RepositoryAction } from './scopes.ts';
import type { TokenClaims } from './tokens.ts';

export type Credential =
  | { kind: 'none' }
  | { kind: 'basic'; account: AccountRow }
  | { kind: 'bearer'; claims: TokenClaims }
  /** Authentication is off: everything is allowed. */
  | { kind: 'open' };

/** An identity that may do anything, for a Hub with authentication off. */
const SANDBOX: Identity = { name: 'anonymous', kind: 'anonymous', admin: true };

export class RequestAuth {
  private identityPromise: Promise<Identity> | undefined;
  private readonly facts = new Map<string, Promise<NamespaceFacts | undefined>>();

  constructor(
    private readonly access: AccessControl,
    readonly credential: Credential,
    /** The client's IP address, for the audit log and login limits. */
    readonly clientAddress: string | undefined,
    private readonly challenge: { realm: string; service: string },
  ) {}

  /** The name and kind the audit log records. */
  get actor(): { name: string; kind: string } {
    switch (this.credential.kind) {
      case 'basic':
        return { name: this.credential.account.name, kind: this.credential.account.kind };
      case 'bearer':
        return { name: this.credential.claims.subject, kind: this.credential.claims.kind };
      default:
        return { name: 'anonymous', kind: 'anonymous' };
    }
  }

  get open(): boolean {
    return this.credential.kind === 'open';
  }

  /** Who is asking, as permissions see them; a token's subject is looked up afresh. */
  identity(): Promise<Identity> {
    this.identityPromise ??= this.resolveIdentity();
    return this.identityPromise;
  }

  /** The namespace of `repository`, as this caller sees it (their role included). */
  namespace(repository: string): Promise<NamespaceFacts | undefined> {
    const name = namespaceOf(repository);
    let facts = this.facts.get(name);
    if (!facts) {
      facts = this.identity().then((identity) => this.access.namespaces.facts(name, identity.kind === 'anonymous' ? undefined : identity.name));
      this.facts.set(name, facts);
    }
    return facts;
  }

  async can(repository: string, action: RepositoryAction): Promise<boolean> {
    switch (this.credential.kind) {
      case 'open':
        return true;
      case 'bearer':
        return grants(this.credential.claims.access, 'repository', repository, action);
      default:
        return (await this.access.actionsOn(await this.identity(), repository)).has(action);
    }
  }

  /**
   * Lets the request go on only if the caller may take `action` on `repository`.
   *
   * @example
   * await auth.require('team/app', 'push');
   */
  async require(repository: string, action: RepositoryAction): Promise<void> {
    if (await this.can(repository, action)) return;
    const wanted: AccessEntry = { type: 'repository', name: repository, actions: action === 'push' ? ['pull', 'push'] : [action] };
    await this.refuse(wanted, async () => (await this.access.actionsOn(await this.identity(), repository)).has(action), {
      action,
      repository,
    });
  }

  /** Lets a `/v2/` version check through for any valid credentials, an anonymous token included. */
  requireCredentials(): void {
    if (this.credential.kind === 'none') throw this.unauthorized(undefined, 'authentication required: log in to this Hub');
  }

  /** The catalog: any caller with credentials (filtered to what they may read), tokens with the catalog scope. */
  async requireCatalog(): Promise<void> {
    if (this.credential.kind === 'basic' || this.credential.kind === 'open') return;
    if (this.credential.kind === 'bearer' && grants(this.credential.claims.access, 'registry', CATALOG_SCOPE.name, '*')) return;
    throw this.unauthorized(CATALOG_SCOPE, 'listing repositories needs the registry:catalog:* scope');
  }

  /** Management API calls: a logged-in account (not anonymous), by Basic or by a token with the API scope. */
  async requireAccount(): Promise<Identity> {
    if (this.credential.kind === 'open' || this.credential.kind === 'basic') return this.identity();
    if (this.credential.kind === 'bearer' && this.credential.claims.kind !== 'anonymous' && grants(this.credential.claims.access, 'registry', API_SCOPE.name, '*')) {
      const identity = await this.identity();
      if (identity.kind !== 'anonymous') return identity;
      throw this.unauthorized(API_SCOPE, `account ${this.credential.claims.subject} can no longer log in`, 'invalid_token');
    }
    throw this.unauthorized(API_SCOPE, 'this API needs a logged-in account');
  }

  async requireAdmin(): Promise<Identity> {
    const identity = await this.requireAccount();
    if (!identity.admin) throw this.denied('only administrators may do this', { action: 'admin' });
    return identity;
  }

  /** The Hub's own decision in the words of the audit log: refused for `what`. */
  denied(message: string, what: { action: string; repository?: string; namespace?: string }): OciError {
    const actor = this.actor;
    const { namespace, ...where } = what;
    // The namespace goes in the detail, where a namespace's own audit log finds its entries.
    this.access.audit.record({ actor: actor.name, actorKind: actor.kind, clientAddress: this.clientAddress, ...where, outcome: 'denied', ...(namespace ? { detail: { namespace } } : {}) });
    return new OciError('DENIED', message, { detail: what });
  }

  /** Throws 401 (credentials could help) or 403 (they could not): `couldWith` says whether the caller's account may. */
  private async refuse(wanted: AccessEntry, couldWith: () => Promise<boolean>, what: { action: string; repository: string }): Promise<never> {
    const anonymous = this.credential.kind === 'none' || (this.credential.kind === 'bearer' && this.credential.claims.kind === 'anonymous');
    if (anonymous) throw this.unauthorized(wanted, `authentication required to ${what.action} ${what.repository}`);
    // A token that lacks the scope, held by someone who may have it: a fresh token will do.
    if (this.credential.kind === 'bearer' && (await couldWith())) {
      throw this.unauthorized(wanted, `the token does not grant ${formatScope(wanted)}`, 'insufficient_scope');
    }
    throw this.denied(`${this.actor.name} may not ${what.action} ${what.repository}`, what);
  }

  /** 401 with the challenge that leads a client to the token endpoint. */
  unauthorized(scope: AccessEntry | undefined, message: string, error?: 'invalid_token' | 'insufficient_scope'): OciError {
    return new OciError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': bearerChallenge(this.challenge, scope, error) } });
  }

  private async resolveIdentity(): Promise<Identity> {
    switch (this.credential.kind) {
      case 'open':
        return SANDBOX;
      case 'none':
        return ANONYMOUS;
      case 'basic':
        return identityOf(this.credential.account);
      case 'bearer': {
        if (this.credential.claims.kind === 'anonymous') return ANONYMOUS;
        const account = await this.access.accounts.find(this.credential.claims.subject);
        // Deleted, disabled or expired since the token was issued: no account powers (the API)
        // any more; on /v2 the token still carries what it granted until it expires.
        return account && !loginRefusal(account) ? identityOf(account) : ANONYMOUS;
      }
    }
  }
}

/** `Bearer realm="…",service="…",scope="…"` as the Docker token specification words it. */
export function bearerChallenge(challenge: { realm: string; service: string }, scope?: AccessEntry, error?: string): string {
  const parts = [`realm="${challenge.realm}"`, `service="${challenge.service}"`];
  if (scope) parts.push(`scope="${formatScope(scope)}"`);
  if (error) parts.push(`error="${error}"`);
  return `Bearer ${parts.join(',')}`;
}
