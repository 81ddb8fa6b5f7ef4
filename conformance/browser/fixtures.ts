/**
 * The data the browser suite looks at, made the way users make it: a test Hub filled by the real
 * `nocker` commands (run in process, as the CLI's tests run them) — a base image imported, an
 * application built on it and pushed, signed with a generated key, scanned by the Hub and matched
 * against an imported OSV set — plus namespaces, a reader account, and one repository whose
 * annotations, labels and description are hostile markup, pushed through the registry API.
 */
import { join } from 'node:path';
import { buildCommand } from '../../cli/build.ts';
import { hubAdminCommand, type AdminGroup } from '../../cli/hub-admin.ts';
import { importCommand } from '../../cli/import.ts';
import { keyCommand } from '../../cli/key.ts';
import { pushCommand } from '../../cli/push.ts';
import { sbomCommand } from '../../cli/sbom.ts';
import { signCommand } from '../../cli/sign.ts';
import { tagCommand } from '../../cli/tag.ts';
import { vulndbCommand } from '../../cli/admin/vulndb.ts';
import type { CommandIO } from '../../cli/io.ts';
import { run, sha256, startCliTestHub, type CliTestHub, type Run } from '../../cli/testing.ts';
import { LAYER_MEDIA_TYPE } from '../../engine/build/layer.ts';
import { imageConfig } from '../../engine/image/config.ts';
import { imageManifest } from '../../engine/image/manifest.ts';
import { pushImage } from '../../hub/client/push.ts';
import { CVSS, debianBaseTarball, nodeApplication, osvRecord, waitForScanReport, writeTree } from '../fixture-projects.ts';
import { TEST_ADMIN } from '../harness.ts';

/** Markup that would run if any page rendered it unescaped (as text or inside an attribute). */
export const HOSTILE_SCRIPT = '<script>alert(1)</script>';
export const HOSTILE_ATTRIBUTE = '"><img src=x onerror=alert(1)>';

/** An account the suite signs in with. */
export interface Account {
  name: string;
  password: string;
}

/** One image on the Hub: where it is and its manifest's digest. */
export interface PushedImage {
  repository: string;
  tag: string;
  digest: string;
}

export interface CatalogFixtures {
  cli: CliTestHub;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `127.0.0.1:<port>`, as image references name the Hub. */
  host: string;
  admin: Account;
  /** A user who may read the private namespace and administers nothing. */
  reader: Account;
  /** Public namespace: the base, the application, the hostile repository. */
  publicNamespace: string;
  /** Private namespace: visible to its members (the reader) and administrators only. */
  privateNamespace: string;
  base: PushedImage;
  /** A second tag of the base, for a test to delete. */
  disposableTag: string;
  /** Built on {@link base}, signed by {@link signer}, scanned, with {@link finding} among its vulnerabilities. */
  app: PushedImage;
  /** The name the trust policy gives the signing key. */
  signer: string;
  /** The imported OSV record that affects the application's own files. */
  finding: { id: string; severity: string; package: string; installed: string; fixed: string };
  /** The base's imported record, reported on the application via the base. */
  baseFinding: { id: string; package: string };
  /** A trust policy of the private namespace for staging, for a test to delete. */
  disposablePolicy: { namespace: string; environment: string };
  /** A private repository (built with `nocker build`, pushed with `nocker push`). */
  privateImage: PushedImage;
  /** Annotations, labels and description made of {@link HOSTILE_SCRIPT} and {@link HOSTILE_ATTRIBUTE}. */
  hostile: PushedImage & { description: string; title: string };
  destroy(): Promise<void>;
}

/** Fails with the command's own words when it did not exit 0. */
function succeeded(what: string, result: Run): Run {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return result;
}

/** The OSV set the operator imports: one record for the base's openssl, one for the app's lodash. */
async function osvRecords(dir: string): Promise<string> {
  return writeTree(join(dir, 'osv'), {
    'debian/DEBIAN-CVE-2099-0101.json': osvRecord({ id: 'DEBIAN-CVE-2099-0101', ecosystem: 'Debian:12', name: 'openssl', fixed: '3.0.13-1~deb12u1', vector: CVSS.critical }),
    'npm/GHSA-brws-0000-0001.json': osvRecord({ id: 'GHSA-brws-0000-0001', ecosystem: 'npm', name: 'lodash', fixed: '4.17.21', vector: CVSS.high }),
  });
}

