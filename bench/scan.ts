/**
 * The image scan workload: how fast the Hub's scanner (readImageFiles + analyseFiles) reads a
 * large gzip layer, and how much memory it needs, with no registry involved. The layer (about
 * 500 MiB uncompressed, 50 MiB with --quick) is generated once into the temp directory and
 * reused: random and text files, ELF executables (Go, cargo-auditable and plain ones), shell
 * scripts, jars, a dpkg status and node_modules package.json files. The scan runs in a child
 * process streaming the layer from disk, so its peak RSS (VmHWM) is the scanner's own.
 *
 * Run by the bench as workload `scan`; `node --import tsx bench/scan.ts --child LAYER DIFFID`
 * is the child.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, createGzip } from 'node:zlib';
import { ustarHeader } from '../hub/oci/testing-archives.ts';
import { zipArchive } from '../hub/oci/testing-zip.ts';
import { analyseFiles, isScannedPath } from '../hub/scanning/analysers/index.ts';
import { testElf, testGoBuildInfo } from '../hub/scanning/binary/testing-elf.ts';
import { readImageFiles } from '../hub/scanning/layer-files.ts';
import { MiB } from './blobgen.ts';
import { seededRandom } from './pool.ts';
import type { Check, Row } from './report.ts';
import { mibPerSecond } from './stats.ts';
import type { Metric } from './workloads.ts';

export const SCAN_ID = 'scan';
const TITLE = '10 image scan';
/** Bumped whenever the generated layer changes, so that an old cached one is not reused. */
const FORMAT = 2;
const THROUGHPUT_TARGET_MIB_S = 100;
const RSS_LIMIT_MIB = 200;
const SCAN_FILE = fileURLToPath(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A generated layer on disk and the figures of its tar. */
interface GeneratedLayer {
  path: string;
  diffId: string;
  tarBytes: number;
  gzipBytes: number;
  /** Packages the analysers should find in it. */
  expectedPackages: number;
}

/** What the child reports. */
interface ChildResult {
  ms: number;
  cpuSeconds: number;
  hwmMiB: number;
  packages: number;
  files: number;
}

/** Writes tar entries through gzip into a file, hashing the tar as it goes. */
class LayerWriter {
  readonly #gzip = createGzip();
  readonly #out: ReturnType<typeof createWriteStream>;
  readonly #hash = createHash('sha256');
  tarBytes = 0;

  constructor(path: string) {
    this.#out = createWriteStream(path);
    this.#gzip.pipe(this.#out);
  }

  async #write(chunk: Buffer): Promise<void> {
    this.#hash.update(chunk);
    this.tarBytes += chunk.length;
    if (!this.#gzip.write(chunk)) await once(this.#gzip, 'drain');
  }

  async file(path: string, data: Buffer, mode = 0o644): Promise<void> {
    await this.#write(ustarHeader({ path, mode }, data.length));
    await this.#write(data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) await this.#write(Buffer.alloc(pad));
  }

  async directory(path: string): Promise<void> {
    await this.#write(ustarHeader({ path, type: '5' }, 0));
  }

  /** Ends the archive; the diffID of what was written. */
  async close(): Promise<string> {
    await this.#write(Buffer.alloc(1024));
    this.#gzip.end();
    await once(this.#out, 'close');
    return `sha256:${this.#hash.digest('hex')}`;
  }
}

const WORDS = 'the of and to in is for on that with as by at from this be are or an it not which have was all can but will one has more their been its other new some also would what when your use than then into only may these any such each them two out about first well over'.split(' ');

/** A block of English-like text: compressible about as well as source code or docs are. */
function textBlock(random: () => number, bytes: number): Buffer {
  const parts: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = random() < 0.05 ? `${randomBytes(4).toString('hex')}\n` : `${WORDS[Math.floor(random() * WORDS.length)]} `;
    parts.push(word);
    length += word.length;
  }
  return Buffer.from(parts.join('')).subarray(0, bytes);
}

/** A jar of `files`, stored like already-compressed class files. */
function jar(files: Record<string, Buffer>): Buffer {
  return zipArchive(Object.entries(files).map(([name, content]) => ({ name, content, deflate: false })));
}

const pomProperties = (group: string, artifact: string, version: string) => Buffer.from(`groupId=${group}\nartifactId=${artifact}\nversion=${version}\n`);

/** Generates the layer (about `totalBytes` of tar) into `path`. */
async function generateLayer(path: string, totalBytes: number): Promise<GeneratedLayer> {
  const scale = totalBytes / (500 * MiB);
  const count = (full: number) => Math.max(1, Math.round(full * scale));
  const random = seededRandom(42);
  const text = textBlock(random, 4 * MiB);
  const textFile = (bytes: number) => {
    const start = Math.floor(random() * (text.length - bytes));
    return text.subarray(start, start + bytes);
  };
  const out = new LayerWriter(path);
  let expected = 0;
  await out.directory('etc');
  await out.file('etc/os-release', Buffer.from('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'));
  // A dpkg database the size of a mid-sized Debian image.
  const stanzas: string[] = [];
  for (let i = 0; i < 600; i++) {
    stanzas.push(`Package: pkg${i}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.${i}-1\nDescription: package ${i}\n ${textFile(600).toString('latin1').replace(/\n/g, ' ')}\n`);
  }
  expected += 600;
  await out.file('var/lib/dpkg/status', Buffer.from(stanzas.join('\n')));
  // node_modules: a package.json and a few sources per package.
  for (let i = 0; i < count(300); i++) {
    await out.file(`app/node_modules/mod${i}/package.json`, Buffer.from(JSON.stringify({ name: `mod${i}`, version: `1.0.${i}`, license: 'MIT' })));
    for (let j = 0; j < 3; j++) await out.file(`app/node_modules/mod${i}/lib/file${j}.js`, textFile(4096 + Math.floor(random() * 40_000)));
  }
  expected += count(300);
  // Go binaries: mostly machine code, and a module list.
  const deps = Array.from({ length: 100 }, (_, i) => `dep\texample.com/dep${i}\tv1.${i}.0\th1:x=`).join('\n');
  for (let i = 0; i < count(5); i++) {
    const info = testGoBuildInfo('go1.21.3', `path\texample.com/go${i}/cmd\nmod\texample.com/go${i}\tv1.0.0\th1:x=\n${deps}\n`);
    await out.file(`usr/local/bin/go${i}`, testElf({ sections: [{ name: '.text', data: randomBytes(8 * MiB) }, { name: '.go.buildinfo', data: info }] }), 0o755);
  }
  // Per binary: its main module, 100 dependencies and the standard library.
  expected += count(5) * 102;
  // Rust binaries built with cargo auditable.
  for (let i = 0; i < count(2); i++) {
    const packages = Array.from({ length: 50 }, (_, j) => ({ name: `crate${j}`, version: `0.${j}.0`, source: 'crates.io' }));
    await out.file(`usr/local/bin/rust${i}`, testElf({ sections: [{ name: '.text', data: randomBytes(4 * MiB) }, { name: '.dep-v0', data: deflateSync(JSON.stringify({ packages })) }] }), 0o755);
  }
  expected += count(2) * 50;
  // Plain ELF executables and shell scripts, as in /usr/bin.
  for (let i = 0; i < count(300); i++) await out.file(`usr/bin/tool${i}`, testElf({ sections: [{ name: '.text', data: randomBytes(64 * 1024) }] }), 0o755);
  for (let i = 0; i < count(100); i++) await out.file(`usr/bin/script${i}`, Buffer.concat([Buffer.from('#!/bin/sh\n'), textFile(2048)]), 0o755);
  // Jars: stored class bytes, and a war holding jars.
  const jars: Buffer[] = [];
  for (let i = 0; i < count(4); i++) {
    const made = jar({ [`META-INF/maven/org.example/lib${i}/pom.properties`]: pomProperties('org.example', `lib${i}`, `1.${i}`), 'classes.bin': randomBytes(3 * MiB) });
    jars.push(made);
    await out.file(`opt/app/lib/lib${i}.jar`, made);
    expected += 1;
  }
  await out.file('opt/app/app.war', jar(Object.fromEntries(jars.map((data, i) => [`WEB-INF/lib/lib${i}.jar`, data]))));
  expected += jars.length;
  // The rest: half random (media, compressed data), half text, in files of varied sizes.
  for (let i = 0; out.tarBytes < totalBytes; i++) {
    if (i % 2 === 0) await out.file(`data/blob${i}.bin`, randomBytes(64 * 1024 + Math.floor(random() * 2 * MiB)));
    else await out.file(`share/doc/text${i}.txt`, textFile(4096 + Math.floor(random() * 512 * 1024)));
  }
  const diffId = await out.close();
  const { size } = await stat(path);
  return { path, diffId, tarBytes: out.tarBytes, gzipBytes: size, expectedPackages: expected };
}

/** The layer for `totalBytes`, generated on the first call and reused after. */
async function cachedLayer(totalBytes: number, log: (line: string) => void): Promise<GeneratedLayer> {
  const base = join(tmpdir(), `nocker-bench-scan-v${FORMAT}-${totalBytes / MiB}mib`);
  const meta = `${base}.json`;
  if (existsSync(meta) && existsSync(`${base}.tar.gz`)) return JSON.parse(await readFile(meta, 'utf8')) as GeneratedLayer;
  log(`  generating a ${totalBytes / MiB} MiB layer in ${base}.tar.gz (once) …`);
  const layer = await generateLayer(`${base}.tar.gz.partial`, totalBytes);
  await rename(`${base}.tar.gz.partial`, `${base}.tar.gz`);
  const final = { ...layer, path: `${base}.tar.gz` };
  await writeFile(meta, JSON.stringify(final));
  return final;
}

/** Runs the scan in a child process and returns what it measured. */
async function scanInChild(layer: GeneratedLayer, signal: AbortSignal): Promise<ChildResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCAN_FILE, '--child', layer.path, layer.diffId], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], signal });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`the scan child exited with ${code}`);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChildResult;
}

