/**
 * The top of the artifact page, the same on every tab: what it is, how to pull it, who signed
 * it, and (for an index) which platform's image the image tabs describe.
 */
import type { FC } from 'hono/jsx';
import { Command, Digest, Notice, Time } from '../../components.tsx';
import { artifactUrl, pullReference, referenceName, type ArtifactTab } from '../../paths.ts';
import type { HubClient } from '../../../hub/client/client.ts';
import { fetchSignatureStatus, type SignatureStatus } from '../../../hub/client/referrers.ts';
import { OciError } from '../../../hub/oci/errors.ts';
import { kindOf, type PlatformChoice } from './load.ts';
import type { ArtifactView } from './types.ts';

/** The environment whose trust policy the chips are checked against. */
const SIGNATURE_ENVIRONMENT = 'production';

/** The signatures, or why they could not be read (the rest of the page still shows). */
export type SignatureRead = { status: SignatureStatus } | { problem: string };

/**
 * The manifest's signatures under the production trust policy; a refusal becomes a note.
 *
 * @example
 * const signatures = await readSignatures(c.var.hub, view);
 */
export async function readSignatures(hub: HubClient, view: ArtifactView): Promise<SignatureRead> {
  try {
    return { status: await fetchSignatureStatus(hub, view.name, view.digest, SIGNATURE_ENVIRONMENT) };
  } catch (err) {
    if (err instanceof OciError && err.status < 500) return { problem: err.message };
    throw err;
  }
}

const SignatureChips: FC<{ read: SignatureRead }> = ({ read }) => {
  if ('problem' in read) return <p class="muted">Signatures could not be checked: {read.problem}</p>;
  const { status } = read;
  const policy = status.policy;
  return (
    <div>
      <div class="chips" aria-label="Signatures">
        {status.signatures.length === 0 ? <span class="chip">unsigned</span> : null}
        {status.signatures.map((s) => (
          <span class={`chip ${s.status}`} title={s.reason ?? s.predicateType ?? s.artifact}>
            {s.status} {s.kind}
            {s.signer ? <> by {s.signer}</> : null}
            {s.created ? (
              <>
                {' '}
                · <Time at={s.created} />
              </>
            ) : null}
          </span>
        ))}
      </div>
      <p class="muted">
        {policy
          ? `${status.environment} policy: ${policy.mode}, requires ${policy.required} — ${status.valid ? 'met' : 'not met'}`
          : `${status.environment} policy: none`}
      </p>
    </div>
  );
};

/** The GET form that picks an index's image; it keeps the page on its tab. */
const PlatformSelector: FC<{ view: ArtifactView; tab: ArtifactTab; platforms: PlatformChoice[] }> = ({ view, tab, platforms }) => (
  <form method="get" action={artifactUrl(view.name, view.reference, tab)} class="filters">
    <div>
      <label for="platform">Platform</label>
      <select id="platform" name="platform">
        {platforms.map((p) => (
          <option value={p.platform} selected={p.digest === view.selected?.digest}>
            {p.platform}
          </option>
        ))}
      </select>
    </div>
    <button type="submit">Show</button>
  </form>
);

/**
 * The page header: title, digest, media type, kind, pull command, signatures, platform selector.
 *
 * @example
 * <ArtifactHeader view={view} host={c.var.hub.host} tab="overview" platforms={platforms} signatures={signatures} />
 */
export const ArtifactHeader: FC<{ view: ArtifactView; host: string; tab: ArtifactTab; platforms: PlatformChoice[]; signatures: SignatureRead }> = ({
  view,
  host,
  tab,
  platforms,
  signatures,
}) => {
  const kind = kindOf(view.manifest);
  const title = referenceName(view.name, view.reference);
  return (
    <header>
      <h1>{title}</h1>
      <dl class="facts">
        <dt>Digest</dt>
        <dd>
          <Digest digest={view.digest} />
        </dd>
        <dt>Media type</dt>
        <dd>
          <code>{view.mediaType}</code>
        </dd>
        <dt>Type</dt>
        <dd>{kind}</dd>
        {view.selected ? (
          <>
            <dt>Showing</dt>
            <dd>
              {view.selected.platform} <Digest digest={view.selected.digest} />
            </dd>
          </>
        ) : null}
      </dl>
      <Command text={`docker pull ${pullReference(host, view.name, view.reference)}`} label="pull command" />
      <SignatureChips read={signatures} />
      {kind === 'index' && platforms.length > 0 ? <PlatformSelector view={view} tab={tab} platforms={platforms} /> : null}
      {kind === 'index' && platforms.length === 0 ? <Notice>This index lists no image for a platform; the image tabs describe the index itself.</Notice> : null}
    </header>
  );
};
