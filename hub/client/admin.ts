/**
 * The Hub's management API (`/api/v1`): accounts, namespaces with their members and trust
 * policies, robots, tokens and the audit log, as typed calls over a {@link HubClient}.
 */
import type { TrustPolicy } from '../policy/types.ts';
import type { HubClient } from './client.ts';

export type { PolicyIdentity, PolicyKey, PolicyMode, TrustPolicy } from '../policy/types.ts';

/** A namespace role, strongest first. */
export const ROLES = ['owner', 'maintainer', 'developer', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** Who may delete in a namespace: at least this role (`admin`: Hub administrators only). */
export const DELETE_POLICIES = ['developer', 'maintainer', 'owner', 'admin'] as const;
export type DeletePolicy = (typeof DELETE_POLICIES)[number];

export type Visibility = 'public' | 'private';

/** `GET /api/v1/me` */
export interface Me {
  name: string;
  kind: 'user' | 'robot';
  admin: boolean;
  namespaces: { name: string; role: Role }[];
}

export interface User {
  name: string;
  admin: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface Namespace {
  name: string;
  visibility: Visibility;
  immutableTags: boolean;
  deletePolicy: DeletePolicy;
  /** The caller's role in it, when it has one. */
  role?: Role;
}

export interface NamespaceChanges {
  visibility?: Visibility;
  immutableTags?: boolean;
  deletePolicy?: DeletePolicy;
}

export interface Member {
  name: string;
  kind: 'user' | 'robot';
  role: Role;
}

/** What a robot may do: `actions` (pull, push, delete…) on a repository or a `prefix/*`. */
export interface Permission {
  repository: string;
  actions: string[];
}

export interface Robot {
  /** The full name, `robot$NAME`. */
  name: string;
  description: string;
  permissions: Permission[];
  expiresAt: string | null;
  disabled?: boolean;
  createdBy: string;
  createdAt: string;
}

export interface NewRobot {
  /** The short name; the Hub answers with `robot$NAME`. */
  name: string;
  description?: string;
  permissions: Permission[];
  /** ISO 8601. */
  expiresAt?: string;
}

export interface Token {
  id: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  userAgent: string | null;
}

/** One audit record; fields that do not apply to an action may be null or absent. */
export interface AuditEntry {
  id: string | number;
  at: string;
  actor?: string | null;
  actorKind?: string | null;
  clientAddress?: string | null;
  action: string;
  repository?: string | null;
  reference?: string | null;
  outcome: string;
  detail?: unknown;
}

export interface AuditQuery {
  repository?: string;
  actor?: string;
  action?: string;
  /** ISO 8601 */
  since?: string;
  until?: string;
  limit?: number;
  /** The `next` of the previous page. */
  before?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** Pass as `before` for the older entries, when there are more. */
  next?: string;
}

/** `PUT /api/v1/namespaces/<ns>/policies/<env>`: lists default to empty, `required` to 1. */
export interface PolicyChange {
  mode: TrustPolicy['mode'];
  keys?: TrustPolicy['keys'];
  /** CA certificates for keyless signing; given with `identities`. */
  roots?: TrustPolicy['roots'];
  identities?: TrustPolicy['identities'];
  required?: number;
}

const seg = encodeURIComponent;

/**
 * @example
 * const admin = new HubAdmin(new HubClient({ url, credentials }));
 * await admin.createNamespace({ name: 'team', visibility: 'private' });
 * await admin.setMember('team', 'ann', 'developer');
 */
export class HubAdmin {
  constructor(readonly client: HubClient) {}

  me(): Promise<Me> {
    return this.client.api('GET', '/api/v1/me');
  }

  async listUsers(): Promise<User[]> {
    return (await this.client.api<{ users: User[] }>('GET', '/api/v1/users')).users;
  }

  createUser(user: { name: string; password: string; admin?: boolean }): Promise<User> {
    return this.client.api('POST', '/api/v1/users', user);
  }

  getUser(name: string): Promise<User> {
    return this.client.api('GET', `/api/v1/users/${seg(name)}`);
  }

  updateUser(name: string, changes: { password?: string; admin?: boolean; disabled?: boolean }): Promise<User> {
    return this.client.api('PATCH', `/api/v1/users/${seg(name)}`, changes);
  }

  async deleteUser(name: string): Promise<void> {
    await this.client.api('DELETE', `/api/v1/users/${seg(name)}`);
  }

  async listNamespaces(): Promise<Namespace[]> {
    return (await this.client.api<{ namespaces: Namespace[] }>('GET', '/api/v1/namespaces')).namespaces;
  }

  createNamespace(namespace: { name: string } & NamespaceChanges): Promise<Namespace> {
    return this.client.api('POST', '/api/v1/namespaces', namespace);
  }

  getNamespace(name: string): Promise<Namespace> {
    return this.client.api('GET', `/api/v1/namespaces/${seg(name)}`);
  }

  updateNamespace(name: string, changes: NamespaceChanges): Promise<Namespace> {
    return this.client.api('PATCH', `/api/v1/namespaces/${seg(name)}`, changes);
  }

  async deleteNamespace(name: string): Promise<void> {
    await this.client.api('DELETE', `/api/v1/namespaces/${seg(name)}`);
  }

  async listMembers(namespace: string): Promise<Member[]> {
    return (await this.client.api<{ members: Member[] }>('GET', `/api/v1/namespaces/${seg(namespace)}/members`)).members;
  }

  /** Adds `account` (a user or `robot$NAME`) to the namespace, or changes its role. */
  async setMember(namespace: string, account: string, role: Role): Promise<void> {
    await this.client.api('PUT', `/api/v1/namespaces/${seg(namespace)}/members/${seg(account)}`, { role });
  }

  async removeMember(namespace: string, account: string): Promise<void> {
    await this.client.api('DELETE', `/api/v1/namespaces/${seg(namespace)}/members/${seg(account)}`);
  }

  async listPolicies(namespace: string): Promise<TrustPolicy[]> {
    return (await this.client.api<{ policies: TrustPolicy[] }>('GET', `/api/v1/namespaces/${seg(namespace)}/policies`)).policies;
  }

  getPolicy(namespace: string, environment: string): Promise<TrustPolicy> {
    return this.client.api('GET', `/api/v1/namespaces/${seg(namespace)}/policies/${seg(environment)}`);
  }

  /** Creates or replaces the namespace's policy for `environment`; the answer carries the new version. */
  setPolicy(namespace: string, environment: string, policy: PolicyChange): Promise<TrustPolicy> {
    return this.client.api('PUT', `/api/v1/namespaces/${seg(namespace)}/policies/${seg(environment)}`, policy);
  }

  async deletePolicy(namespace: string, environment: string): Promise<void> {
    await this.client.api('DELETE', `/api/v1/namespaces/${seg(namespace)}/policies/${seg(environment)}`);
  }

  async listRobots(): Promise<Robot[]> {
    return (await this.client.api<{ robots: Robot[] }>('GET', '/api/v1/robots')).robots;
  }

  /** Creates a robot; its `secret` is in this answer only. */
  createRobot(robot: NewRobot): Promise<Robot & { secret: string }> {
    return this.client.api('POST', '/api/v1/robots', robot);
  }

  /** `name` is the full `robot$NAME`. */
  async deleteRobot(name: string): Promise<void> {
    await this.client.api('DELETE', `/api/v1/robots/${seg(name)}`);
  }

  async listTokens(): Promise<Token[]> {
    return (await this.client.api<{ tokens: Token[] }>('GET', '/api/v1/tokens')).tokens;
  }

  async revokeToken(id: string): Promise<void> {
    await this.client.api('DELETE', `/api/v1/tokens/${seg(id)}`);
  }

  /** One page of the audit log, newest first (administrators only). */
  audit(query: AuditQuery = {}): Promise<AuditPage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') params.set(key, String(value));
    }
    const qs = params.toString();
    return this.client.api('GET', `/api/v1/audit${qs ? `?${qs}` : ''}`);
  }
}
