/** How accounts and namespaces appear in `/api/v1` answers: never with a password hash. */
import type { AccountRow } from '../auth/accounts.ts';
import type { NamespaceRow } from '../auth/namespaces.ts';
import type { Role } from '../auth/permissions.ts';

export function presentUser(account: AccountRow) {
  return { name: account.name, admin: account.admin, disabled: account.disabled, createdAt: account.createdAt.toISOString() };
}

export function presentRobot(robot: AccountRow) {
  return {
    name: robot.name,
    description: robot.description ?? '',
    permissions: robot.permissions ?? [],
    expiresAt: robot.expiresAt?.toISOString() ?? null,
    disabled: robot.disabled,
    createdBy: robot.createdBy,
    createdAt: robot.createdAt.toISOString(),
  };
}

export function presentNamespace(namespace: NamespaceRow & { role?: Role }) {
  return {
    name: namespace.name,
    visibility: namespace.visibility,
    immutableTags: namespace.immutableTags,
    deletePolicy: namespace.deletePolicy,
    createdAt: namespace.createdAt.toISOString(),
    ...(namespace.role ? { role: namespace.role } : {}),
  };
}