/**
 * The scan workload's rows: throughput over the uncompressed bytes, the child's peak RSS, its
 * CPU time, and the packages found.
 *
 * @example
 * hubMetrics.push(...(await scanBenchmark(true, log, AbortSignal.timeout(600_000))));
 */
export async function scanBenchmark(quick: boolean, log: (line: string) => void, signal: AbortSignal): Promise<Metric[]> {
  const layer = await cachedLayer(quick ? 50 * MiB : 500 * MiB, log);
  const result = await scanInChild(layer, signal);
  const size = `${Math.round(layer.tarBytes / MiB)} MiB tar, ${Math.round(layer.gzipBytes / MiB)} MiB gzip`;
  const row = (id: string, metric: string, unit: string, value: number, better: Metric['better'], note?: string): Metric => ({ key: `${SCAN_ID}.${id}`, workload: TITLE, metric, unit, value, better, ...(note ? { note } : {}) });
  return [
    row('throughput', `readImageFiles + analyseFiles from disk, ${size}`, 'MiB/s', mibPerSecond(layer.tarBytes, result.ms), 'higher'),
    row('rss', 'scanner process peak RSS (VmHWM)', 'MiB', result.hwmMiB, 'lower'),
    row('cpu', 'scanner process CPU time', 's', result.cpuSeconds, 'none'),
    row('packages', 'packages found', 'count', result.packages, 'none', result.packages === layer.expectedPackages ? undefined : `expected ${layer.expectedPackages}`),
  ];
}

