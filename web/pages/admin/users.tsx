/**
 * `/admin/users`: the Hub's user accounts — create one, make or unmake an administrator,
 * disable or enable, reset a password, delete (after a confirmation page).
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { CsrfField, ScrollTable, Time } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { ui } from '../../paths.ts';
import type { User } from '../../../hub/client/admin.ts';
import { AdminFrame, adminApi, adminPath, formMistake, noticeOf, readForm, withNotice, YesNo } from './shared.tsx';

const BASE = '/admin/users';

/** One switch of a user (admin, disabled) as a one-button form. */
const Toggle: FC<{ user: User; field: 'admin' | 'disabled'; label: string }> = ({ user, field, label }) => (
  <form method="post" action={ui(adminPath(BASE, user.name))} class="inline">
    <CsrfField />
    <input type="hidden" name={field} value={user[field] ? 'false' : 'true'} />
    <button type="submit">{label}</button>
  </form>
);

const UserRow: FC<{ user: User; index: number }> = ({ user, index }) => (
  <tr>
    <th scope="row">{user.name}</th>
    <td>
      <YesNo value={user.admin} yes="administrator" />
    </td>
    <td>
      <YesNo value={user.disabled} yes="disabled" no="active" bad />
    </td>
    <td>
      <Time at={user.createdAt} />
    </td>
    <td>
      <div class="admin-actions">
        <Toggle user={user} field="admin" label={user.admin ? 'Remove administrator' : 'Make administrator'} />
        <Toggle user={user} field="disabled" label={user.disabled ? 'Enable' : 'Disable'} />
        <form method="post" action={ui(adminPath(BASE, user.name))} class="inline">
          <CsrfField />
          <label for={`password-${index}`} class="inline-label">
            New password for {user.name}
          </label>
          <input id={`password-${index}`} type="password" name="password" autocomplete="new-password" required minlength={8} />
          <button type="submit">Reset password</button>
        </form>
        <a class="button danger" href={ui(adminPath(BASE, user.name, 'delete'))}>
          Delete {user.name}…
        </a>
      </div>
    </td>
  </tr>
);

const CreateUser: FC<{ name?: string }> = ({ name }) => (
  <form method="post" action={ui(BASE)} class="stack">
    <CsrfField />
    <label for="new-user-name">Name</label>
    <input id="new-user-name" name="name" required autocomplete="off" value={name ?? ''} />
    <label for="new-user-password">Password</label>
    <input id="new-user-password" type="password" name="password" required autocomplete="new-password" />
    <label for="new-user-admin" class="check">
      <input id="new-user-admin" type="checkbox" name="admin" value="true" /> Administrator
    </label>
    <button type="submit" class="primary">
      Create user
    </button>
  </form>
);

async function usersPage(c: Context<WebEnv>, state: { error?: string; name?: string } = {}): Promise<Response> {
  const users = await adminApi(c).listUsers();
  return c.render(
    <AdminFrame title="Users" current="users" notice={noticeOf(c)} error={state.error}>
      <ScrollTable label="Users">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Administrator</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user, index) => (
              <UserRow user={user} index={index} />
            ))}
          </tbody>
        </table>
      </ScrollTable>
      <h2>Create a user</h2>
      <CreateUser name={state.name} />
    </AdminFrame>,
    { title: 'Users', section: 'admin' },
  );
}

export function userRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get(BASE, (c) => usersPage(c));

  app.post(BASE, async (c) => {
    const admin = adminApi(c);
    const form = await readForm(c);
    const name = form.text('name');
    try {
      await admin.createUser({ name, password: form.raw('password'), admin: form.checked('admin') });
    } catch (err) {
      if (!formMistake(err)) throw err;
      c.status(400);
      return usersPage(c, { error: err.message, name });
    }
    return c.redirect(withNotice(BASE, 'user-created', name), 303);
  });

  // One form per change: a password, or a switch of admin / disabled.
  app.post(`${BASE}/:name`, async (c) => {
    const admin = adminApi(c);
    const name = c.req.param('name');
    const form = await readForm(c);
    const password = form.raw('password');
    const changes = password !== '' ? { password } : { ...(form.text('admin') ? { admin: form.text('admin') === 'true' } : {}), ...(form.text('disabled') ? { disabled: form.text('disabled') === 'true' } : {}) };
    try {
      await admin.updateUser(name, changes);
    } catch (err) {
      if (!formMistake(err)) throw err;
      c.status(400);
      return usersPage(c, { error: `${name}: ${err.message}` });
    }
    return c.redirect(withNotice(BASE, password !== '' ? 'password-reset' : 'user-updated', name), 303);
  });

  app.get(`${BASE}/:name/delete`, async (c) => {
    const user = await adminApi(c).getUser(c.req.param('name'));
    return c.render(
      <AdminFrame title={`Delete user ${user.name}`} current="users">
        <p>
          Deleting <strong>{user.name}</strong> removes the account for good. Disabling it instead keeps the account and stops it signing in.
        </p>
        <form method="post" action={ui(adminPath(BASE, user.name, 'delete'))} class="inline">
          <CsrfField />
          <button type="submit" class="danger">
            Delete {user.name}
          </button>
          <a href={ui(BASE)}>Cancel</a>
        </form>
      </AdminFrame>,
      { title: `Delete user ${user.name}`, section: 'admin' },
    );
  });

  app.post(`${BASE}/:name/delete`, async (c) => {
    const name = c.req.param('name');
    await adminApi(c).deleteUser(name);
    return c.redirect(withNotice(BASE, 'user-deleted', name), 303);
  });

  return app;
}
