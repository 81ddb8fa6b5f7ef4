/**
 * The Overview tab: what the image runs (from its config), its labels and annotations, and the
 * policies `nocker build` recorded in it. An artifact (a non-image config) is described by its
 * types and layers instead. Every value is the pusher's: it is rendered as text.
 */
import type { Child, FC } from 'hono/jsx';
import { Notice, ScrollTable, Time } from '../../components.tsx';
import { formatBytes } from '../../format.ts';
import { Digest } from '../../components.tsx';
import { artifactUrl, compareUrl } from '../../paths.ts';
import { annotationsOf, configOf, imageManifestOf, kindOf, layersOf, readImageConfig, stringList, stringMap, type ImageConfig } from './load.ts';
import type { ArtifactView, TabRenderer } from './types.ts';

/** The label and annotation names `nocker build` records. */
const POLICIES_LABEL = 'dev.nocker.policies';
const PORTS_LABEL = 'dev.nocker.ports';
const DEPENDENCIES_ANNOTATION = 'dev.nocker.dependencies';

/** How deep a recorded policy is drawn as nested lists before the rest is shown as JSON. */
const MAX_POLICY_DEPTH = 4;

/** A two-column table of names and values (labels, annotations, environment). */
const PairTable: FC<{ caption: string; entries: [string, string][]; names?: [string, string] }> = ({ caption, entries, names = ['Name', 'Value'] }) =>
  entries.length === 0 ? (
    <p class="muted">No {caption.toLowerCase()}.</p>
  ) : (
    <ScrollTable label={caption}>
      <table>
        <caption class="muted">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{names[0]}</th>
            <th scope="col">{names[1]}</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([key, value]) => (
            <tr>
              <td>
                <code>{key}</code>
              </td>
              <td>
                <code>{value}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </ScrollTable>
  );

/** A JSON value as nested definition lists (objects), lists of values, or code. */
const JsonFacts: FC<{ value: unknown; depth?: number }> = ({ value, depth = 0 }) => {
  if (value !== null && typeof value === 'object' && depth < MAX_POLICY_DEPTH) {
    if (Array.isArray(value)) {
      return (
        <ul>
          {value.map((item) => (
            <li>
              <JsonFacts value={item} depth={depth + 1} />
            </li>
          ))}
        </ul>
      );
    }
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return <span class="muted">none</span>;
    return (
      <dl class="facts">
        {entries.map(([key, item]) => (
          <>
            <dt>{key}</dt>
            <dd>
              <JsonFacts value={item} depth={depth + 1} />
            </dd>
          </>
        ))}
      </dl>
    );
  }
  return <code>{typeof value === 'string' ? value : JSON.stringify(value)}</code>;
};

/** A recorded JSON label or annotation: drawn when readable, else shown as the text it is. */
const RecordedJson: FC<{ title: string; text: string | undefined; what: string }> = ({ title, text, what }) => {
  if (text === undefined) return null;
  let parsed: unknown;
  let readable = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    readable = false;
  }
  return (
    <>
      <h3>{title}</h3>
      {readable ? (
        <JsonFacts value={parsed} />
      ) : (
        <>
          <Notice kind="error">The {what} is not valid JSON; shown as it is.</Notice>
          <pre>{text}</pre>
        </>
      )}
    </>
  );
};

const Fact: FC<{ term: string; children?: Child }> = ({ term, children }) => (
  <>
    <dt>{term}</dt>
    <dd>{children}</dd>
  </>
);

/** An argument list (Entrypoint, Cmd) in its JSON form: exact, and unambiguous about spaces. */
function argv(value: unknown): Child {
  const list = stringList(value);
  return list.length === 0 ? <span class="muted">—</span> : <code>{JSON.stringify(list)}</code>;
}

function text(value: unknown): Child {
  return typeof value === 'string' && value !== '' ? <code>{value}</code> : <span class="muted">—</span>;
}

/** `Env` entries split at their first `=`. */
function envEntries(config: ImageConfig): [string, string][] {
  return stringList(config.config?.Env).map((entry) => {
    const eq = entry.indexOf('=');
    return eq === -1 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
  });
}