/**
 * The scan workload's targets: at least 100 MiB/s of uncompressed layer, under 200 MiB peak RSS.
 *
 * @example
 * const checks = [...evaluateChecks(rows, hasVs), ...scanChecks(rows)];
 */
export function scanChecks(rows: readonly Row[]): Check[] {
  const byKey = new Map(rows.map((r) => [r.key, r]));
  const checks: Check[] = [];
  const throughput = byKey.get(`${SCAN_ID}.throughput`);
  if (throughput) {
    const target = `${SCAN_ID}.throughput >= ${THROUGHPUT_TARGET_MIB_S} MiB/s`;
    checks.push(throughput.hub === null ? { target, status: 'n/a', detail: 'not measured' } : { target, status: throughput.hub >= THROUGHPUT_TARGET_MIB_S ? 'pass' : 'FAIL', detail: `${throughput.hub.toFixed(1)} MiB/s` });
  }
  const rss = byKey.get(`${SCAN_ID}.rss`);
  if (rss) {
    const target = `${SCAN_ID}.rss < ${RSS_LIMIT_MIB} MiB`;
    checks.push(rss.hub === null ? { target, status: 'n/a', detail: 'not measured' } : { target, status: rss.hub < RSS_LIMIT_MIB ? 'pass' : 'FAIL', detail: `peak ${rss.hub.toFixed(1)} MiB` });
  }
  return checks;
}

/** The child: scans the layer file and prints its figures as JSON. */
async function child(path: string, diffId: string): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const layer = { digest: 'sha256:bench', diffId, open: async () => createReadStream(path, { highWaterMark: MiB }) };
  const image = await readImageFiles([layer], isScannedPath);
  const packages = analyseFiles(new Map([...image.files].map(([file, kept]) => [file, kept.data])));
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const hwmKiB = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  const result: ChildResult = { ms, cpuSeconds: (used.user + used.system) / 1e6, hwmMiB: hwmKiB / 1024, packages: packages.length, files: image.files.size };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[2] === '--child') {
  const [, , , path, diffId] = process.argv;
  child(path as string, diffId as string).catch((err: unknown) => {
    process.stderr.write(`scan child: ${(err as Error).stack}\n`);
    process.exit(1);
  });
}
