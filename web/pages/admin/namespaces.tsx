/**
 * `/admin/namespaces`: namespaces with their settings (create, edit, delete after a confirmation
 * page), and `/admin/namespaces/NAME`: its settings and members with their roles.
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { CsrfField, ScrollTable } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { ui } from '../../paths.ts';
import { DELETE_POLICIES, ROLES, type DeletePolicy, type Member, type Namespace, type NamespaceChanges, type Role, type Visibility } from '../../../hub/client/admin.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { AdminFrame, adminApi, adminPath, formMistake, noticeOf, readForm, withNotice, YesNo, type FormFields } from './shared.tsx';

const BASE = '/admin/namespaces';

const DELETE_POLICY_LABELS: Record<DeletePolicy, string> = {
  developer: 'developers and above',
  maintainer: 'maintainers and above',
  owner: 'owners',
  admin: 'Hub administrators only',
};

/** The settings a namespace form sends; unknown values are passed on for the API to refuse. */
function settingsOf(form: FormFields): NamespaceChanges {
  return {
    visibility: (form.text('visibility') || 'private') as Visibility,
    immutableTags: form.checked('immutableTags'),
    deletePolicy: (form.text('deletePolicy') || 'developer') as DeletePolicy,
  };
}

/** The settings fields; `prefix` keeps ids apart when two forms are on one page. */
const SettingsFields: FC<{ prefix: string; namespace?: Namespace }> = ({ prefix, namespace }) => (
  <>
    <label for={`${prefix}-visibility`}>Visibility</label>
    <select id={`${prefix}-visibility`} name="visibility">
      {(['private', 'public'] as const).map((v) => (
        <option value={v} selected={(namespace?.visibility ?? 'private') === v}>
          {v}
        </option>
      ))}
    </select>
    <label for={`${prefix}-delete-policy`}>Who may delete</label>
    <select id={`${prefix}-delete-policy`} name="deletePolicy">
      {DELETE_POLICIES.map((p) => (
        <option value={p} selected={(namespace?.deletePolicy ?? 'developer') === p}>
          {DELETE_POLICY_LABELS[p]}
        </option>
      ))}
    </select>
    <label for={`${prefix}-immutable`} class="check">
      <input id={`${prefix}-immutable`} type="checkbox" name="immutableTags" value="true" checked={namespace?.immutableTags ?? false} /> Immutable tags (a tag, once pushed, cannot move)
    </label>
  </>
);

