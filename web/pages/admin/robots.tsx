/**
 * `/admin/robots`: robot accounts — the list (expired ones marked), creation with permissions
 * and an optional expiry (the answer is the only place its secret is ever shown), and revoking
 * one after a confirmation page.
 */
import { Hono, type Context } from 'hono';
import type { FC } from 'hono/jsx';
import { CopyButton, CsrfField, Notice, ScrollTable, Time } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { formatTime } from '../../format.ts';
import { ui } from '../../paths.ts';
import type { NewRobot, Permission, Robot } from '../../../hub/client/admin.ts';
import { AdminFrame, adminApi, adminPath, formMistake, noticeOf, readForm, withNotice, type FormFields } from './shared.tsx';

const BASE = '/admin/robots';
/** Permission rows the creation form offers (rows left empty are ignored). */
export const PERMISSION_ROWS = 3;
const ACTIONS = ['pull', 'push', 'delete'] as const;

/**
 * Whether a robot's expiry has passed (it can no longer log in).
 *
 * @example
 * isExpired({ expiresAt: '2020-01-01T00:00:00Z' }); // true
 * isExpired({ expiresAt: null }); // false
 */
export function isExpired(robot: Pick<Robot, 'expiresAt'>, now = Date.now()): boolean {
  return robot.expiresAt !== null && Date.parse(robot.expiresAt) <= now;
}

const Permissions: FC<{ permissions: Permission[] }> = ({ permissions }) => (
  <ul class="plain">
    {permissions.map((p) => (
      <li>
        <code>{p.repository}</code>: {p.actions.join(', ')}
      </li>
    ))}
  </ul>
);

const RobotRow: FC<{ robot: Robot }> = ({ robot }) => {
  const expired = isExpired(robot);
  return (
    <tr>
      <th scope="row">
        <code>{robot.name}</code>
        {robot.description ? <div class="muted">{robot.description}</div> : null}
      </th>
      <td>
        <Permissions permissions={robot.permissions} />
      </td>
      <td>{robot.createdBy}</td>
      <td>{robot.expiresAt ? <span title={formatTime(robot.expiresAt)}>{formatTime(robot.expiresAt)}</span> : <span class="muted">never</span>}</td>
      <td>{expired ? <span class="badge bad">expired</span> : robot.disabled ? <span class="badge warn">disabled</span> : <span class="badge ok">active</span>}</td>
      <td>
        <a class="button danger" href={ui(adminPath(BASE, robot.name, 'delete'))}>
          Revoke {robot.name}…
        </a>
      </td>
    </tr>
  );
};

/** What the creation form sent, kept to show the form again when the Hub refuses it. */
interface RobotDraft {
  name: string;
  description: string;
  expires: string;
  rows: { repository: string; actions: string[] }[];
}

const emptyDraft = (): RobotDraft => ({ name: '', description: '', expires: '', rows: [] });

