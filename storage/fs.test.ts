/**
 * FsBlobStore: the shared contract, plus what only a filesystem driver can show — its on-disk
 * layout, recovery from a crash mid-append, and confinement to its root.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFile, mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blobStoreContract } from './contract.ts';
import { FsBlobStore } from './fs.ts';

async function makeRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'nocker-fs-'));
}

blobStoreContract('fs', async () => {
  const root = await makeRoot();
  return { store: new FsBlobStore(root), cleanup: () => rm(root, { recursive: true, force: true }) };
});

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function readAll(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of stream as AsyncIterable<Uint8Array>) parts.push(Buffer.from(part));
  return Buffer.concat(parts).toString();
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** Every file under `dir`, as paths relative to it; none when it does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('FsBlobStore', () => {
  let root: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = await makeRoot();
    store = new FsBlobStore(root);
  });

  afterEach(async () => {
    await store.close();
    await rm(root, { recursive: true, force: true });
  });

  it('describes itself by its absolute root and creates nothing up front', async () => {
    expect(store.description).toBe(`fs:${root}`);
    expect(new FsBlobStore('relative/blobs').description).toBe(`fs:${resolve('relative/blobs')}`);
    expect(await readdir(root)).toEqual([]);
  });

  it('keeps blobs and uploads in the documented layout', async () => {
    const id = randomUUID();
    await store.createUpload(id);
    await store.appendUpload(id, 0, chunks('layout'));
    expect(await filesUnder(root)).toEqual([join('uploads', id)]);

    const digest = sha256('layout');
    const hex = digest.slice('sha256:'.length);
    await store.commitUpload(id, 6, digest);
    expect(await filesUnder(root)).toEqual([join('blobs', 'sha256', hex.slice(0, 2), hex)]);
  });

  it('leaves no upload or temporary file behind after a commit', async () => {
    for (const content of ['one', 'two', 'one']) {
      const id = randomUUID();
      await store.createUpload(id);
      await store.appendUpload(id, 0, chunks(content, '-suffix'));
      await store.commitUpload(id, content.length, sha256(content));
    }
    expect(await filesUnder(join(root, 'uploads'))).toEqual([]);
    expect(await filesUnder(join(root, 'tmp'))).toEqual([]);
    expect(await filesUnder(join(root, 'blobs'))).toHaveLength(2);
  });

  it('cuts an upload file left longer than the offset by a crash on the next append', async () => {
    const id = randomUUID();
    const file = join(root, 'uploads', id);
    await store.createUpload(id);
    expect(await store.appendUpload(id, 0, chunks('abc'))).toBe(3);

    // A crash after the bytes reached the file but before the append was acknowledged.
    await appendFile(file, 'garbage that was never acknowledged');
    expect((await stat(file)).size).toBeGreaterThan(3);

    expect(await store.appendUpload(id, 3, chunks('def'))).toBe(6);
    expect((await stat(file)).size).toBe(6);
    expect(await readAll(await store.readUpload(id, 6))).toBe('abcdef');
  });

  it('truncates the file back to the offset when the source fails', async () => {
    const id = randomUUID();
    const file = join(root, 'uploads', id);
    await store.createUpload(id);
    await store.appendUpload(id, 0, chunks('keep'));

    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('lots of bytes that reach the disk');
      yield Buffer.from('and some more');
      throw new Error('disconnect');
    }
    await expect(store.appendUpload(id, 4, failing())).rejects.toThrow('disconnect');
    expect((await stat(file)).size).toBe(4);
  });

  it('refuses an append, read or commit past the end of the file and leaves it alone', async () => {
    const id = randomUUID();
    const file = join(root, 'uploads', id);
    await store.createUpload(id);
    await store.appendUpload(id, 0, chunks('short'));

    const error = await store.appendUpload(id, 100, chunks('x')).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('Error');
    expect((await stat(file)).size).toBe(5);
    // Nor will it stream, or commit, more bytes than the upload holds.
    await expect(store.readUpload(id, 6)).rejects.toThrow(/fewer than/);
    await expect(store.commitUpload(id, 6, sha256('short!'))).rejects.toThrow(/fewer than/);
    expect((await stat(file)).size).toBe(5);
  });

  it('refuses to create an upload that already exists', async () => {
    const id = randomUUID();
    await store.createUpload(id);
    await store.appendUpload(id, 0, chunks('in progress'));
    await expect(store.createUpload(id)).rejects.toThrow(/already exists/);
    expect(await readAll(await store.readUpload(id, 11))).toBe('in progress');
  });

  it('cannot be steered outside its root by a digest or an upload id', async () => {
    // Something a traversal would hit, next to the root.
    const outside = await makeRoot();
    try {
      await writeFile(join(outside, 'victim'), 'do not touch');
      const back = relative(join(root, 'uploads'), outside);
      const ids = [join(back, 'victim'), '../victim', '..', `..${'/..'.repeat(10)}/etc/passwd`, 'x/../../victim'];
      for (const id of ids) {
        await expect(store.createUpload(id)).rejects.toThrow(/invalid upload id/);
        await expect(store.appendUpload(id, 0, chunks('x'))).rejects.toThrow(/invalid upload id/);
        await expect(store.readUpload(id, 0)).rejects.toThrow(/invalid upload id/);
        await expect(store.abortUpload(id)).rejects.toThrow(/invalid upload id/);
      }
      const digests = [
        `sha256:${back}/victim`,
        `sha256:../../../${'a'.repeat(55)}`,
        `../../sha256:${'a'.repeat(64)}`,
        `sha256:${'a'.repeat(62)}/..`,
        `..:${'a'.repeat(64)}`,
      ];
      for (const digest of digests) {
        await expect(store.stat(digest)).rejects.toThrow(/invalid digest/);
        await expect(store.read(digest)).rejects.toThrow(/invalid digest/);
        await expect(store.delete(digest)).rejects.toThrow(/invalid digest/);
      }
      expect(await filesUnder(outside)).toEqual(['victim']);
      expect(await exists(join(root, '..', 'victim'))).toBe(false);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('lists only well-formed blob and upload paths', async () => {
    const id = randomUUID();
    await store.createUpload(id);
    await store.appendUpload(id, 0, chunks('real'));
    await store.commitUpload(id, 4, sha256('real'));
    const pending = randomUUID();
    await store.createUpload(pending);

    const hex = 'b'.repeat(64);
    const junk: string[] = [
      'blobs/README',
      `blobs/md5/bb/${'b'.repeat(32)}`,
      `blobs/sha256/bb/${'b'.repeat(63)}`,
      `blobs/sha256/bb/${'B'.repeat(64)}`,
      `blobs/sha256/cc/${hex}`, // in the wrong fan-out directory
      `blobs/sha256/bbb/${hex}`,
      `blobs/sha256/bb/${hex}.partial`,
      'uploads/not.an.id',
    ];
    for (const path of junk) {
      await mkdir(join(root, path, '..'), { recursive: true });
      await writeFile(join(root, path), 'junk');
    }
    // A directory where a blob file would be is not a blob either.
    await mkdir(join(root, 'blobs', 'sha256', 'bb', hex), { recursive: true });
    await mkdir(join(root, 'uploads', 'a-directory'), { recursive: true });

    const blobs: string[] = [];
    for await (const blob of store.list()) blobs.push(blob.digest);
    expect(blobs).toEqual([sha256('real')]);
    const uploads: string[] = [];
    for await (const upload of store.listUploads()) uploads.push(upload.id);
    expect(uploads).toEqual([pending]);
  });

  it('never redirects, and cleans up only stale temporary files', async () => {
    const digest = sha256('served by the Hub');
    expect(await store.redirectUrl(digest)).toBeUndefined();

    await mkdir(join(root, 'tmp'), { recursive: true });
    await writeFile(join(root, 'tmp', 'stale'), 'left by a crash');
    await writeFile(join(root, 'tmp', 'fresh'), 'being written');
    await utimes(join(root, 'tmp', 'stale'), new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
    expect(await store.cleanup(new Date(Date.now() - 3_600_000))).toEqual(['tmp/stale']);
    expect(await filesUnder(join(root, 'tmp'))).toEqual(['fresh']);
    expect(await new FsBlobStore(join(root, 'nothing-here')).cleanup(new Date())).toEqual([]);
  });

  it('reports a stray file in place of a fan-out directory as a missing blob', async () => {
    const digest = sha256('shadowed');
    const hex = digest.slice('sha256:'.length);
    await mkdir(join(root, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(root, 'blobs', 'sha256', hex.slice(0, 2)), 'not a directory');
    expect(await store.stat(digest)).toBeNull();
    await expect(store.read(digest)).rejects.toThrow(/not in storage/);
    await store.delete(digest);
  });
});
