/**
 * Reading a small document (a config, a manifest body, an SBOM) whole, without letting a large
 * one fill memory: reading stops at the first byte past the limit.
 */

/**
 * The bytes of `chunks`, or undefined as soon as they exceed `limit`. Leaving the loop early
 * ends the iteration, which destroys a Node stream behind it.
 *
 * @example
 * const config = await readAtMost(await registry.blobs.read(digest), 4 * 1024 * 1024);
 * if (!config) throw new Error(`the config ${digest} is larger than 4 MiB`);
 */
export async function readAtMost(chunks: AsyncIterable<Uint8Array>, limit: number): Promise<Buffer | undefined> {
  const kept: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (total > limit) return undefined;
    kept.push(chunk);
  }
  return Buffer.concat(kept, total);
}