const CreateRobot: FC<{ draft: RobotDraft }> = ({ draft }) => (
  <form method="post" action={ui(BASE)} class="stack">
    <CsrfField />
    <label for="robot-name">Name (the account is robot$NAME)</label>
    <input id="robot-name" name="name" required autocomplete="off" value={draft.name} />
    <label for="robot-description">Description</label>
    <input id="robot-description" name="description" autocomplete="off" value={draft.description} />
    {Array.from({ length: PERMISSION_ROWS }, (_, i) => {
      const row = draft.rows[i];
      return (
        <fieldset>
          <legend>Permission {i + 1}</legend>
          <label for={`robot-repository-${i}`}>Repository, prefix/* or *</label>
          <input id={`robot-repository-${i}`} name={`repository${i}`} autocomplete="off" value={row?.repository ?? ''} required={i === 0} />
          <div class="checks">
            {ACTIONS.map((action) => (
              <label for={`robot-${action}-${i}`} class="check">
                <input id={`robot-${action}-${i}`} type="checkbox" name={`${action}${i}`} value="true" checked={row ? row.actions.includes(action) : action === 'pull'} /> {action}
              </label>
            ))}
          </div>
        </fieldset>
      );
    })}
    <label for="robot-expires">Expires at the end of (UTC; empty: never)</label>
    <input id="robot-expires" type="date" name="expires" value={draft.expires} />
    <button type="submit" class="primary">
      Create robot
    </button>
  </form>
);

async function robotsPage(c: Context<WebEnv>, state: { error?: string; draft?: RobotDraft } = {}): Promise<Response> {
  const robots = await adminApi(c).listRobots();
  return c.render(
    <AdminFrame title="Robot accounts" current="robots" notice={noticeOf(c)} error={state.error}>
      {robots.length === 0 ? (
        <p class="muted">No robot accounts yet.</p>
      ) : (
        <ScrollTable label="Robot accounts">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Permissions</th>
                <th scope="col">Created by</th>
                <th scope="col">Expires</th>
                <th scope="col">State</th>
                <th scope="col">Revoke</th>
              </tr>
            </thead>
            <tbody>
              {robots.map((robot) => (
                <RobotRow robot={robot} />
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <h2>Create a robot</h2>
      <CreateRobot draft={state.draft ?? emptyDraft()} />
    </AdminFrame>,
    { title: 'Robot accounts', section: 'admin' },
  );
}

function draftOf(form: FormFields): RobotDraft {
  const rows = Array.from({ length: PERMISSION_ROWS }, (_, i) => ({ repository: form.text(`repository${i}`), actions: ACTIONS.filter((a) => form.checked(`${a}${i}`)) }));
  return { name: form.text('name'), description: form.text('description'), expires: form.text('expires'), rows };
}

/** The API request for a draft; a date means the end of that day in UTC. */
function newRobotOf(draft: RobotDraft): NewRobot {
  const permissions = draft.rows.filter((r) => r.repository !== '').map((r) => ({ repository: r.repository, actions: r.actions }));
  const robot: NewRobot = { name: draft.name, permissions };
  if (draft.description !== '') robot.description = draft.description;
  if (draft.expires !== '') robot.expiresAt = /^\d{4}-\d{2}-\d{2}$/.test(draft.expires) ? `${draft.expires}T23:59:59.999Z` : draft.expires;
  return robot;
}

export function robotRoutes(): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  app.get(BASE, (c) => robotsPage(c));

  // The secret is in this answer only: rendered here, never redirected with, never kept.
  app.post(BASE, async (c) => {
    const admin = adminApi(c);
    const draft = draftOf(await readForm(c));
    let created: Robot & { secret: string };
    try {
      created = await admin.createRobot(newRobotOf(draft));
    } catch (err) {
      if (!formMistake(err)) throw err;
      c.status(400);
      return robotsPage(c, { error: err.message, draft });
    }
    c.status(201);
    return c.render(
      <AdminFrame title={`Robot ${created.name} created`} current="robots">
        <Notice kind="info">Copy the secret now: it will not be shown again. If it is lost, revoke the robot and create another.</Notice>
        <dl class="facts">
          <dt>Account</dt>
          <dd>
            <code>{created.name}</code> <CopyButton text={created.name} label="account name" />
          </dd>
          <dt>Secret</dt>
          <dd>
            <code class="secret">{created.secret}</code> <CopyButton text={created.secret} label="secret" />
          </dd>
          <dt>Permissions</dt>
          <dd>
            <Permissions permissions={created.permissions} />
          </dd>
          <dt>Expires</dt>
          <dd>{created.expiresAt ? <Time at={created.expiresAt} /> : 'never'}</dd>
        </dl>
        <p>
          <a href={ui(BASE)}>Back to the robot accounts</a>
        </p>
      </AdminFrame>,
      { title: `Robot ${created.name} created`, section: 'admin' },
    );
  });

  app.get(`${BASE}/:name/delete`, async (c) => {
    adminApi(c);
    const name = c.req.param('name');
    const title = `Revoke ${name}`;
    return c.render(
      <AdminFrame title={title} current="robots">
        <p>
          Revoking <code>{name}</code> deletes the account: its secret stops working at once, and whatever uses it can no longer pull or push.
        </p>
        <form method="post" action={ui(adminPath(BASE, name, 'delete'))} class="inline">
          <CsrfField />
          <button type="submit" class="danger">
            Revoke {name}
          </button>
          <a href={ui(BASE)}>Cancel</a>
        </form>
      </AdminFrame>,
      { title, section: 'admin' },
    );
  });

  app.post(`${BASE}/:name/delete`, async (c) => {
    const name = c.req.param('name');
    await adminApi(c).deleteRobot(name);
    return c.redirect(withNotice(BASE, 'robot-revoked', name), 303);
  });

  return app;
}
