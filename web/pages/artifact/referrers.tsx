/**
 * The Referrers tab: the artifacts whose subject is this manifest (signatures, attestations,
 * SBOMs, build logs), and `?view=DIGEST` to look inside one: its manifest and its small layers.
 * Layers are read only up to a bound, and shown as text, never interpreted.
 */
import type { FC } from 'hono/jsx';
import { Digest, Notice, ScrollTable, Time } from '../../components.tsx';
import { formatBytes, shortDigest } from '../../format.ts';
import { artifactUrl } from '../../paths.ts';
import type { HubClient } from '../../../hub/client/client.ts';
import { fetchManifest } from '../../../hub/client/pull.ts';
import { listReferrers, type Referrer } from '../../../hub/client/referrers.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import type { Descriptor } from '../../../hub/oci/manifest.ts';
import { kindOf, layersOf, prettyJson, readBlob } from './load.ts';
import { platformOf } from '../../../hub/oci/platform.ts';
import type { ArtifactView, TabRenderer } from './types.ts';

/** The largest referrer layer shown inline. */
export const MAX_INLINE_LAYER_BYTES = 256 * 1024;

const CREATED = 'org.opencontainers.image.created';

/** Artifact types by what people call them. */
const FRIENDLY: Record<string, string> = {
  'application/vnd.dev.cosign.artifact.sig.v1+json': 'signature',
  'application/vnd.dev.cosign.simplesigning.v1+json': 'signature',
  'application/vnd.cyclonedx+json': 'CycloneDX SBOM',
  'application/spdx+json': 'SPDX SBOM',
  'application/vnd.nocker.build.log.v1': 'build log',
  'application/vnd.in-toto+json': 'attestation',
};

/**
 * What a referrer is, in a word or two: a Sigstore bundle is a signature, or an attestation when
 * it names a predicate type.
 *
 * @example
 * friendlyType({ mediaType: '…', digest: '…', size: 1, artifactType: 'application/spdx+json' }); // 'SPDX SBOM'
 */
export function friendlyType(referrer: Pick<Referrer, 'artifactType' | 'annotations'>): string {
  const type = referrer.artifactType ?? '';
  if (type.startsWith('application/vnd.dev.sigstore.bundle')) return referrer.annotations?.['dev.sigstore.bundle.predicateType'] ? 'attestation' : 'signature';
  return FRIENDLY[type] ?? 'other';
}

function isJsonType(mediaType: string): boolean {
  const base = mediaType.split(';')[0]?.trim().toLowerCase() ?? '';
  return base === 'application/json' || base.endsWith('+json');
}

/** One layer of a viewed referrer: JSON indented, text as text, anything else described. */
const LayerContent: FC<{ layer: Descriptor; bytes: Uint8Array | undefined }> = ({ layer, bytes }) => {
  const described = (
    <p class="muted">
      {formatBytes(layer.size)} of <code>{layer.mediaType}</code>
      {bytes === undefined && layer.size > MAX_INLINE_LAYER_BYTES ? ', too large to show here' : ''}.
    </p>
  );
  if (!bytes) return described;
  const text = new TextDecoder().decode(bytes);
  if (isJsonType(layer.mediaType)) {
    const pretty = prettyJson(text);
    return pretty === undefined ? described : <pre>{pretty}</pre>;
  }
  if (layer.mediaType.toLowerCase().startsWith('text/')) return <pre>{text}</pre>;
  return described;
};

/** Reads a layer inline only when it is small and of a kind the page shows. */
async function inlineBytes(hub: HubClient, name: string, layer: Descriptor): Promise<Uint8Array | undefined> {
  const shown = isJsonType(layer.mediaType) || layer.mediaType.toLowerCase().startsWith('text/');
  return shown ? readBlob(hub, name, layer, MAX_INLINE_LAYER_BYTES) : undefined;
}

async function ReferrerView(props: { hub: HubClient; artifact: ArtifactView; referrer: Referrer }) {
  const { hub, artifact, referrer } = props;
  const fetched = await fetchManifest(hub, artifact.name, referrer.digest);
  const manifest = JSON.parse(new TextDecoder().decode(fetched.bytes)) as Record<string, unknown>;
  const layers = kindOf(manifest) === 'index' ? [] : layersOf(manifest);
  const contents = await Promise.all(layers.map((layer) => inlineBytes(hub, artifact.name, layer)));
  return (
    <section aria-labelledby="referrer-view">
      <h2 id="referrer-view">
        {friendlyType(referrer)} <Digest digest={referrer.digest} />
      </h2>
      <p>
        <a href={artifactUrl(artifact.name, referrer.digest)}>Open this referrer as an artifact</a>
      </p>
      <h3>Manifest</h3>
      <pre>{JSON.stringify(manifest, null, 2)}</pre>
      {layers.map((layer, i) => (
        <>
          <h3>
            Layer {i + 1}: {layer.annotations?.['org.opencontainers.image.title'] ?? layer.mediaType}
          </h3>
          <LayerContent layer={layer} bytes={contents[i]} />
        </>
      ))}
    </section>
  );
}

export const renderReferrersTab: TabRenderer = async (c, artifact) => {
  const hub = c.var.hub;
  const referrers = await listReferrers(hub, artifact.name, artifact.digest);
  const platform = artifact.selected?.platform;
  const viewing = c.req.query('view');
  const viewed = viewing ? referrers.find((r) => r.digest === viewing) : undefined;
  if (viewing && !viewed) throw new OciError('MANIFEST_UNKNOWN', `${viewing} is not a referrer of ${artifact.name}@${artifact.digest}`);
  const children = Array.isArray(artifact.manifest.manifests) ? (artifact.manifest.manifests as unknown[]) : [];
  return (
    <>
      <h2>Referrers</h2>
      {children.length > 0 ? (
        <Notice>
          These refer to the index itself. Each image of the index has its own referrers:{' '}
          {children.map((child, i) => {
            const entry = child as { digest?: unknown; platform?: unknown };
            if (typeof entry.digest !== 'string') return null;
            return (
              <>
                {i > 0 ? ', ' : ''}
                <a href={artifactUrl(artifact.name, entry.digest, 'referrers')}>{platformOf(entry.platform) ?? entry.digest}</a>
              </>
            );
          })}
          .
        </Notice>
      ) : null}
      {referrers.length === 0 ? (
        <p class="muted">Nothing refers to this manifest.</p>
      ) : (
        <ScrollTable label="Referrers">
          <table>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Artifact type</th>
                <th scope="col">Digest</th>
                <th scope="col" class="num">
                  Size
                </th>
                <th scope="col">Created</th>
                <th scope="col">Contents</th>
              </tr>
            </thead>
            <tbody>
              {referrers.map((r) => (
                <tr>
                  <td>{friendlyType(r)}</td>
                  <td>
                    <code>{r.artifactType ?? '—'}</code>
                  </td>
                  <td>
                    <Digest digest={r.digest} />
                  </td>
                  <td class="num">{formatBytes(r.size)}</td>
                  <td>{r.annotations?.[CREATED] ? <Time at={r.annotations[CREATED]} /> : <span class="muted">—</span>}</td>
                  <td>
                    <a href={artifactUrl(artifact.name, artifact.reference, 'referrers', { platform, view: r.digest })} aria-label={`View ${friendlyType(r)} ${shortDigest(r.digest)}`}>
                      View
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      {viewed ? await ReferrerView({ hub, artifact, referrer: viewed }) : null}
    </>
  );
};