async function namespacesPage(c: Context<WebEnv>, state: { error?: string; name?: string } = {}): Promise<Response> {
  const admin = adminApi(c);
  const namespaces = await admin.listNamespaces();
  // Member counts are one call each: fine for the few namespaces a Hub has; a failure shows as unknown.
  const counts = await Promise.all(namespaces.map((ns) => admin.listMembers(ns.name).then((m) => m.length, () => undefined)));
  return c.render(
    <AdminFrame title="Namespaces" current="namespaces" notice={noticeOf(c)} error={state.error}>
      {namespaces.length === 0 ? (
        <p class="muted">No namespaces yet.</p>
      ) : (
        <ScrollTable label="Namespaces">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Visibility</th>
                <th scope="col">Immutable tags</th>
                <th scope="col">Who may delete</th>
                <th scope="col" class="num">
                  Members
                </th>
              </tr>
            </thead>
            <tbody>
              {namespaces.map((ns, i) => (
                <tr>
                  <th scope="row">
                    <a href={ui(adminPath(BASE, ns.name))}>{ns.name}</a>
                  </th>
                  <td>{ns.visibility}</td>
                  <td>
                    <YesNo value={ns.immutableTags} />
                  </td>
                  <td>{DELETE_POLICY_LABELS[ns.deletePolicy] ?? ns.deletePolicy}</td>
                  <td class="num">{counts[i] ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <h2>Create a namespace</h2>
      <form method="post" action={ui(BASE)} class="stack">
        <CsrfField />
        <label for="new-namespace-name">Name</label>
        <input id="new-namespace-name" name="name" required autocomplete="off" value={state.name ?? ''} />
        <SettingsFields prefix="new-namespace" />
        <button type="submit" class="primary">
          Create namespace
        </button>
      </form>
    </AdminFrame>,
    { title: 'Namespaces', section: 'admin' },
  );
}

const MemberRow: FC<{ namespace: string; member: Member; index: number }> = ({ namespace, member, index }) => (
  <tr>
    <th scope="row">{member.name}</th>
    <td>{member.kind}</td>
    <td>
      <form method="post" action={ui(adminPath(BASE, namespace, 'members'))} class="inline">
        <CsrfField />
        <input type="hidden" name="account" value={member.name} />
        <label for={`role-${index}`} class="inline-label">
          Role of {member.name}
        </label>
        <select id={`role-${index}`} name="role">
          {ROLES.map((r) => (
            <option value={r} selected={member.role === r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit">Change role</button>
      </form>
    </td>
    <td>
      <a class="button danger" href={ui(adminPath(BASE, namespace, 'members', encodeURIComponent(member.name), 'remove'))}>
        Remove {member.name}…
      </a>
    </td>
  </tr>
);

async function namespacePage(c: Context<WebEnv>, state: { error?: string } = {}): Promise<Response> {
  const admin = adminApi(c);
  const name = c.req.param('namespace') ?? '';
  const [namespace, members] = await Promise.all([admin.getNamespace(name), admin.listMembers(name)]);
  const title = `Namespace ${namespace.name}`;
  return c.render(
    <AdminFrame title={title} current="namespaces" notice={noticeOf(c)} error={state.error}>
      <p>
        <a href={ui(BASE)}>All namespaces</a>
      </p>
      <h2>Members</h2>
      {members.length === 0 ? (
        <p class="muted">No members: only administrators manage it.</p>
      ) : (
        <ScrollTable label={`Members of ${namespace.name}`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col">Kind</th>
                <th scope="col">Role</th>
                <th scope="col">Remove</th>
              </tr>
            </thead>
            <tbody>
              {members.map((member, index) => (
                <MemberRow namespace={namespace.name} member={member} index={index} />
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <h2>Add a member</h2>
      <form method="post" action={ui(adminPath(BASE, namespace.name, 'members'))} class="stack">
        <CsrfField />
        <label for="member-account">Account (a user name, or robot$NAME)</label>
        <input id="member-account" name="account" required autocomplete="off" />
        <label for="member-role">Role</label>
        <select id="member-role" name="role">
          {ROLES.map((r) => (
            <option value={r} selected={r === 'developer'}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" class="primary">
          Add member
        </button>
      </form>
      <h2>Settings</h2>
      <form method="post" action={ui(adminPath(BASE, namespace.name))} class="stack">
        <CsrfField />
        <SettingsFields prefix="edit-namespace" namespace={namespace} />
        <button type="submit">Save settings</button>
      </form>
      <h2>Delete</h2>
      <p>A namespace can be deleted once it holds no repositories.</p>
      <a class="button danger" href={ui(adminPath(BASE, namespace.name, 'delete'))}>
        Delete {namespace.name}…
      </a>
    </AdminFrame>,
    { title, section: 'admin' },
  );
}

/** A confirmation page for a destructive POST. */
const Confirm: FC<{ text: string; action: string; button: string; cancel: string }> = ({ text, action, button, cancel }) => (
  <>
    <p>{text}</p>
    <form method="post" action={action} class="inline">
      <CsrfField />
      <button type="submit" class="danger">
        {button}
      </button>
      <a href={cancel}>Cancel</a>
    </form>
  </>
);

export function namespaceRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get(BASE, (c) => namespacesPage(c));

  app.post(BASE, async (c) => {
    const admin = adminApi(c);
    const form = await readForm(c);
    const name = form.text('name');
    try {
      await admin.createNamespace({ name, ...settingsOf(form) });
    } catch (err) {
      if (!formMistake(err)) throw err;
      c.status(400);
      return namespacesPage(c, { error: err.message, name });
    }
    return c.redirect(withNotice(adminPath(BASE, name), 'namespace-created', name), 303);
  });

  app.get(`${BASE}/:namespace`, (c) => namespacePage(c));

  app.post(`${BASE}/:namespace`, async (c) => {
    const admin = adminApi(c);
    const name = c.req.param('namespace');
    try {
      await admin.updateNamespace(name, settingsOf(await readForm(c)));
    } catch (err) {
      if (!formMistake(err)) throw err;
      c.status(400);
      return namespacePage(c, { error: err.message });
    }
    return c.redirect(withNotice(adminPath(BASE, name), 'namespace-updated', name), 303);
  });

  app.post(`${BASE}/:namespace/members`, async (c) => {
    const admin = adminApi(c);
    const name = c.req.param('namespace');
    const form = await readForm(c);
    const account = form.text('account');
    try {
      await admin.setMember(name, account, form.text('role') as Role);
    } catch (err) {
      if (!formMistake(err) && !(err instanceof OciError && err.status === 404)) throw err;
      c.status(400);
      return namespacePage(c, { error: `${account}: ${err.message}` });
    }
    return c.redirect(withNotice(adminPath(BASE, name), 'member-set', account), 303);
  });

  app.get(`${BASE}/:namespace/members/:account/remove`, async (c) => {
    adminApi(c);
    const name = c.req.param('namespace');
    const account = c.req.param('account');
    const title = `Remove ${account} from ${name}`;
    return c.render(
      <AdminFrame title={title} current="namespaces">
        <Confirm
          text={`${account} will lose its role in ${name} and what it gives.`}
          action={ui(adminPath(BASE, name, 'members', encodeURIComponent(account), 'remove'))}
          button={`Remove ${account}`}
          cancel={ui(adminPath(BASE, name))}
        />
      </AdminFrame>,
      { title, section: 'admin' },
    );
  });

  app.post(`${BASE}/:namespace/members/:account/remove`, async (c) => {
    const name = c.req.param('namespace');
    const account = c.req.param('account');
    await adminApi(c).removeMember(name, account);
    return c.redirect(withNotice(adminPath(BASE, name), 'member-removed', account), 303);
  });

  app.get(`${BASE}/:namespace/delete`, async (c) => {
    const namespace = await adminApi(c).getNamespace(c.req.param('namespace'));
    const title = `Delete namespace ${namespace.name}`;
    return c.render(
      <AdminFrame title={title} current="namespaces">
        <Confirm
          text={`Deleting ${namespace.name} removes it with its settings and members. It must hold no repositories.`}
          action={ui(adminPath(BASE, namespace.name, 'delete'))}
          button={`Delete ${namespace.name}`}
          cancel={ui(adminPath(BASE, namespace.name))}
        />
      </AdminFrame>,
      { title, section: 'admin' },
    );
  });

  app.post(`${BASE}/:namespace/delete`, async (c) => {
    const admin = adminApi(c);
    const name = c.req.param('namespace');
    try {
      await admin.deleteNamespace(name);
    } catch (err) {
      if (!formMistake(err)) throw err;
      c.status(409);
      return namespacePage(c, { error: err.message });
    }
    return c.redirect(withNotice(BASE, 'namespace-deleted', name), 303);
  });

  return app;
}
