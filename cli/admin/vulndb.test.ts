/** `nocker hub vulndb …`: reading OSV exports from disk, and the commands against a real Hub. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImportResult, VulndbStatus } from '../../hub/client/vulndb.ts';
import { zipArchive } from '../../hub/oci/testing-zip.ts';
import { type CliTestHub, run, startCliTestHub } from '../testing.ts';
import { UsageError } from '../usage.ts';
import { readOsvLines } from './osv-files.ts';
import { vulndbCommand } from './vulndb.ts';

let cli: CliTestHub;
const nocker = (argv: string[]) => run(vulndbCommand, argv, cli.env);

/** An OSV record for `name` in `ecosystem`, as pretty-printed JSON like OSV's exports. */
const record = (id: string, ecosystem: string, name: string, modified = '2024-01-01T00:00:00Z', extra: Record<string, unknown> = {}) =>
  JSON.stringify({ id, modified, affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }] }], ...extra }, null, 2);

/** Writes `files` (relative path → text) under `dir`. */
async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  }
}

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const line of lines) all.push(line);
  return all;
}

beforeAll(async () => {
  cli = await startCliTestHub('hub-vulndb', ({ url }) => ({ NOCKER_HUB: url }));
});

afterAll(async () => {
  await cli?.destroy();
});

describe('reading OSV exports', () => {
  it('reads every .json file below a directory in path order, one record a line, skipping what is not JSON or too large', async () => {
    const dir = join(cli.dir, 'read-dir');
    await writeTree(dir, {
      'b/GHSA-2.json': record('GHSA-2', 'npm', 'b'),
      'a/GHSA-1.json': record('GHSA-1', 'npm', 'a'),
      'a/list.json': `[${record('GHSA-3', 'npm', 'c')}, ${record('GHSA-4', 'npm', 'd')}]`,
      'a/broken.json': '{"id": ',
      'c/huge.json': record('GHSA-5', 'npm', 'e', undefined, { details: 'x'.repeat(2000) }),
      'README.md': '# not a record',
    });
    const source = await readOsvLines(dir, 1000);
    const lines = await collect(source.lines);
    expect(lines.map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['GHSA-1', 'GHSA-3', 'GHSA-4', 'GHSA-2']);
    expect(lines.every((line) => !line.includes('\n'))).toBe(true);
    expect(source.problems).toEqual([
      { file: join('a', 'broken.json'), reason: expect.stringMatching(/^not JSON: /) },
      { file: join('c', 'huge.json'), reason: expect.stringMatching(/^\d+ bytes, more than the 1000 a record may take$/) },
    ]);
    expect([1, 2, 4].map(source.fileOfLine)).toEqual([join('a', 'GHSA-1.json'), join('a', 'list.json'), join('b', 'GHSA-2.json')]);
  });

  it('reads a zip entry by entry, and reports an entry larger than a record may be', async () => {
    const dir = join(cli.dir, 'read-zip');
    await mkdir(dir, { recursive: true });
    await writeFile(
      join(dir, 'all.zip'),
      zipArchive([
        { name: 'DSA-1.json', content: record('DSA-1', 'Debian:12', 'openssl') },
        { name: 'DSA-2.json', content: record('DSA-2', 'Debian:12', 'curl', undefined, { details: 'y'.repeat(2000) }) },
      ]),
    );
    const source = await readOsvLines(join(dir, 'all.zip'), 1000);
    expect((await collect(source.lines)).map((line) => (JSON.parse(line) as { id: string }).id)).toEqual(['DSA-1']);
    expect(source.problems).toEqual([{ file: 'all.zip:DSA-2.json', reason: expect.stringMatching(/more than the 1000 a record may take/) }]);
    expect(source.fileOfLine(1)).toBe('all.zip:DSA-1.json');
  });

  it('refuses paths that are none of a directory, a .json file or a .zip', async () => {
    await expect(readOsvLines(join(cli.dir, 'absent'))).rejects.toThrow(/cannot read .*absent \(ENOENT\)/);
    await writeTree(cli.dir, { 'records.txt': 'x', 'empty/notes.md': 'x', 'fake.zip': 'not a zip' });
    await expect(readOsvLines(join(cli.dir, 'records.txt'))).rejects.toThrow(UsageError);
    await expect(readOsvLines(join(cli.dir, 'empty'))).rejects.toThrow(/there are no \.json files under/);
    const fake = await readOsvLines(join(cli.dir, 'fake.zip'));
    await expect(collect(fake.lines)).rejects.toThrow(/fake\.zip is not a zip archive that can be read/);
  });
});

