/**
 * ChainIDs (OCI image spec, "Layer ChainID"): one digest naming a whole stack of layers by
 * their uncompressed digests, so that two images built on the same base share ChainIDs however
 * their layers were compressed. The dependency graph uses them to find the base of an image
 * that does not name one: the known image whose stack is the longest proper prefix of its own.
 */
import { createHash } from 'node:crypto';

/**
 * The ChainID of every prefix of `diffIds`: the first is the first diffID; each next one is
 * `sha256(previous + " " + diffID)`.
 *
 * @example
 * chainIds(['sha256:a…', 'sha256:b…']); // ['sha256:a…', 'sha256:<sha256 of "sha256:a… sha256:b…">']
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const chain: string[] = [];
  for (const diffId of diffIds) {
    const previous = chain.at(-1);
    chain.push(previous === undefined ? diffId : `sha256:${createHash('sha256').update(`${previous} ${diffId}`).digest('hex')}`);
  }
  return chain;
}

/** An image as the base search sees it: its digest and its layers' ChainIDs. */
export interface LayerStack {
  digest: string;
  chainIds: readonly string[];
}

/**
 * The image among `candidates` whose layer stack is the longest proper prefix of `image`'s
 * (fewer layers, all shared), or undefined when none is. Ties go to the first candidate.
 *
 * @example
 * baseByLayers({ digest: app, chainIds: [c1, c2, c3] }, [{ digest: base, chainIds: [c1, c2] }]); // the base
 */
export function baseByLayers(image: LayerStack, candidates: Iterable<LayerStack>): LayerStack | undefined {
  let best: LayerStack | undefined;
  for (const candidate of candidates) {
    const depth = candidate.chainIds.length;
    if (candidate.digest === image.digest || depth === 0 || depth >= image.chainIds.length) continue;
    // Equal ChainIDs at the candidate's top mean equal stacks all the way down.
    if (image.chainIds[depth - 1] !== candidate.chainIds[depth - 1]) continue;
    if (!best || depth > best.chainIds.length) best = candidate;
  }
  return best;
}
