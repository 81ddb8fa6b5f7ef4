/**
 * Which uid and gid a container's process runs as: the image's `User` (or `--user`) read as
 * Docker reads it — `uid`, `uid:gid`, `name`, `name:group` — with names looked up in the image's
 * own `/etc/passwd` and `/etc/group`, never the host's.
 */
import { readFile } from 'node:fs/promises';
import { resolveInRoot } from '../build/unpack.ts';

export interface ProcessUser {
  uid: number;
  gid: number;
  /** Supplementary groups from the image's `/etc/group`. */
  additionalGids: number[];
}

/** The user that high security runs an image as when the image names none: nobody. */
export const UNPRIVILEGED_USER = '65534:65534';

/** The lines of a colon-separated database in the image (`etc/passwd`), or none when missing. */
async function readDatabase(rootfs: string, path: string): Promise<string[][]> {
  const text = await readFile(await resolveInRoot(rootfs, path), 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#')).map((line) => line.split(':'));
}

const NUMERIC = /^\d+$/;

/**
 * Resolves `spec` inside the image at `rootfs`. A numeric uid without a gid takes the gid of
 * its passwd entry, or 0 when there is none (as Docker does). Throws when a name is unknown.
 *
 * @example
 * await resolveUser('/var/lib/nocker/rootfs/…', '1000:1000'); // { uid: 1000, gid: 1000, additionalGids: [] }
 * await resolveUser(rootfs, 'nobody'); // from the image's /etc/passwd
 */
export async function resolveUser(rootfs: string, spec: string): Promise<ProcessUser> {
  const [userPart = '', groupPart] = spec.split(':', 2);
  const passwd = await readDatabase(rootfs, 'etc/passwd');
  const groups = await readDatabase(rootfs, 'etc/group');
  const entry = passwd.find((fields) => (NUMERIC.test(userPart) ? fields[2] === userPart : fields[0] === userPart));
  let uid: number;
  if (NUMERIC.test(userPart)) uid = Number(userPart);
  else if (userPart === '' || userPart === 'root') uid = 0;
  else if (entry?.[2] !== undefined && NUMERIC.test(entry[2])) uid = Number(entry[2]);
  else throw new Error(`user "${userPart}" is not in the image's /etc/passwd`);

  let gid: number;
  if (groupPart === undefined || groupPart === '') {
    gid = entry?.[3] !== undefined && NUMERIC.test(entry[3]) ? Number(entry[3]) : 0;
  } else if (NUMERIC.test(groupPart)) {
    gid = Number(groupPart);
  } else {
    const group = groups.find((fields) => fields[0] === groupPart);
    if (group?.[2] === undefined || !NUMERIC.test(group[2])) throw new Error(`group "${groupPart}" is not in the image's /etc/group`);
    gid = Number(group[2]);
  }
  const name = entry?.[0];
  const additionalGids = name === undefined ? [] : groups.filter((fields) => (fields[3] ?? '').split(',').includes(name) && fields[2] !== undefined && NUMERIC.test(fields[2])).map((fields) => Number(fields[2]));
  return { uid, gid, additionalGids: additionalGids.filter((g) => g !== gid) };
}
