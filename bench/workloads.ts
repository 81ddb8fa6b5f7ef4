/**
 * The workloads, each bounded in count and time. Registry workloads run once per registry with
 * the same inputs; the machine baseline runs once per bench run.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GeneratedBlob, MiB } from './blobgen.ts';
import { OCI_MANIFEST, sha256Digest, type PushMode, type RegistryClient } from './registry-client.ts';
import { runPool, seededRandom } from './pool.ts';
import { mibPerSecond, summarize } from './stats.ts';

export type Better = 'higher' | 'lower' | 'none';

export interface Metric {
  /** Stable id, `<workload id>.<metric id>`, used to pair registries and to check targets. */
  key: string;
  workload: string;
  metric: string;
  unit: string;
  /** null when it could not be measured. */
  value: number | null;
  better: Better;
  note?: string;
}

export interface Sizes {
  monoBytes: number;
  chunkedBytes: number;
  ranges: number;
  rangeBytes: number;
  rangeConcurrency: number;
  smallCount: number;
  smallConcurrency: number;
  readSeconds: number;
  readConcurrency: number;
  /** Upper bound on requests per read phase, whatever the duration. */
  readMaxRequests: number;
  tagPage: number;
  tagWalks: number;
  parallelPushes: number;
  parallelBytes: number;
  bigBytes: number;
  baselineBytes: number;
}

export function sizesFor(quick: boolean): Sizes {
  const full: Sizes = {
    monoBytes: 256 * MiB,
    chunkedBytes: 256 * MiB,
    ranges: 200,
    rangeBytes: MiB,
    rangeConcurrency: 8,
    smallCount: 1000,
    smallConcurrency: 16,
    readSeconds: 10,
    readConcurrency: 32,
    readMaxRequests: 2_000_000,
    tagPage: 100,
    tagWalks: 5,
    parallelPushes: 8,
    parallelBytes: 32 * MiB,
    bigBytes: 1024 * MiB,
    baselineBytes: 512 * MiB,
  };
  if (!quick) return full;
  return {
    ...full,
    monoBytes: 32 * MiB,
    chunkedBytes: 32 * MiB,
    ranges: 20,
    smallCount: 100,
    readSeconds: 1,
    readMaxRequests: 200_000,
    // 100 tags at 10 a page still exercises the Link walk.
    tagPage: 10,
    tagWalks: 3,
    parallelBytes: 4 * MiB,
    bigBytes: 128 * MiB,
    baselineBytes: 64 * MiB,
  };
}

/** What one registry's earlier workloads left for the later ones. */
export interface TargetState {
  pushMode: PushMode;
  bigBlob?: { repo: string; blob: GeneratedBlob };
  manifests?: { repo: string; tags: string[]; digests: string[] };
}

export interface WorkloadContext {
  client: RegistryClient;
  runId: string;
  sizes: Sizes;
  state: TargetState;
  signal: AbortSignal;
}

/**
 * How much work a run did, so that server CPU can be given per unit: unlike throughput, CPU per
 * GiB or per request barely moves when other processes compete for the machine.
 */
export interface Work {
  amount: number;
  unit: 'GiB' | 'request';
}

export interface WorkloadResult {
  metrics: Metric[];
  work?: Work;
}

export interface Workload {
  id: string;
  title: string;
  /** The hard time limit for the whole workload. */
  limitMs(sizes: Sizes): number;
  run(context: WorkloadContext): Promise<WorkloadResult>;
}

const GiB = 1024 * MiB;

/** Time allowed for moving `bytes`: generous (4 MiB/s) but finite. */
function byteLimit(bytes: number): number {
  return 30_000 + (bytes / (4 * MiB)) * 1000;
}

function metric(workload: Workload, id: string, name: string, unit: string, value: number | null, better: Better, note?: string): Metric {
  return { key: `${workload.id}.${id}`, workload: workload.title, metric: name, unit, value, better, note };
}

