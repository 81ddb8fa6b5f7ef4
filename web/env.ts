/** The Hono environment of every catalog route, and the props of `c.render`. */
import type { HubClient } from '../hub/client/client.ts';
import type { CatalogHub } from './hub-client.ts';
import type { SessionEnv } from './session.ts';

/** The sections of the navigation bar; a page names the one it belongs to. */
export type NavSection = 'explore' | 'policies' | 'admin' | 'account';

export interface PageProps {
  title: string;
  section?: NavSection;
}

export interface WebEnv {
  Variables: SessionEnv['Variables'] & {
    /** The Hub's API, acting as the viewer. */
    hub: HubClient;
    /** The Hub the catalog is mounted in (its access control, for sign-in). */
    catalog: CatalogHub;
    /** This browser's CSRF token, for the page's forms. */
    csrf: string;
    secureHeadersNonce?: string;
  };
}

declare module 'hono' {
  interface ContextRenderer {
    (content: string | Promise<string>, props: PageProps): Response | Promise<Response>;
  }
}