const ImageOverview: FC<{ artifact: ArtifactView; manifest: Record<string, unknown>; config: ImageConfig }> = ({ artifact, manifest, config }) => {
  const runtime = config.config ?? {};
  const labels = stringMap(runtime.Labels);
  const annotations = annotationsOf(manifest);
  const ports = Object.keys(stringMapOfObjects(runtime.ExposedPorts));
  const platform = [config.os, config.architecture, config.variant].filter((p): p is string => typeof p === 'string' && p !== '').join('/');
  return (
    <>
      <h2>Runtime</h2>
      <dl class="facts">
        <Fact term="Created">{typeof config.created === 'string' ? <Time at={config.created} /> : <span class="muted">—</span>}</Fact>
        <Fact term="Platform">{platform === '' ? <span class="muted">—</span> : <code>{platform}</code>}</Fact>
        <Fact term="Entrypoint">{argv(runtime.Entrypoint)}</Fact>
        <Fact term="Command">{argv(runtime.Cmd)}</Fact>
        <Fact term="User">{text(runtime.User)}</Fact>
        <Fact term="Working directory">{text(runtime.WorkingDir)}</Fact>
        <Fact term="Exposed ports">{ports.length === 0 ? <span class="muted">none</span> : <code>{ports.join(', ')}</code>}</Fact>
      </dl>
      <h2>Environment</h2>
      <PairTable caption="Environment variables" entries={envEntries(config)} />
      <h2>Labels</h2>
      <PairTable caption="Labels" entries={Object.entries(labels)} />
      <h2>Annotations</h2>
      <PairTable caption="Annotations" entries={Object.entries(annotations)} />
      {artifact.imageDigest !== artifact.digest ? <PairTable caption="Index annotations" entries={Object.entries(annotationsOf(artifact.manifest))} /> : null}
      <h2>Recorded by nocker build</h2>
      {labels[POLICIES_LABEL] === undefined && labels[PORTS_LABEL] === undefined && annotations[DEPENDENCIES_ANNOTATION] === undefined ? (
        <p class="muted">This image carries no policies, ports or pinned dependencies recorded by nocker build.</p>
      ) : null}
      <RecordedJson title="Policies" text={labels[POLICIES_LABEL]} what={`${POLICIES_LABEL} label`} />
      <RecordedJson title="Published ports" text={labels[PORTS_LABEL]} what={`${PORTS_LABEL} label`} />
      <RecordedJson title="Pinned dependencies" text={annotations[DEPENDENCIES_ANNOTATION]} what={`${DEPENDENCIES_ANNOTATION} annotation`} />
      <p>
        <a href={compareUrl(artifact.name, artifact.imageDigest)}>Compare with the environments' policies</a>
      </p>
    </>
  );
};

/** Keys of an object whose values are objects (`ExposedPorts`: `{"80/tcp": {}}`). */
function stringMapOfObjects(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const ArtifactOverview: FC<{ artifact: ArtifactView; manifest: Record<string, unknown> }> = ({ artifact, manifest }) => {
  const config = configOf(manifest);
  const layers = layersOf(manifest);
  const artifactType = typeof manifest.artifactType === 'string' ? manifest.artifactType : undefined;
  return (
    <>
      <h2>Artifact</h2>
      <dl class="facts">
        <Fact term="Artifact type">{artifactType ? <code>{artifactType}</code> : <span class="muted">— (the config's media type stands for it)</span>}</Fact>
        <Fact term="Config media type">{config ? <code>{config.mediaType}</code> : <span class="muted">—</span>}</Fact>
      </dl>
      <h2>Layers</h2>
      {layers.length === 0 ? (
        <p class="muted">No layers.</p>
      ) : (
        <ul>
          {layers.map((layer) => (
            <li>
              <code>{layer.mediaType}</code>, {formatBytes(layer.size)} <Digest digest={layer.digest} />
              {layer.annotations?.['org.opencontainers.image.title'] ? <> — {layer.annotations['org.opencontainers.image.title']}</> : null}
            </li>
          ))}
        </ul>
      )}
      <h2>Annotations</h2>
      <PairTable caption="Annotations" entries={Object.entries(annotationsOf(manifest))} />
      <p>
        <a href={artifactUrl(artifact.name, artifact.reference, 'referrers')}>Referrers of this artifact</a>
      </p>
    </>
  );
};

/** An index without images for a platform: the manifests it lists. */
const IndexOverview: FC<{ manifest: Record<string, unknown> }> = ({ manifest }) => (
  <>
    <h2>Index</h2>
    <PairTable caption="Annotations" entries={Object.entries(annotationsOf(manifest))} />
    <pre>{JSON.stringify(manifest.manifests ?? [], null, 2)}</pre>
  </>
);

export const renderOverviewTab: TabRenderer = async (c, artifact) => {
  const manifest = await imageManifestOf(c, artifact);
  const kind = kindOf(manifest);
  if (kind === 'index') return <IndexOverview manifest={manifest} />;
  if (kind === 'artifact') return <ArtifactOverview artifact={artifact} manifest={manifest} />;
  const read = await readImageConfig(c.var.hub, artifact.name, manifest);
  if ('problem' in read) {
    return (
      <>
        <Notice kind="error">{read.problem}</Notice>
        <PairTable caption="Annotations" entries={Object.entries(annotationsOf(manifest))} />
      </>
    );
  }
  return <ImageOverview artifact={artifact} manifest={manifest} config={read.config} />;
};