/** Blobs are shared between registries so that digests are computed once per run. */
const generated = new Map<string, GeneratedBlob>();
function blobFor(seed: string, size: number): GeneratedBlob {
  let blob = generated.get(seed);
  if (!blob) {
    blob = new GeneratedBlob(seed, size);
    generated.set(seed, blob);
  }
  return blob;
}

function streamOf(blob: GeneratedBlob) {
  return { length: blob.size, pieces: () => blob.pieces() };
}

function seconds(ms: number): number {
  return ms / 1000;
}

const pushMono: Workload = {
  id: 'push-mono',
  title: '1 monolithic push',
  limitMs: (s) => byteLimit(s.monoBytes),
  async run({ client, runId, sizes, state, signal }) {
    const blob = blobFor(`${runId}/mono`, sizes.monoBytes);
    const digest = blob.digest();
    const repo = `bench-${runId}/mono`;
    const t0 = performance.now();
    await client.pushBlob(repo, digest, streamOf(blob), state.pushMode, signal);
    const ms = performance.now() - t0;
    state.bigBlob = { repo, blob };
    const how = state.pushMode === 'post-digest' ? 'single POST ?digest=' : 'POST + PUT ?digest= (no single POST)';
    return {
      metrics: [
        metric(this, 'throughput', `${sizes.monoBytes / MiB} MiB, ${how}`, 'MiB/s', mibPerSecond(blob.size, ms), 'higher'),
        metric(this, 'seconds', 'wall time', 's', seconds(ms), 'lower'),
      ],
      work: { amount: blob.size / GiB, unit: 'GiB' },
    };
  },
};

const pushChunked: Workload = {
  id: 'push-chunked',
  title: '2 chunked push',
  limitMs: (s) => byteLimit(s.chunkedBytes),
  async run({ client, runId, sizes, signal }) {
    const blob = blobFor(`${runId}/chunked`, sizes.chunkedBytes);
    blob.digest();
    const t0 = performance.now();
    const chunks = await client.pushChunked(`bench-${runId}/chunked`, blob, signal);
    const ms = performance.now() - t0;
    return {
      metrics: [
        metric(this, 'throughput', `${sizes.chunkedBytes / MiB} MiB in ${chunks} PATCHes of 8 MiB`, 'MiB/s', mibPerSecond(blob.size, ms), 'higher'),
        metric(this, 'seconds', 'wall time', 's', seconds(ms), 'lower'),
      ],
      work: { amount: blob.size / GiB, unit: 'GiB' },
    };
  },
};

const pull: Workload = {
  id: 'pull',
  title: '3 blob pull',
  limitMs: (s) => byteLimit(s.monoBytes + s.ranges * s.rangeBytes),
  async run({ client, sizes, state, signal }) {
    const big = state.bigBlob;
    if (!big) throw new Error('needs the blob of workload push-mono');
    const { repo, blob } = big;
    const t0 = performance.now();
    const reply = await client.pullBlob(repo, blob.digest(), signal);
    const ms = performance.now() - t0;
    if (reply.bytes !== blob.size || reply.sha256 !== blob.digest()) {
      throw new Error(`pulled ${reply.bytes} bytes hashing to ${reply.sha256}, expected ${blob.size} bytes ${blob.digest()}`);
    }
    const random = seededRandom(7);
    const starts = Array.from({ length: sizes.ranges }, () => Math.floor(random() * (blob.size - sizes.rangeBytes)));
    const ranged = await runPool({ count: sizes.ranges, concurrency: sizes.rangeConcurrency, signal }, async (i) => {
      const start = starts[i] as number;
      const body = await client.getRange(repo, blob.digest(), start, sizes.rangeBytes, signal);
      if (!body.equals(blob.slice(start, sizes.rangeBytes))) throw new Error(`range at ${start} returned the wrong bytes`);
    });
    const latency = summarize(ranged.latencies);
    const rangeNote = `${ranged.completed} x ${sizes.rangeBytes / MiB} MiB, concurrency ${sizes.rangeConcurrency}`;
    return {
      metrics: [
        metric(this, 'throughput', `GET ${blob.size / MiB} MiB, sha256 verified`, 'MiB/s', mibPerSecond(blob.size, ms), 'higher'),
        metric(this, 'range-throughput', `ranged GETs (${rangeNote})`, 'MiB/s', mibPerSecond(ranged.completed * sizes.rangeBytes, ranged.elapsedMs), 'higher'),
        metric(this, 'range-p50', 'ranged GET p50', 'ms', latency.p50, 'lower'),
        metric(this, 'range-p99', 'ranged GET p99', 'ms', latency.p99, 'lower'),
      ],
      work: { amount: (blob.size + ranged.completed * sizes.rangeBytes) / GiB, unit: 'GiB' },
    };
  },
};