/** Runs `attempt` until it exits 0 (the Hub attaches SBOMs shortly after a scan), for up to 60 s. */
async function eventually(what: string, attempt: () => Promise<Run>): Promise<Run> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const result = await attempt();
    if (result.code === 0) return result;
    if (Date.now() > deadline) return succeeded(what, result);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * Starts a Hub and fills it; `destroy()` stops it and removes everything.
 *
 * @example
 * const fixtures = await startCatalogFixtures();
 * await page.goto(`${fixtures.url}/ui/r/${fixtures.app.repository}`);
 * await fixtures.destroy();
 */
export async function startCatalogFixtures(): Promise<CatalogFixtures> {
  const cli = await startCliTestHub('browser', ({ url }) => ({ NOCKER_HUB: url }));
  try {
    return await fill(cli);
  } catch (error) {
    await cli.destroy();
    throw error;
  }
}

async function fill(cli: CliTestHub): Promise<CatalogFixtures> {
  const { host, dir, env } = cli;
  const nocker = (command: (argv: string[], io: CommandIO) => Promise<number>, argv: string[], stdin = '') => run(command, argv, env, stdin);
  const hub = (group: AdminGroup, argv: string[], stdin = '') => nocker((args, io) => hubAdminCommand(group, args, io), argv, stdin);

  const publicNamespace = 'e2e';
  const privateNamespace = 'vault';
  succeeded('nocker hub namespace create e2e --public', await hub('namespace', ['create', publicNamespace, '--public']));
  succeeded('nocker hub namespace create vault', await hub('namespace', ['create', privateNamespace]));

  const reader: Account = { name: 'reader', password: 'reader-password-0123' };
  succeeded('nocker hub user create reader', await hub('user', ['create', reader.name, '--password-stdin'], reader.password));
  succeeded('nocker hub namespace member add', await hub('namespace', ['member', 'add', privateNamespace, reader.name, 'reader']));

  // The base, imported from a root filesystem tarball.
  const baseRef = `${publicNamespace}/base:1`;
  succeeded('nocker import', await nocker(importCommand, [await debianBaseTarball(dir, 'base', '3.0.11-1~deb12u2'), `${host}/${baseRef}`, '-q']));
  const disposableTag = 'rc';
  succeeded('nocker tag', await nocker(tagCommand, [`${host}/${baseRef}`, `${host}/${publicNamespace}/base:${disposableTag}`, '-q']));

  // The application, built on it and pushed, then tagged latest too.
  const built = succeeded(
    'nocker build --push (copy steps need no OCI runtime; run steps would need runc)',
    await nocker(buildCommand, ['-f', await nodeApplication(join(dir, `${publicNamespace}-app`), { name: `${publicNamespace}/app`, base: baseRef, lodashVersion: '4.17.20' }), '-t', `${host}/${publicNamespace}/app:1`, '--push', '-q']),
  );
  const appDigest = built.stdout.trim();
  succeeded('nocker tag', await nocker(tagCommand, [`${host}/${publicNamespace}/app:1`, `${host}/${publicNamespace}/app:latest`, '-q']));

  // Signed with a generated key that the namespace's trust policy names "release".
  const signer = 'release';
  const keys = join(dir, 'keys');
  succeeded('nocker key generate', await nocker(keyCommand, ['generate', '--out', keys, '--name', signer, '-q']));
  succeeded('nocker hub policy set', await hub('policy', ['set', publicNamespace, '--mode', 'warn', '--key', `${signer}=${join(keys, `${signer}.pub`)}`]));
  succeeded('nocker sign', await nocker(signCommand, [`${host}/${publicNamespace}/app@${appDigest}`, '--key', join(keys, `${signer}.key`), '-q']));

  const disposablePolicy = { namespace: privateNamespace, environment: 'staging' };
  succeeded('nocker hub policy set --env staging', await hub('policy', ['set', privateNamespace, '--env', disposablePolicy.environment, '--mode', 'off']));

  // A private image: built locally, then pushed with nocker push.
  const privateRef = `${host}/${privateNamespace}/tool:1`;
  succeeded('nocker build', await nocker(buildCommand, ['-f', await nodeApplication(join(dir, `${privateNamespace}-tool`), { name: `${privateNamespace}/tool`, base: baseRef, lodashVersion: '4.17.21' }), '-t', privateRef, '-q']));
  const pushed = succeeded('nocker push', await nocker(pushCommand, [privateRef, '--json', '-q']));
  const privateDigest = (JSON.parse(pushed.stdout) as { digest: string }).digest;

  // The operator imports vulnerabilities; the Hub matches the scanned images against them.
  const imported = succeeded('nocker hub vulndb import', await nocker(vulndbCommand, ['import', await osvRecords(dir), '--json']));
  const vulndbVersion = (JSON.parse(imported.stdout) as { version: number }).version;
  await waitForScanReport(cli, `${publicNamespace}/app`, appDigest, { vulndbVersion, timeoutMs: 120_000, intervalMs: 250 });
  await eventually('nocker sbom', () => nocker(sbomCommand, [`${host}/${publicNamespace}/app:1`]));

  const hostile = await pushHostileImage(cli, `${publicNamespace}/hostile`, 'v1');

  return {
    cli,
    url: cli.hub.url,
    host,
    admin: { name: TEST_ADMIN.username, password: TEST_ADMIN.password },
    reader,
    publicNamespace,
    privateNamespace,
    base: { repository: `${publicNamespace}/base`, tag: '1', digest: await digestOf(cli, `${publicNamespace}/base`, '1') },
    disposableTag,
    disposablePolicy,
    app: { repository: `${publicNamespace}/app`, tag: '1', digest: appDigest },
    signer,
    finding: { id: 'GHSA-brws-0000-0001', severity: 'high', package: 'lodash', installed: '4.17.20', fixed: '4.17.21' },
    baseFinding: { id: 'DEBIAN-CVE-2099-0101', package: 'libssl3' },
    privateImage: { repository: `${privateNamespace}/tool`, tag: '1', digest: privateDigest },
    hostile,
    destroy: () => cli.destroy(),
  };
}

