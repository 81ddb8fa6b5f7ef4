/** What every tab of the artifact page is given: the artifact, already fetched once by the page. */
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { WebEnv } from '../../env.ts';

export interface ArtifactView {
  /** The repository. */
  name: string;
  /** As in the URL: a tag or a digest. */
  reference: string;
  /** The digest of the manifest the reference names. */
  digest: string;
  mediaType: string;
  /** The manifest as JSON (untrusted content: render it escaped). */
  manifest: Record<string, unknown>;
  /** For an index: the platform chosen with `?platform=` (or the first image), else undefined. */
  selected?: { digest: string; platform: string };
  /** The image the image tabs (overview, layers, SBOM, vulnerabilities, dependencies) describe: the selected child of an index, or the manifest itself. */
  imageDigest: string;
}

/** Renders one tab's content (the page draws the header and the tab bar around it). */
export type TabRenderer = (c: Context<WebEnv>, artifact: ArtifactView) => Promise<Child>;
