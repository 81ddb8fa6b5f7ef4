/**
 * What the governance pages share: the administration sub-navigation, the page frame with its
 * notices, reading form fields, and turning a refused form into the form again with the reason.
 */
import type { Context } from 'hono';
import type { Child, FC } from 'hono/jsx';
import { Notice, Tabs } from '../../components.tsx';
import type { WebEnv } from '../../env.ts';
import { ui } from '../../paths.ts';
import { requireAdmin } from '../error.tsx';
import { HubAdmin } from '../../../hub/client/admin.ts';
import { OciError } from '../../../hub/oci/errors.ts';

/** The administration pages, in the order of the sub-navigation. */
export const ADMIN_SECTIONS = [
  { key: 'health', path: '/admin', label: 'Health' },
  { key: 'users', path: '/admin/users', label: 'Users' },
  { key: 'namespaces', path: '/admin/namespaces', label: 'Namespaces' },
  { key: 'robots', path: '/admin/robots', label: 'Robots' },
  { key: 'vulndb', path: '/admin/vulndb', label: 'Vulnerability database' },
  { key: 'audit', path: '/admin/audit', label: 'Audit log' },
] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number]['key'];

/** A page of the administration: its heading, the sub-navigation, then a notice if any. */
export const AdminFrame: FC<{ title: string; current: AdminSection; notice?: string; error?: string; children?: Child }> = ({ title, current, notice, error, children }) => (
  <section>
    <h1>{title}</h1>
    <Tabs tabs={ADMIN_SECTIONS.map((s) => ({ href: ui(s.path), label: s.label, current: s.key === current }))} />
    {error ? <Notice kind="error">{error}</Notice> : null}
    {notice ? <Notice kind="ok">{notice}</Notice> : null}
    {children}
  </section>
);

/**
 * Checks that the viewer administers the Hub, and gives the management API acting as them.
 *
 * @example
 * const admin = adminApi(c);
 * const users = await admin.listUsers();
 */
export function adminApi(c: Context<WebEnv>): HubAdmin {
  requireAdmin(c);
  return new HubAdmin(c.var.hub);
}

/** The form of a POST, with text fields trimmed or not as asked. */
export interface FormFields {
  text(name: string): string;
  /** Exactly as sent (passwords, descriptions). */
  raw(name: string): string;
  checked(name: string): boolean;
}

/**
 * @example
 * const form = await readForm(c);
 * const name = form.text('name');
 */
export async function readForm(c: Context<WebEnv>): Promise<FormFields> {
  const body = await c.req.parseBody();
  const raw = (name: string) => {
    const value = body[name];
    return typeof value === 'string' ? value : '';
  };
  return { raw, text: (name) => raw(name).trim(), checked: (name) => raw(name) !== '' };
}

/**
 * Whether a failed API call is the person's to fix (a bad name, a clash): the form is shown
 * again with the reason. Anything else (refusals, server faults) becomes the error page.
 *
 * @example
 * catch (err) { if (formMistake(err)) return showForm(err.message); throw err; }
 */
export function formMistake(err: unknown): err is OciError {
  return err instanceof OciError && (err.status === 400 || err.status === 409 || err.status === 415);
}

/**
 * Notices a page shows after a successful POST redirected to it: the query names one of these
 * (fixed texts, so a link cannot make the page say anything else) and the subject it is about.
 */
const NOTICES: Record<string, (subject: string) => string> = {
  'user-created': (s) => `User ${s} created.`,
  'user-updated': (s) => `User ${s} updated.`,
  'user-deleted': (s) => `User ${s} deleted.`,
  'password-reset': (s) => `The password of ${s} was changed.`,
  'namespace-created': (s) => `Namespace ${s} created.`,
  'namespace-updated': (s) => `The settings of ${s} were saved.`,
  'namespace-deleted': (s) => `Namespace ${s} deleted.`,
  'member-set': (s) => `${s} is a member now, with the role shown.`,
  'member-removed': (s) => `${s} is no longer a member.`,
  'robot-revoked': (s) => `Robot ${s} revoked: its secret no longer works.`,
};
export type NoticeKey = keyof typeof NOTICES;

/**
 * The URL to redirect to after a POST, carrying a notice.
 *
 * @example
 * c.redirect(withNotice('/admin/users', 'user-created', 'ann'), 303); // '/ui/admin/users?done=user-created&subject=ann'
 */
export function withNotice(path: string, key: NoticeKey, subject: string): string {
  return ui(path, { done: key, subject });
}

/** The notice the query of this request asks for, if it is one of ours. */
export function noticeOf(c: Context<WebEnv>): string | undefined {
  const key = c.req.query('done');
  const make = key && Object.hasOwn(NOTICES, key) ? NOTICES[key] : undefined;
  return make?.(c.req.query('subject') ?? '');
}

/**
 * The catalog path of one item below an administration page (names are encoded).
 *
 * @example
 * adminPath('/admin/users', 'ann', 'delete'); // '/admin/users/ann/delete'
 */
export function adminPath(base: string, name: string, ...rest: string[]): string {
  return [base, encodeURIComponent(name), ...rest].join('/');
}

/** A yes/no with words, not only a colour. */
export const YesNo: FC<{ value: boolean; yes?: string; no?: string; bad?: boolean }> = ({ value, yes = 'yes', no = 'no', bad = false }) =>
  value ? <span class={`badge ${bad ? 'bad' : 'ok'}`}>{yes}</span> : <span class="muted">{no}</span>;
