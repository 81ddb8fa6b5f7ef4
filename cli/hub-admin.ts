/**
 * `nocker hub user|namespace|policy|robot|token|audit …`: the Hub's accounts, namespaces, trust
 * policies, robots, tokens and audit log, through its `/api/v1` with the credentials
 * `nocker login` saved for that Hub.
 * Plain aligned tables by default, the Hub's JSON with `--json`. Each group lives in its own
 * module under `admin/`; this one only dispatches to them.
 */
import { auditCommand } from './admin/audit.ts';
import { namespaceCommand } from './admin/namespaces.ts';
import { policyCommand } from './admin/policy.ts';
import { robotCommand } from './admin/robots.ts';
import { tokenCommand } from './admin/tokens.ts';
import { userCommand } from './admin/users.ts';
import { vulnerabilityPolicyCommand } from './admin/vulnerability-policy.ts';
import { processIO, type CommandIO } from './io.ts';

/** The command groups this module serves. */
export const ADMIN_GROUPS = ['user', 'namespace', 'policy', 'vulnerability-policy', 'robot', 'token', 'audit'] as const;
/** One of {@link ADMIN_GROUPS}. */
export type AdminGroup = (typeof ADMIN_GROUPS)[number];

/** `nocker hub <group> …`, for the groups in {@link ADMIN_GROUPS}. */
export async function hubAdminCommand(group: AdminGroup, argv: string[], io: CommandIO = processIO()): Promise<number> {
  const handlers: Record<AdminGroup, (args: string[], io: CommandIO) => Promise<number>> = {
    user: userCommand,
    namespace: namespaceCommand,
    policy: policyCommand,
    'vulnerability-policy': vulnerabilityPolicyCommand,
    robot: robotCommand,
    token: tokenCommand,
    audit: auditCommand,
  };
  return handlers[group](argv, io);
}