/** The digest `tag` of `repository` stands for on the Hub. */
async function digestOf(cli: CliTestHub, repository: string, tag: string): Promise<string> {
  const res = await cli.admin().v2('HEAD', `/v2/${repository}/manifests/${tag}`, { headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' } });
  const digest = res.headers.get('docker-content-digest');
  if (res.status !== 200 || !digest) throw new Error(`HEAD ${repository}:${tag} answered ${res.status}`);
  return digest;
}

/** Pushes a one-layer image whose description, title, other annotations and labels are markup. */
async function pushHostileImage(cli: CliTestHub, repository: string, tag: string): Promise<CatalogFixtures['hostile']> {
  const description = `${HOSTILE_SCRIPT} ${HOSTILE_ATTRIBUTE}`;
  const title = `${HOSTILE_ATTRIBUTE}title`;
  const bytes = Buffer.from(`hostile content of ${repository}:${tag}`);
  const layer = { mediaType: LAYER_MEDIA_TYPE, digest: sha256(bytes), size: bytes.length, bytes };
  const config = imageConfig({
    os: 'linux',
    architecture: 'amd64',
    diffIds: [layer.digest],
    created: 0,
    config: { Cmd: ['/bin/sh', '-c', HOSTILE_SCRIPT], Labels: { 'org.opencontainers.image.description': description, [HOSTILE_SCRIPT]: HOSTILE_ATTRIBUTE, maintainer: HOSTILE_ATTRIBUTE } },
  });
  const manifest = imageManifest({
    config,
    layers: [layer],
    created: 0,
    annotations: {
      'org.opencontainers.image.description': description,
      'org.opencontainers.image.title': title,
      'org.opencontainers.image.source': `javascript:alert(1)//${HOSTILE_ATTRIBUTE}`,
      [`com.example.${HOSTILE_SCRIPT}`]: HOSTILE_SCRIPT,
    },
  });
  await pushImage(cli.admin(), repository, tag, { config, layers: [layer], manifest });
  return { repository, tag, digest: manifest.digest, description, title };
}
