/**
 * Small pieces the catalog pages share. Everything rendered through JSX is escaped by hono/jsx;
 * nothing here writes raw HTML.
 */
import type { Child, FC } from 'hono/jsx';
import { useRequestContext } from 'hono/jsx-renderer';
import type { WebEnv } from './env.ts';
import { formatAge, formatTime, shortDigest } from './format.ts';
import { CSRF_FIELD } from './security.ts';

/** The hidden CSRF field every form of the catalog carries. */
export const CsrfField: FC = () => {
  const c = useRequestContext<WebEnv>();
  return <input type="hidden" name={CSRF_FIELD} value={c.var.csrf} />;
};

/** A button that copies `text` (enhanced by catalog.js; without scripts the text is still selectable beside it). */
export const CopyButton: FC<{ text: string; label?: string }> = ({ text, label }) => (
  <button type="button" class="copy" data-copy={text} title="Copy">
    {/* catalog.js swaps this text for "Copied"; the hidden words say what is copied. */}
    <span class="copy-state">Copy</span>
    <span class="visually-hidden"> {label ?? text}</span>
  </button>
);

/** A digest, shortened, with the whole one in a tooltip and a copy button. */
export const Digest: FC<{ digest: string; copy?: boolean }> = ({ digest, copy = true }) => (
  <span class="digest">
    <code title={digest}>{shortDigest(digest)}</code>
    {copy ? <CopyButton text={digest} label="digest" /> : null}
  </span>
);

/** A time, in UTC with its age as the tooltip. */
export const Time: FC<{ at: string | Date | null | undefined }> = ({ at }) => {
  if (!at) return <span>—</span>;
  const iso = typeof at === 'string' ? at : at.toISOString();
  return (
    <time datetime={iso} title={formatTime(iso)}>
      {formatAge(iso)}
    </time>
  );
};

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Counts per severity as badges; zero counts are left out, none at all says so. */
export const SeverityBadges: FC<{ counts: Partial<Record<Severity, number>> | null | undefined; empty?: string }> = ({ counts, empty = 'none found' }) => {
  const present = SEVERITIES.filter((s) => (counts?.[s] ?? 0) > 0);
  if (!counts) return <span class="muted">not scanned</span>;
  if (present.length === 0) return <span class="badge ok">{empty}</span>;
  return (
    <span class="badges">
      {present.map((s) => (
        <span class={`badge sev-${s}`} title={`${counts[s]} ${s}`}>
          {counts[s]} {s}
        </span>
      ))}
    </span>
  );
};

/** Previous / next links for a paged list. */
export const Pager: FC<{ previous?: string; next?: string; summary?: string }> = ({ previous, next, summary }) => (
  <nav class="pager" aria-label="Pages">
    {previous ? (
      <a href={previous} rel="prev">
        ← Previous
      </a>
    ) : (
      <span class="muted">← Previous</span>
    )}
    {summary ? <span>{summary}</span> : null}
    {next ? (
      <a href={next} rel="next">
        Next →
      </a>
    ) : (
      <span class="muted">Next →</span>
    )}
  </nav>
);

/** A tab bar of links; the current one is marked for assistive technology too. */
export const Tabs: FC<{ tabs: { href: string; label: string; current: boolean }[] }> = ({ tabs }) => (
  <nav class="tabs" aria-label="Sections">
    {tabs.map((tab) => (
      <a href={tab.href} aria-current={tab.current ? 'page' : undefined}>
        {tab.label}
      </a>
    ))}
  </nav>
);

/** A notice: an error, a success, or something to know. */
export const Notice: FC<{ kind?: 'error' | 'ok' | 'info'; children?: Child }> = ({ kind = 'info', children }) => (
  <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

/** A shell command with a copy button. */
export const Command: FC<{ text: string; label?: string }> = ({ text, label }) => (
  <div class="command">
    <code>{text}</code>
    <CopyButton text={text} label={label ?? 'command'} />
  </div>
);

/**
 * A table that may scroll sideways on narrow screens: a named region that takes keyboard focus,
 * so that keyboard users can scroll it too.
 *
 * @example
 * <ScrollTable label="Tags"><table>…</table></ScrollTable>
 */
export const ScrollTable: FC<{ label: string; children?: Child }> = ({ label, children }) => (
  <div class="table-wrap" role="region" aria-label={label} tabindex={0}>
    {children}
  </div>
);
