/**
 * The Layers tab: each layer with its uncompressed digest and the step that made it. The
 * config's `history` has one entry per step; steps that added no layer (`empty_layer`) are shown
 * in their place, marked, and do not take a layer when history and layers are paired.
 */
import { Digest, Notice, ScrollTable } from '../../components.tsx';
import { formatBytes } from '../../format.ts';
import type { Descriptor } from '../../../hub/oci/manifest.ts';
import { imageManifestOf, kindOf, layersOf, readImageConfig, stringList } from './load.ts';
import type { TabRenderer } from './types.ts';

/** One step of the history as the page reads it. */
interface Step {
  createdBy?: string;
  comment?: string;
  empty: boolean;
}

/** One row: a layer (with its step, if the history names one), or a step that added no layer. */
type Row = { kind: 'layer'; index: number; layer: Descriptor; diffId?: string; step?: Step } | { kind: 'empty'; step: Step };

function readHistory(value: unknown): Step[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry: unknown) => {
    const e = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
    return {
      ...(typeof e.created_by === 'string' ? { createdBy: e.created_by } : {}),
      ...(typeof e.comment === 'string' ? { comment: e.comment } : {}),
      empty: e.empty_layer === true,
    };
  });
}

/**
 * Pairs layers with the history's non-empty steps in order, keeping empty steps where they are.
 *
 * @example
 * pairLayers([layerA], ['sha256:…'], [{ empty: true, createdBy: 'ENV A=1' }, { empty: false, createdBy: 'COPY . /' }]);
 */
export function pairLayers(layers: readonly Descriptor[], diffIds: readonly string[], history: readonly Step[]): Row[] {
  const rows: Row[] = [];
  let next = 0;
  for (const step of history) {
    if (step.empty) {
      rows.push({ kind: 'empty', step });
    } else if (next < layers.length) {
      rows.push({ kind: 'layer', index: next, layer: layers[next]!, ...(diffIds[next] ? { diffId: diffIds[next] } : {}), step });
      next++;
    }
  }
  // Layers the history does not name (images built without one) still get their row.
  for (; next < layers.length; next++) rows.push({ kind: 'layer', index: next, layer: layers[next]!, ...(diffIds[next] ? { diffId: diffIds[next] } : {}) });
  return rows;
}

function stepText(step: Step | undefined) {
  if (!step?.createdBy && !step?.comment) return <span class="muted">—</span>;
  return (
    <>
      {step.createdBy ? <code>{step.createdBy}</code> : null}
      {step.comment ? <span class="muted"> ({step.comment})</span> : null}
    </>
  );
}

export const renderLayersTab: TabRenderer = async (c, artifact) => {
  const manifest = await imageManifestOf(c, artifact);
  if (kindOf(manifest) === 'index') return <p class="muted">An index has no layers of its own; choose a platform to see its image's.</p>;
  const layers = layersOf(manifest);
  const read = kindOf(manifest) === 'image' ? await readImageConfig(c.var.hub, artifact.name, manifest) : undefined;
  const config = read && 'config' in read ? read.config : undefined;
  const rows = pairLayers(layers, stringList(config?.rootfs?.diff_ids), readHistory(config?.history));
  const total = layers.reduce((sum, layer) => sum + layer.size, 0);
  return (
    <>
      <h2>Layers</h2>
      {read && 'problem' in read ? <Notice kind="error">{read.problem} Diff IDs and history are not shown.</Notice> : null}
      <p>
        {layers.length} {layers.length === 1 ? 'layer' : 'layers'}, {formatBytes(total)} in total (compressed).
      </p>
      <ScrollTable label="Layers">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Media type</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">Digest</th>
              <th scope="col">Diff ID</th>
              <th scope="col">Created by</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) =>
              row.kind === 'empty' ? (
                <tr>
                  <td class="muted">—</td>
                  <td colspan={4} class="muted">
                    empty layer (no files changed)
                  </td>
                  <td>{stepText(row.step)}</td>
                </tr>
              ) : (
                <tr>
                  <td>{row.index + 1}</td>
                  <td>
                    <code>{row.layer.mediaType}</code>
                  </td>
                  <td class="num">{formatBytes(row.layer.size)}</td>
                  <td>
                    <Digest digest={row.layer.digest} />
                  </td>
                  <td>{row.diffId ? <Digest digest={row.diffId} /> : <span class="muted">—</span>}</td>
                  <td>{stepText(row.step)}</td>
                </tr>
              ),
            )}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colspan={2}>
                Total
              </th>
              <td class="num">{formatBytes(total)}</td>
              <td colspan={3}></td>
            </tr>
          </tfoot>
        </table>
      </ScrollTable>
    </>
  );
};