const small: Workload = {
  id: 'small',
  title: '4 small blobs + manifests',
  limitMs: (s) => 60_000 + s.smallCount * 200,
  async run({ client, runId, sizes, state, signal }) {
    const repo = `bench-${runId}/small`;
    const layer = Buffer.concat([...blobFor(`${runId}/layer`, 4096).pieces()]);
    const layerDigest = sha256Digest(layer);
    await client.pushBlob(repo, layerDigest, layer, 'post-put', signal);
    // Inputs are made before the clock starts.
    const configs = Array.from({ length: sizes.smallCount }, (_, i) =>
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: {},
          rootfs: { type: 'layers', diff_ids: [layerDigest] },
          history: [{ created_by: `nocker bench ${runId} #${i}` }],
        }),
      ),
    );
    const configDigests = configs.map(sha256Digest);
    const manifests = configs.map((config, i) =>
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigests[i], size: config.length },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.length }],
        }),
      ),
    );
    const tags = configs.map((_, i) => `t${String(i).padStart(5, '0')}`);
    const options = { count: sizes.smallCount, concurrency: sizes.smallConcurrency, signal };

    // POST + PUT like every real client, so both registries do the same two requests.
    const blobRun = await runPool(options, (i) => client.pushBlob(repo, configDigests[i] as string, configs[i] as Buffer, 'post-put', signal));
    const digests: string[] = new Array<string>(sizes.smallCount);
    const manifestRun = await runPool(options, async (i) => {
      digests[i] = await client.putManifest(repo, tags[i] as string, manifests[i] as Buffer, OCI_MANIFEST, signal);
    });
    state.manifests = { repo, tags, digests };
    const blobLatency = summarize(blobRun.latencies);
    const manifestLatency = summarize(manifestRun.latencies);
    const concurrency = `concurrency ${sizes.smallConcurrency}`;
    return {
      // Two requests per blob (POST + PUT), one per manifest.
      work: { amount: 2 * blobRun.completed + manifestRun.completed, unit: 'request' },
      metrics: [
        metric(this, 'blob-ops', `${blobRun.completed} config blobs, POST+PUT, ${concurrency}`, 'ops/s', blobRun.completed / seconds(blobRun.elapsedMs), 'higher'),
        metric(this, 'blob-p50', 'blob push p50', 'ms', blobLatency.p50, 'lower'),
        metric(this, 'blob-p99', 'blob push p99', 'ms', blobLatency.p99, 'lower'),
        metric(this, 'manifest-ops', `${manifestRun.completed} manifests PUT by tag, ${concurrency}`, 'ops/s', manifestRun.completed / seconds(manifestRun.elapsedMs), 'higher'),
        metric(this, 'manifest-p50', 'manifest push p50', 'ms', manifestLatency.p50, 'lower'),
        metric(this, 'manifest-p99', 'manifest push p99', 'ms', manifestLatency.p99, 'lower'),
      ],
    };
  },
};

