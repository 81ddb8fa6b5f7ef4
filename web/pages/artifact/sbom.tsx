/**
 * The SBOM tab: the components of the image's CycloneDX SBOM (the one the Hub made when it
 * scanned the image, else one attached by its builder), and both formats to download as the
 * documents they are.
 */
import type { Context } from 'hono';
import type { WebEnv } from '../../env.ts';
import { Notice, ScrollTable } from '../../components.tsx';
import { formatBytes } from '../../format.ts';
import { artifactUrl } from '../../paths.ts';
import { fetchSbom } from '../../../hub/client/sbom.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { SBOM_FORMATS, type SbomFormat } from '../../../hub/scanning/sbom/media-types.ts';
import { downloadName } from './load.ts';
import type { ArtifactView, TabRenderer } from './types.ts';

/** One component as the table shows it. */
interface Component {
  name: string;
  version: string;
  type: string;
  purl: string;
}

const str = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The components of a CycloneDX document, flattened (nested `components` included), as text.
 *
 * @example
 * cyclonedxComponents({ components: [{ name: 'openssl', version: '3.1.4', type: 'library' }] });
 */
export function cyclonedxComponents(document: unknown): Component[] {
  const found: Component[] = [];
  const walk = (list: unknown, depth: number) => {
    if (!Array.isArray(list) || depth > 8) return;
    for (const item of list) {
      if (item === null || typeof item !== 'object') continue;
      const c = item as Record<string, unknown>;
      found.push({ name: str(c.name), version: str(c.version), type: str(c.type), purl: str(c.purl) });
      walk(c.components, depth + 1);
    }
  };
  if (document !== null && typeof document === 'object') walk((document as Record<string, unknown>).components, 0);
  return found;
}

const FORMAT_LABELS: Record<SbomFormat, string> = { cyclonedx: 'CycloneDX', spdx: 'SPDX' };
const FILE_SUFFIX: Record<SbomFormat, string> = { cyclonedx: 'cdx.json', spdx: 'spdx.json' };

export const renderSbomTab: TabRenderer = async (c, artifact) => {
  const sbom = await fetchSbom(c.var.hub, artifact.name, artifact.imageDigest, 'cyclonedx');
  const platform = artifact.selected?.platform;
  const downloads = (
    <p>
      Download:{' '}
      {(['cyclonedx', 'spdx'] as const).map((format, i) => (
        <>
          {i > 0 ? ' · ' : ''}
          <a href={artifactUrl(artifact.name, artifact.reference, 'sbom', { platform, download: format })}>{FORMAT_LABELS[format]} (JSON)</a>
        </>
      ))}
    </p>
  );
  if (!sbom) {
    return (
      <>
        <h2>SBOM</h2>
        <Notice>This image has no SBOM yet. The Hub attaches one when it has scanned the image: the scan may still be pending.</Notice>
      </>
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(new TextDecoder().decode(sbom.document));
  } catch {
    document = undefined;
  }
  const components = cyclonedxComponents(document);
  return (
    <>
      <h2>SBOM</h2>
      <p>
        CycloneDX document of {formatBytes(sbom.document.length)}, {components.length} {components.length === 1 ? 'component' : 'components'}.
      </p>
      {downloads}
      {document === undefined ? <Notice kind="error">The SBOM is not valid JSON; download it to inspect it.</Notice> : null}
      <form class="filters" role="search" method="get" action={artifactUrl(artifact.name, artifact.reference, 'sbom', { platform })}>
        <div>
          <label for="sbom-filter">Filter components</label>
          <input id="sbom-filter" type="search" data-filter-table="sbom-components" autocomplete="off" />
        </div>
      </form>
      <ScrollTable label="SBOM components">
        <table id="sbom-components">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Type</th>
              <th scope="col">Package URL</th>
            </tr>
          </thead>
          <tbody>
            {components.map((component) => (
              <tr>
                <td>{component.name}</td>
                <td>
                  <code>{component.version}</code>
                </td>
                <td>{component.type}</td>
                <td>
                  <code>{component.purl}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollTable>
    </>
  );
};

/**
 * `?download=cyclonedx|spdx`: the image's SBOM document in that format, as an attachment.
 *
 * @example
 * const res = await downloadSbom(c, artifact); // undefined without ?download
 */
export async function downloadSbom(c: Context<WebEnv>, artifact: ArtifactView): Promise<Response | undefined> {
  const format = c.req.query('download');
  if (!format) return undefined;
  if (format !== 'cyclonedx' && format !== 'spdx') throw new OciError('REQUEST_INVALID', `there is no SBOM format "${format}": choose cyclonedx or spdx`);
  const sbom = await fetchSbom(c.var.hub, artifact.name, artifact.imageDigest, format);
  if (!sbom) throw new OciError('MANIFEST_UNKNOWN', `${artifact.name}@${artifact.imageDigest} has no ${FORMAT_LABELS[format]} SBOM yet; the scan may still be pending`);
  c.header('Content-Type', SBOM_FORMATS[format].artifactType);
  c.header('Content-Disposition', `attachment; filename="${downloadName(artifact.name, artifact.imageDigest, FILE_SUFFIX[format])}"`);
  c.header('X-Content-Type-Options', 'nosniff');
  return c.body(new Uint8Array(sbom.document));
}
