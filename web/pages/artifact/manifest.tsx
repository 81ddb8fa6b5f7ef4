/** The Manifest tab: the manifest as the Hub serves it, indented, and its exact bytes to download. */
import type { Context } from 'hono';
import type { WebEnv } from '../../env.ts';
import { formatBytes } from '../../format.ts';
import { artifactUrl } from '../../paths.ts';
import { downloadName, manifestBytes } from './load.ts';
import type { ArtifactView, TabRenderer } from './types.ts';

export const renderManifestTab: TabRenderer = async (_c, artifact) => {
  const size = manifestBytes(artifact).length;
  return (
    <>
      <h2>Manifest</h2>
      <dl class="facts">
        <dt>Media type</dt>
        <dd>
          <code>{artifact.mediaType}</code>
        </dd>
        <dt>Size</dt>
        <dd>
          {formatBytes(size)} ({size} bytes)
        </dd>
      </dl>
      <p>
        <a href={artifactUrl(artifact.name, artifact.reference, 'manifest', { download: 1 })} download>
          Download the manifest as served
        </a>
      </p>
      <pre>{JSON.stringify(artifact.manifest, null, 2)}</pre>
    </>
  );
};

/**
 * `?download=1`: the manifest's exact bytes (their digest is the artifact's), as an attachment.
 *
 * @example
 * const res = await downloadManifest(c, artifact); // undefined without ?download
 */
export async function downloadManifest(c: Context<WebEnv>, artifact: ArtifactView): Promise<Response | undefined> {
  if (!c.req.query('download')) return undefined;
  c.header('Content-Type', artifact.mediaType);
  c.header('Content-Disposition', `attachment; filename="${downloadName(artifact.name, artifact.digest, 'manifest.json')}"`);
  c.header('Docker-Content-Digest', artifact.digest);
  c.header('X-Content-Type-Options', 'nosniff');
  return c.body(new Uint8Array(manifestBytes(artifact)));
}