const manifestRead: Workload = {
  id: 'manifest-read',
  title: '5 manifest GET/HEAD',
  limitMs: (s) => 2 * s.readSeconds * 1000 + 60_000,
  async run({ client, sizes, state, signal }) {
    const pushed = state.manifests;
    if (!pushed) throw new Error('needs the manifests of workload small');
    const { repo, tags, digests } = pushed;
    const options = { count: sizes.readMaxRequests, concurrency: sizes.readConcurrency, durationMs: sizes.readSeconds * 1000, signal };
    // The same pseudo-random references for every registry.
    const pickTag = seededRandom(11);
    const get = await runPool(options, async () => {
      await client.getManifest(repo, tags[Math.floor(pickTag() * tags.length)] as string, signal);
    });
    const pickDigest = seededRandom(13);
    const head = await runPool(options, async () => {
      await client.headManifest(repo, digests[Math.floor(pickDigest() * digests.length)] as string, signal);
    });
    const getLatency = summarize(get.latencies);
    const headLatency = summarize(head.latencies);
    const how = `${sizes.readSeconds} s, concurrency ${sizes.readConcurrency}, random of ${tags.length}`;
    return {
      work: { amount: get.completed + head.completed, unit: 'request' },
      metrics: [
        metric(this, 'get-rps', `GET by tag (${how})`, 'req/s', get.completed / seconds(get.elapsedMs), 'higher'),
        metric(this, 'get-p50', 'GET p50', 'ms', getLatency.p50, 'lower'),
        metric(this, 'get-p99', 'GET p99', 'ms', getLatency.p99, 'lower'),
        metric(this, 'head-rps', `HEAD by digest (${how})`, 'req/s', head.completed / seconds(head.elapsedMs), 'higher'),
        metric(this, 'head-p50', 'HEAD p50', 'ms', headLatency.p50, 'lower'),
        metric(this, 'head-p99', 'HEAD p99', 'ms', headLatency.p99, 'lower'),
      ],
    };
  },
};

const tagWalk: Workload = {
  id: 'tags',
  title: '6 tag list walk',
  limitMs: () => 60_000,
  async run({ client, sizes, state, signal }) {
    const pushed = state.manifests;
    if (!pushed) throw new Error('needs the manifests of workload small');
    const times: number[] = [];
    let pages = 0;
    for (let walk = 0; walk < sizes.tagWalks; walk++) {
      const t0 = performance.now();
      const listed = await client.listTags(pushed.repo, sizes.tagPage, signal);
      times.push(performance.now() - t0);
      pages = listed.pages;
      if (listed.tags.length !== pushed.tags.length) throw new Error(`listed ${listed.tags.length} tags, expected ${pushed.tags.length}`);
    }
    const summary = summarize(times);
    return {
      metrics: [
        metric(this, 'ms', `${pushed.tags.length} tags, n=${sizes.tagPage}, median of ${times.length} walks`, 'ms', summary.p50, 'lower'),
        metric(this, 'pages', 'pages per walk', 'pages', pages, 'none', pages === 1 ? 'n ignored: one page' : undefined),
      ],
    };
  },
};

const pushParallel: Workload = {
  id: 'push-parallel',
  title: '7 parallel pushes',
  limitMs: (s) => byteLimit(s.parallelPushes * s.parallelBytes),
  async run({ client, runId, sizes, state, signal }) {
    const blobs = Array.from({ length: sizes.parallelPushes }, (_, i) => blobFor(`${runId}/parallel/${i}`, sizes.parallelBytes));
    for (const blob of blobs) blob.digest();
    const repo = `bench-${runId}/parallel`;
    const run = await runPool({ count: blobs.length, concurrency: blobs.length, signal }, async (i) => {
      const blob = blobs[i] as GeneratedBlob;
      await client.pushBlob(repo, blob.digest(), streamOf(blob), state.pushMode, signal);
    });
    const total = blobs.length * sizes.parallelBytes;
    return {
      metrics: [
        metric(this, 'throughput', `${blobs.length} x ${sizes.parallelBytes / MiB} MiB at once, aggregate`, 'MiB/s', mibPerSecond(total, run.elapsedMs), 'higher'),
        metric(this, 'slowest', 'slowest push', 's', seconds(Math.max(...run.latencies)), 'lower'),
      ],
      work: { amount: total / GiB, unit: 'GiB' },
    };
  },
};

