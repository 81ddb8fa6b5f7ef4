/** `GET /api/v1/repositories/NAME/resolve?range=RANGE` over HTTP, against a real Hub. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createNamespace, createUser, httpAs, member } from '../../conformance/auth-helpers.ts';
import { TEST_ADMIN, useTestHub } from '../../conformance/harness.ts';
import { http } from '../../conformance/helpers.ts';
import { pushSampleImage, type SampleImage } from '../../cli/testing.ts';
import { HubClient } from '../client/client.ts';
import { resolveRange } from '../client/resolve.ts';
import { OciError } from '../oci/errors.ts';

let base: string;
useTestHub((hub) => (base = hub.url));

const admin = () => new HubClient({ url: base, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
let namespace: string;
let repository: string;
const images: Record<string, SampleImage> = {};

beforeAll(async () => {
  namespace = await createNamespace(base, { visibility: 'private' });
  repository = `${namespace}/runtime`;
  for (const tag of ['1.0.0', 'v1.2.0', '1.2.5', '1.3.0-rc.1', '2.0.0', 'latest']) images[tag] = await pushSampleImage(admin(), repository, tag);
});

describe('resolve endpoint', () => {
  it('answers the highest tag satisfying the range, with its digest and media type', async () => {
    expect(await resolveRange(admin(), repository, '^1.2')).toEqual({
      repository,
      range: '^1.2',
      tag: '1.2.5',
      digest: images['1.2.5']?.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    expect((await resolveRange(admin(), repository, '~1.2.0')).tag).toBe('1.2.5');
    expect((await resolveRange(admin(), repository, '>=1 <1.2')).tag).toBe('1.0.0');
    expect((await resolveRange(admin(), repository, '1.2.0')).tag).toBe('v1.2.0');
    expect((await resolveRange(admin(), repository, '*')).tag).toBe('2.0.0');
    expect((await resolveRange(admin(), repository, '^1.3.0-rc.0')).tag).toBe('1.3.0-rc.1');
    expect((await resolveRange(admin(), repository, '^1 || ^3')).tag).toBe('1.2.5');
  });

  it('moves with the tags: a newer tag in range is picked up', async () => {
    const repo = `${namespace}/moving`;
    await pushSampleImage(admin(), repo, '1.2.0');
    expect((await resolveRange(admin(), repo, '^1.2')).tag).toBe('1.2.0');
    const newer = await pushSampleImage(admin(), repo, '1.4.1');
    expect(await resolveRange(admin(), repo, '^1.2')).toMatchObject({ tag: '1.4.1', digest: newer.digest });
  });

  it('answers 404 MANIFEST_UNKNOWN naming the SemVer tags when none satisfies', async () => {
    const res = await http(base, `/api/v1/repositories/${repository}/resolve?range=${encodeURIComponent('^3')}`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { errors: { code: string; message: string }[] };
    expect(body.errors[0]).toMatchObject({ code: 'MANIFEST_UNKNOWN', message: `no tag of ${repository} satisfies ^3 (tags: 1.0.0, v1.2.0, 1.2.5, 1.3.0-rc.1, 2.0.0)` });
    const error = await resolveRange(admin(), repository, '<1').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(OciError);
    expect((error as OciError).message).toBe(`no tag of ${repository} satisfies <1 (tags: 1.0.0, v1.2.0, 1.2.5, 1.3.0-rc.1, 2.0.0)`);
  });

  it('answers 400 for a range that is not one, and NAME_UNKNOWN for a repository that is not there', async () => {
    const invalid = (await resolveRange(admin(), repository, '^banana').catch((err: unknown) => err)) as OciError;
    expect(invalid).toMatchObject({ code: 'REQUEST_INVALID', status: 400 });
    expect(invalid.message).toBe('invalid version range "^banana": "banana" is not a version (MAJOR[.MINOR[.PATCH[-PRERELEASE]]], parts may be x or *)');
    const missing = (await resolveRange(admin(), `${namespace}/nothing`, '^1').catch((err: unknown) => err)) as OciError;
    expect(missing).toMatchObject({ code: 'NAME_UNKNOWN', status: 404 });
    const noRange = await http(base, `/api/v1/repositories/${repository}/resolve`);
    expect(noRange.status).toBe(400);
  });

  it('needs pull permission on the repository', async () => {
    const reader = await member(base, namespace, 'reader');
    const client = (account: { name: string; password: string }) => new HubClient({ url: base, credentials: { username: account.name, password: account.password } });
    expect((await resolveRange(client(reader), repository, '^2')).tag).toBe('2.0.0');
    const stranger = await createUser(base);
    const denied = (await resolveRange(client(stranger), repository, '^2').catch((err: unknown) => err)) as OciError;
    expect(denied).toBeInstanceOf(OciError);
    expect([401, 403, 404]).toContain(denied.status);
    const anonymous = await httpAs(base, undefined, `/api/v1/repositories/${repository}/resolve?range=%5E2`);
    expect([401, 403, 404]).toContain(anonymous.status);
  });
});
