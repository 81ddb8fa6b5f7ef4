/**
 * `/api/v1/me` and `/api/v1/users`: who am I, and the user accounts (administrators manage them;
 * a user may read their own and change their own password).
 */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import { OciError } from '../oci/errors.ts';
import { recordAction } from './audit-trail.ts';
import { fields, pathParam, readJsonObject } from './json.ts';
import { presentUser } from './present.ts';

export function userRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { accounts, namespaces } = access;

  app.get('/api/v1/me', async (c) => {
    const identity = await c.var.auth.requireAccount();
    const visible = await namespaces.visibleTo(identity);
    return c.json({
      name: identity.name,
      kind: identity.kind,
      admin: identity.admin,
      namespaces: visible.flatMap((ns) => (ns.role ? [{ name: ns.name, role: ns.role }] : [])),
    });
  });

  app.get('/api/v1/users', async (c) => {
    await c.var.auth.requireAdmin();
    return c.json({ users: (await accounts.list('user')).map(presentUser) });
  });

  app.post('/api/v1/users', async (c) => {
    const admin = await c.var.auth.requireAdmin();
    const body = fields(await readJsonObject(c));
    const wanted = body.string('name');
    // The new user's own namespace must be theirs: refuse a name someone else's namespace holds.
    const existing = await namespaces.facts(wanted, undefined);
    if (existing) throw new OciError('CONFLICT', `a namespace named ${wanted} already exists, so the account would not own it; choose another name`);
    const user = await accounts.createUser({ name: wanted, password: body.string('password'), admin: body.optionalBoolean('admin'), createdBy: admin.name });
    recordAction(access, c, 'user.create', { account: user.name, admin: user.admin });
    return c.json(presentUser(user), 201);
  });

  app.get('/api/v1/users/:name', async (c) => {
    const identity = await c.var.auth.requireAccount();
    const name = pathParam(c, 'name');
    if (!identity.admin && identity.name !== name) throw c.var.auth.denied('only administrators may read other accounts', { action: 'user.read' });
    const user = await accounts.require(name);
    if (user.kind !== 'user') throw new OciError('NAME_UNKNOWN', `${name} is a robot account: see /api/v1/robots`);
    return c.json(presentUser(user));
  });

  app.patch('/api/v1/users/:name', async (c) => {
    const identity = await c.var.auth.requireAccount();
    const name = pathParam(c, 'name');
    const body = fields(await readJsonObject(c));
    const change = { password: body.optionalString('password'), admin: body.optionalBoolean('admin'), disabled: body.optionalBoolean('disabled') };
    const onlyOwnPassword = identity.name === name && change.admin === undefined && change.disabled === undefined;
    if (!identity.admin && !onlyOwnPassword) throw c.var.auth.denied('only administrators may change other accounts or roles', { action: 'user.update' });
    if (identity.name === name && (change.admin === false || change.disabled === true)) {
      throw new OciError('CONFLICT', 'you cannot take administrator rights from, or disable, your own account');
    }
    const user = await accounts.update(name, change);
    recordAction(access, c, 'user.update', { account: name, password: change.password !== undefined, admin: change.admin, disabled: change.disabled });
    return c.json(presentUser(user));
  });

  app.delete('/api/v1/users/:name', async (c) => {
    const admin = await c.var.auth.requireAdmin();
    const name = pathParam(c, 'name');
    if (name === admin.name) throw new OciError('CONFLICT', 'you cannot delete your own account');
    const user = await accounts.require(name);
    if (user.kind !== 'user') throw new OciError('NAME_UNKNOWN', `${name} is a robot account: delete it through /api/v1/robots`);
    await accounts.delete(name);
    recordAction(access, c, 'user.delete', { account: name });
    return c.body(null, 204);
  });

  return app;
}
