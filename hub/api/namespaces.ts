/**
 * `/api/v1/namespaces`: namespaces, their settings (visibility, immutable tags, delete policy)
 * and their members. Anyone sees the public ones; members see theirs; owners and administrators
 * change them.
 */
import { Hono } from 'hono';
import type { AccessControl } from '../auth/access-control.ts';
import type { AuthEnv } from '../auth/middleware.ts';
import type { NamespaceSettings } from '../auth/namespaces.ts';
import { recordAction } from './audit-trail.ts';
import { managedNamespace, visibleNamespace } from './namespace-access.ts';
import { fields, pathParam, readJsonObject } from './json.ts';
import { presentNamespace } from './present.ts';

/** Why someone who sees a namespace may not change it. */
const ownersOnly = (name: string) => `only owners of ${name} and administrators may do this`;

export function namespaceRoutes(access: AccessControl): Hono<AuthEnv> {
  const app = new Hono<AuthEnv>();
  const { namespaces } = access;

  app.get('/api/v1/namespaces', async (c) => {
    const list = await namespaces.visibleTo(await c.var.auth.identity());
    return c.json({ namespaces: list.map(presentNamespace) });
  });

  app.post('/api/v1/namespaces', async (c) => {
    const identity = await c.var.auth.requireAccount();
    if (identity.kind === 'robot') throw c.var.auth.denied('robot accounts cannot create namespaces', { action: 'namespace.create' });
    const body = await readJsonObject(c);
    const name = fields(body).string('name');
    // A user's own namespace carries their name: nobody else may take it.
    if (!identity.admin && name !== identity.name && (await access.accounts.find(name))) {
      throw c.var.auth.denied(`namespace ${name} is reserved for the account of that name`, { action: 'namespace.create' });
    }
    const created = await namespaces.create(name, settingsFrom(body), identity.kind === 'user' ? identity.name : undefined);
    recordAction(access, c, 'namespace.create', { namespace: name, ...settingsFrom(body) });
    return c.json(presentNamespace({ ...created, role: identity.kind === 'user' ? 'owner' : undefined }), 201);
  });

  app.get('/api/v1/namespaces/:namespace', async (c) => {
    const { name, facts } = await visibleNamespace(c);
    return c.json(presentNamespace({ ...(await namespaces.get(name)), role: facts.role }));
  });

  app.patch('/api/v1/namespaces/:namespace', async (c) => {
    const name = await managedNamespace(c, 'namespace.update', ownersOnly);
    const settings = settingsFrom(await readJsonObject(c));
    const updated = await namespaces.update(name, settings);
    recordAction(access, c, 'namespace.update', { namespace: name, ...settings });
    return c.json(presentNamespace(updated));
  });

  app.delete('/api/v1/namespaces/:namespace', async (c) => {
    const name = await managedNamespace(c, 'namespace.delete', ownersOnly);
    await namespaces.delete(name);
    recordAction(access, c, 'namespace.delete', { namespace: name });
    return c.body(null, 204);
  });

  app.get('/api/v1/namespaces/:namespace/members', async (c) => {
    await c.var.auth.requireAccount();
    const { name, facts } = await visibleNamespace(c);
    const identity = await c.var.auth.identity();
    if (!identity.admin && !facts.role) throw c.var.auth.denied(`only members of ${name} may list its members`, { action: 'member.list' });
    return c.json({ members: await namespaces.members(name) });
  });

  app.put('/api/v1/namespaces/:namespace/members/:account', async (c) => {
    const name = await managedNamespace(c, 'member.set', ownersOnly);
    const account = pathParam(c, 'account');
    const role = fields(await readJsonObject(c)).string('role');
    await namespaces.setMember(name, account, role);
    recordAction(access, c, 'member.set', { namespace: name, account, role });
    return c.json({ name: account, role });
  });

  app.delete('/api/v1/namespaces/:namespace/members/:account', async (c) => {
    const name = await managedNamespace(c, 'member.remove', ownersOnly);
    const account = pathParam(c, 'account');
    await namespaces.removeMember(name, account);
    recordAction(access, c, 'member.remove', { namespace: name, account });
    return c.body(null, 204);
  });

  return app;
}

function settingsFrom(body: Record<string, unknown>): NamespaceSettings {
  const f = fields(body);
  const settings: NamespaceSettings = {};
  const visibility = f.optionalString('visibility');
  if (visibility !== undefined) settings.visibility = visibility as NamespaceSettings['visibility'];
  const immutable = f.optionalBoolean('immutableTags');
  if (immutable !== undefined) settings.immutableTags = immutable;
  const deletePolicy = f.optionalString('deletePolicy');
  if (deletePolicy !== undefined) settings.deletePolicy = deletePolicy as NamespaceSettings['deletePolicy'];
  return settings;
}
