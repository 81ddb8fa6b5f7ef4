/**
 * `/api/v1/robots`: robot accounts for CI. A robot may only be given what its creator may do
 * (administrators: anything); its secret is returned once, at creation.
 */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import { ROBOT_PREFIX } from '../auth/accounts.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import type { Identity } from '../auth/permissions.ts';
import type { RobotPermission } from '../db/schema.ts';
import { OciError } from '../oci/errors.ts';
import { validateRepositoryName } from '../oci/names.ts';
import { recordAction } from './audit-trail.ts';
import { fields, pathParam, readJsonObject } from './json.ts';
import { presentRobot } from './present.ts';

const ACTIONS = ['pull', 'push', 'delete'] as const;

export function robotRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { accounts } = access;

  app.get('/api/v1/robots', async (c) => {
    const identity = await c.var.auth.requireAccount();
    const robots = await accounts.list('robot');
    return c.json({ robots: robots.filter((r) => identity.admin || r.createdBy === identity.name).map(presentRobot) });
  });

  app.post('/api/v1/robots', async (c) => {
    const identity = await c.var.auth.requireAccount();
    if (identity.kind !== 'user') throw c.var.auth.denied('only users create robot accounts', { action: 'robot.create' });
    const body = fields(await readJsonObject(c));
    const permissions = parsePermissions(body.array('permissions'));
    const expiresAt = body.optionalDate('expiresAt');
    if (expiresAt && expiresAt <= new Date()) throw new OciError('REQUEST_INVALID', 'expiresAt must be in the future');
    await requireHeldBy(access, identity, permissions, c.var.auth.denied.bind(c.var.auth));
    const { robot, secret } = await accounts.createRobot({
      name: body.string('name'),
      permissions,
      expiresAt,
      description: body.optionalString('description'),
      createdBy: identity.name,
    });
    recordAction(access, c, 'robot.create', { account: robot.name, permissions, expiresAt: expiresAt?.toISOString() ?? null });
    return c.json({ ...presentRobot(robot), secret }, 201);
  });

  app.delete('/api/v1/robots/:name', async (c) => {
    const identity = await c.var.auth.requireAccount();
    const given = pathParam(c, 'name');
    const name = given.startsWith(ROBOT_PREFIX) ? given : `${ROBOT_PREFIX}${given}`;
    const robot = await accounts.require(name);
    if (robot.kind !== 'robot') throw new OciError('NAME_UNKNOWN', `${name} is not a robot account`);
    if (!identity.admin && robot.createdBy !== identity.name) throw c.var.auth.denied('only its creator and administrators may delete a robot', { action: 'robot.delete' });
    await accounts.delete(name);
    recordAction(access, c, 'robot.delete', { account: name });
    return c.body(null, 204);
  });

  return app;
}

/** `[{ repository: 'team/*', actions: ['pull', 'push'] }]`, each entry checked. */
export function parsePermissions(list: unknown[]): RobotPermission[] {
  if (list.length === 0) throw new OciError('REQUEST_INVALID', 'a robot needs at least one permission');
  return list.map((item, i) => {
    const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const repository = entry.repository;
    const actions = entry.actions;
    if (typeof repository !== 'string' || !isPattern(repository)) {
      throw new OciError('REQUEST_INVALID', `permissions[${i}].repository must be a repository name, a prefix ending in "/*", or "*"`);
    }
    if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => (ACTIONS as readonly unknown[]).includes(a))) {
      throw new OciError('REQUEST_INVALID', `permissions[${i}].actions must list some of ${ACTIONS.join(', ')}`);
    }
    return { repository, actions: [...new Set(actions as RobotPermission['actions'])] };
  });
}

function isPattern(pattern: string): boolean {
  if (pattern === '*') return true;
  try {
    validateRepositoryName(pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern);
    return true;
  } catch {
    return false;
  }
}

/** Nobody hands out more than they hold: each permission must be one the creator has. */
async function requireHeldBy(
  access: AccessControl,
  creator: Identity,
  permissions: RobotPermission[],
  denied: (message: string, what: { action: string }) => OciError,
): Promise<void> {
  if (creator.admin) return;
  for (const permission of permissions) {
    if (permission.repository === '*') throw denied('only administrators may create robots for every repository', { action: 'robot.create' });
    // Roles are per namespace, so any repository under a prefix stands for all of them.
    const sample = permission.repository.endsWith('/*') ? `${permission.repository.slice(0, -2)}/robot-check` : permission.repository;
    const held = await access.actionsOn(creator, sample);
    const missing = permission.actions.filter((a) => !held.has(a));
    if (missing.length > 0) throw denied(`you may not ${missing.join(', ')} ${permission.repository}, so neither may a robot you create`, { action: 'robot.create' });
  }
}