describe('nocker hub vulndb', () => {
  it('reports an empty database', async () => {
    const status = await nocker(['status']);
    expect(status).toMatchObject({ code: 0, stderr: '' });
    expect(status.stdout).toBe('version:      none (nothing imported yet)\nrecords:      0 (0 withdrawn)\nlast import:  -\n');
  });

  it('imports a folder of JSON files, listing what was rejected and where it came from', async () => {
    const dir = join(cli.dir, 'osv');
    await writeTree(dir, {
      'npm/GHSA-aaaa.json': record('GHSA-aaaa', 'npm', 'left-pad'),
      'PyPI/PYSEC-1.json': record('PYSEC-1', 'PyPI', 'Zope.Interface'),
      'PyPI/PYSEC-2.json': JSON.stringify({ id: 'PYSEC-2', affected: [] }),
      'broken.json': '{',
    });
    const result = await nocker(['import', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('Imported 4 records from osv: 2 added, 0 updated, 0 withdrawn, 0 unchanged, 2 rejected; database version 1; 0 images to rescan\n');
    expect(result.stderr).toMatch(/^Rejected:\n {2}broken\.json: not JSON: .*\n {2}PyPI\/PYSEC-2\.json \(PYSEC-2\): PYSEC-2: modified is missing\n$/);
  });

  it('imports OSV’s all.zip, updating and withdrawing what changed, and reports the new status', async () => {
    const files = {
      'GHSA-aaaa.json': record('GHSA-aaaa', 'npm', 'left-pad', '2024-03-01T00:00:00Z', { withdrawn: '2024-03-01T00:00:00Z' }),
      'PYSEC-1.json': record('PYSEC-1', 'PyPI', 'zope-interface', '2024-02-01T00:00:00Z', { summary: 'now with a summary' }),
      'DSA-1.json': record('DSA-1', 'Debian:12', 'openssl'),
      'DSA-2.json': record('DSA-2', 'Debian:12', 'curl'),
      'DSA-3.json': record('DSA-3', 'Debian:11', 'curl'),
    };
    const zip = join(cli.dir, 'all.zip');
    await writeFile(zip, zipArchive(Object.entries(files).map(([name, content]) => ({ name, content }))));
    const result = await nocker(['import', zip, '--json']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const json = JSON.parse(result.stdout) as ImportResult & { unreadable: unknown[] };
    expect(json).toMatchObject({ version: 2, counts: { added: 3, updated: 1, withdrawn: 1, skipped: 0, rejected: 0 }, rejected: [], rescanned: 0, unreadable: [] });

    const again = await nocker(['import', zip]);
    expect(again.stdout).toBe('Imported 5 records from all.zip: 0 added, 0 updated, 0 withdrawn, 5 unchanged, 0 rejected; database version 3; 0 images to rescan\n');

    const status = JSON.parse((await nocker(['status', '--json'])).stdout) as VulndbStatus;
    expect(status).toMatchObject({ version: 3, records: 5, withdrawn: 1, lastImport: { id: 3, importedBy: 'admin', source: 'all.zip' } });
    expect(status.ecosystems).toEqual([
      { ecosystem: 'Debian:11', records: 1 },
      { ecosystem: 'Debian:12', records: 2 },
      { ecosystem: 'PyPI', records: 1 },
    ]);
    const text = (await nocker(['status'])).stdout;
    expect(text).toMatch(/^version: {6}3\nrecords: {6}5 \(1 withdrawn\)\nlast import: {2}\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ by admin from all\.zip: 0 added, 0 updated, 0 withdrawn, 5 unchanged, 0 rejected\n\n/);
    expect(text).toContain('ECOSYSTEM  RECORDS\nDebian:11  1\nDebian:12  2\nPyPI       1\n');
  });

  it('says what it takes', async () => {
    await expect(nocker(['import'])).rejects.toThrow('nocker hub vulndb import takes PATH, got none');
    await expect(nocker(['frobnicate'])).rejects.toThrow('unknown hub vulndb command "frobnicate"');
    expect((await nocker(['--help'])).stdout).toContain('nocker hub vulndb import PATH');
  });
});
