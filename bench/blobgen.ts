/**
 * Blob content generated on the fly: one random base block repeated, with the first bytes of
 * every block replaced by a per-blob, per-block header so that no two blocks (and no two blobs)
 * are alike. Nothing bigger than one block is ever held in memory.
 */
import { createHash, randomBytes } from 'node:crypto';

export const MiB = 1024 * 1024;
export const BLOCK_SIZE = 8 * MiB;
const HEADER_SIZE = 32;

let sharedBase: Buffer | undefined;

/** The random block every generated blob repeats; made once per process. */
function baseBlock(): Buffer {
  sharedBase ??= randomBytes(BLOCK_SIZE);
  return sharedBase;
}

export class GeneratedBlob {
  private digestValue: string | undefined;

  /** `seed` must be unique per blob (run id + name): it makes the content unique. */
  constructor(
    readonly seed: string,
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`blob size must be a non-negative integer, got ${size}`);
  }

  /** Number of BLOCK_SIZE blocks (the last may be short). */
  get blocks(): number {
    return Math.ceil(this.size / BLOCK_SIZE);
  }

  /**
   * The pieces of block `index`: a fresh header and a view of the shared base. The base is never
   * mutated, so pieces still queued in a socket stay valid while the next block is produced.
   */
  block(index: number): Buffer[] {
    const start = index * BLOCK_SIZE;
    const length = Math.min(BLOCK_SIZE, this.size - start);
    if (index < 0 || length <= 0) throw new RangeError(`block ${index} is outside a ${this.size}-byte blob`);
    const header = this.header(index);
    if (length <= HEADER_SIZE) return [header.subarray(0, length)];
    return [header, baseBlock().subarray(HEADER_SIZE, length)];
  }

  /** All pieces in order, `block(0)` to the last. */
  *pieces(): Generator<Buffer> {
    for (let i = 0; i < this.blocks; i++) yield* this.block(i);
  }

  /** `sha256:<hex>`, computed once by streaming the generator (not timed by the workloads). */
  digest(): string {
    if (this.digestValue === undefined) {
      const hash = createHash('sha256');
      for (const piece of this.pieces()) hash.update(piece);
      this.digestValue = `sha256:${hash.digest('hex')}`;
    }
    return this.digestValue;
  }

  /** The expected bytes at [offset, offset + length), to verify ranged reads. */
  slice(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) throw new RangeError(`range ${offset}+${length} is outside the blob`);
    const out = Buffer.allocUnsafe(length);
    let written = 0;
    while (written < length) {
      const at = offset + written;
      const index = Math.floor(at / BLOCK_SIZE);
      const within = at - index * BLOCK_SIZE;
      const blockLength = Math.min(BLOCK_SIZE, this.size - index * BLOCK_SIZE);
      // Past its header a block is the base block, byte for byte.
      const [source, limit] = within < HEADER_SIZE ? [this.header(index), Math.min(HEADER_SIZE, blockLength)] : [baseBlock(), blockLength];
      const take = Math.min(length - written, limit - within);
      source.copy(out, written, within, within + take);
      written += take;
    }
    return out;
  }

  private header(index: number): Buffer {
    return createHash('sha256').update(`${this.seed}/${index}`).digest();
  }
}