const push1g: Workload = {
  id: 'push-1g',
  title: '8 big push (memory)',
  limitMs: (s) => byteLimit(s.bigBytes),
  async run({ client, runId, sizes, state, signal }) {
    const blob = blobFor(`${runId}/big`, sizes.bigBytes);
    const digest = blob.digest();
    const t0 = performance.now();
    await client.pushBlob(`bench-${runId}/big`, digest, streamOf(blob), state.pushMode, signal);
    const ms = performance.now() - t0;
    return {
      metrics: [metric(this, 'throughput', `${sizes.bigBytes / MiB} MiB streamed`, 'MiB/s', mibPerSecond(blob.size, ms), 'higher')],
      work: { amount: blob.size / GiB, unit: 'GiB' },
    };
  },
};

/** Registry workloads in the order they run; later ones use what earlier ones pushed. */
export const WORKLOADS: readonly Workload[] = [pushMono, pushChunked, pull, small, manifestRead, tagWalk, pushParallel, push1g];

export const BASELINE_ID = 'baseline';
const BASELINE_TITLE = '9 machine baseline';

/**
 * What this machine does without any registry: sha256 alone, write + fsync alone, and both
 * together (hashing the next block while the previous one is written), on a temp file.
 */
export async function machineBaseline(sizes: Sizes, runId: string, signal: AbortSignal, dir = tmpdir()): Promise<Metric[]> {
  const blob = blobFor(`${runId}/baseline`, sizes.baselineBytes);
  const work = await mkdtemp(join(dir, 'nocker-bench-baseline-'));
  const row = (id: string, name: string, value: number): Metric => ({
    key: `${BASELINE_ID}.${id}`,
    workload: BASELINE_TITLE,
    metric: name,
    unit: 'MiB/s',
    value,
    better: 'higher',
  });
  try {
    let t0 = performance.now();
    const hash = createHash('sha256');
    for (const piece of blob.pieces()) hash.update(piece);
    hash.digest();
    const hashRate = mibPerSecond(blob.size, performance.now() - t0);

    t0 = performance.now();
    await writeFile(join(work, 'write-only'), blob, false, signal);
    const writeRate = mibPerSecond(blob.size, performance.now() - t0);

    t0 = performance.now();
    await writeFile(join(work, 'hash-and-write'), blob, true, signal);
    const combinedRate = mibPerSecond(blob.size, performance.now() - t0);
    const size = `${blob.size / MiB} MiB`;
    return [
      row('combined', `sha256 + write + fsync, ${size} (reference)`, combinedRate),
      row('sha256', `sha256 only, ${size}`, hashRate),
      row('write', `write + fsync only, ${size}`, writeRate),
    ];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Writes the blob block by block (one write in flight), optionally hashing, then fsyncs. */
async function writeFile(path: string, blob: GeneratedBlob, hashing: boolean, signal: AbortSignal): Promise<void> {
  const handle = await open(path, 'w');
  try {
    const hash = createHash('sha256');
    let pending: Promise<unknown> = Promise.resolve();
    for (let i = 0; i < blob.blocks; i++) {
      signal.throwIfAborted();
      const pieces = blob.block(i);
      if (hashing) for (const piece of pieces) hash.update(piece);
      await pending;
      const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
      pending = handle.writev(pieces).then(({ bytesWritten }) => {
        if (bytesWritten !== length) throw new Error(`short write: ${bytesWritten} of ${length} bytes`);
      });
    }
    await pending;
    await handle.sync();
    if (hashing) hash.digest();
  } finally {
    await handle.close();
  }
}
