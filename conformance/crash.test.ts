/**
 * A Hub process killed (SIGKILL) in the middle of an upload: after a restart on the same data,
 * the upload resumes from the last acknowledged byte, nothing partial is visible as a blob, and
 * everything pushed before is still served.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestEnvironment, type TestEnvironment } from './harness.ts';
import { bodyBytes, getManifest, http, pushImage, randomBlob, sha256, startUpload, uniqueRepo, withQuery } from './helpers.ts';

const CLI = fileURLToPath(new URL('../cli/nocker.js', import.meta.url));

interface HubProcess {
  url: string;
  child: ChildProcess;
}

/** Starts `nocker hub serve` on a free port and waits for its start-up line. */
function spawnHub(environment: TestEnvironment): Promise<HubProcess> {
  const child = spawn(process.execPath, [CLI, 'hub', 'serve'], {
    cwd: environment.dataDir,
    env: { PATH: process.env.PATH, ...environment.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the Hub did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], child });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the Hub exited with ${code}:\n${output}`)));
  });
}

function kill(hub: HubProcess): Promise<void> {
  return new Promise((resolve) => {
    if (hub.child.exitCode !== null || hub.child.signalCode !== null) return resolve();
    hub.child.once('exit', () => resolve());
    hub.child.kill('SIGKILL');
  });
}

describe('a Hub killed in the middle of an upload', () => {
  let environment: TestEnvironment;
  let hub: HubProcess;

  beforeAll(async () => {
    environment = await createTestEnvironment();
    hub = await spawnHub(environment);
  });

  afterAll(async () => {
    if (hub) await kill(hub);
    await environment?.dispose();
  });

  it('resumes from the acknowledged bytes and keeps everything pushed before', async () => {
    const repo = uniqueRepo('crash');
    const image = await pushImage(hub.url, repo, 'before');
    const blob = randomBlob(3 * 1024 * 1024);
    const first = blob.subarray(0, 1024 * 1024);

    const location = await startUpload(hub.url, repo);
    const patched = await http(hub.url, location, {
      method: 'PATCH',
      body: first,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${first.length - 1}`, 'Content-Length': String(first.length) },
    });
    expect(patched.status).toBe(202);
    const next = patched.headers.get('location') ?? location;

    // A second chunk is half sent when the process dies: those bytes were never acknowledged.
    const url = new URL(next, hub.url);
    const half = blob.subarray(first.length, first.length + 512 * 1024);
    const hanging = request(url, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${first.length}-${2 * first.length - 1}`, 'Content-Length': String(first.length) },
    });
    hanging.on('error', () => {});
    hanging.write(half);
    await new Promise((r) => setTimeout(r, 300));
    await kill(hub);

    hub = await spawnHub(environment);
    const status = await http(hub.url, next);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe(`0-${first.length - 1}`);

    const digest = sha256(blob);
    const rest = blob.subarray(first.length);
    const finished = await http(hub.url, withQuery(status.headers.get('location') ?? next, { digest }), {
      method: 'PUT',
      body: rest,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(rest.length) },
    });
    expect(finished.status).toBe(201);
    const fetched = await http(hub.url, `/v2/${repo}/blobs/${digest}`);
    expect(fetched.status).toBe(200);
    expect(sha256(await bodyBytes(fetched))).toBe(digest);

    const before = await getManifest(hub.url, repo, 'before');
    expect(before.status).toBe(200);
    expect(before.headers.get('docker-content-digest')).toBe(image.manifest.digest);
    const layer = await http(hub.url, `/v2/${repo}/blobs/${image.layer.descriptor.digest}`);
    expect(Buffer.compare(await bodyBytes(layer), image.layer.bytes)).toBe(0);
  });
});
