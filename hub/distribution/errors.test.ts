import { describe, expect, it } from 'vitest';
import { HTTPException } from 'hono/http-exception';
import { BlobNotFoundError } from '../../storage/blobstore.ts';
import { OciError } from '../oci/errors.ts';
import { errorResponse, toOciError } from './errors.ts';

describe('toOciError', () => {
  it('passes OciErrors through', () => {
    const err = new OciError('TAG_INVALID', 'bad tag');
    expect(toOciError(err)).toBe(err);
  });

  it('reports bytes missing from storage as BLOB_UNKNOWN, not as a server failure', () => {
    const err = toOciError(new BlobNotFoundError('sha256:' + 'a'.repeat(64)));
    expect(err.code).toBe('BLOB_UNKNOWN');
    expect(err.status).toBe(404);
  });

  it('keeps the status of an HTTP exception', () => {
    expect(toOciError(new HTTPException(413, { message: 'too big' }))).toMatchObject({ code: 'SIZE_INVALID', status: 413 });
  });

  it('hides anything else behind INTERNAL without its message', () => {
    const err = toOciError(new Error('secret path /var/lib/x'));
    expect(err.code).toBe('INTERNAL');
    expect(err.status).toBe(500);
    expect(err.message).not.toContain('/var/lib');
  });
});

describe('errorResponse', () => {
  it('renders the spec error document with the status and extra headers', async () => {
    const res = errorResponse(new OciError('RANGE_INVALID', 'no', { status: 416, headers: { Range: '0-9' }, detail: { n: 1 } }));
    expect(res.status).toBe(416);
    expect(res.headers.get('range')).toBe('0-9');
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ errors: [{ code: 'RANGE_INVALID', message: 'no', detail: { n: 1 } }] });
  });

  it('sends no body to a HEAD request but keeps the length', async () => {
    const res = errorResponse(new OciError('BLOB_UNKNOWN', 'gone'), true);
    expect(await res.text()).toBe('');
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(0);
  });
});
