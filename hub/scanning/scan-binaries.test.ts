import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, TEST_ADMIN, type TestHub } from '../../conformance/harness.ts';
import { HubClient } from '../client/client.ts';
import { fetchScanReport } from '../client/scans.ts';
import { zipArchive } from '../oci/testing-zip.ts';
import { testElf, testGoBuildInfo } from './binary/testing-elf.ts';
import { insertRecord, pushLayers, waitForScan } from './testing.ts';

/** `go version -m` of the test binary: Go modules write their versions with a leading `v`. */
const MODINFO = ['path\texample.com/app/cmd/app', 'mod\texample.com/app\tv1.0.0\th1:app=', 'dep\tgolang.org/x/net\tv0.17.0\th1:net=', 'dep\tgolang.org/x/text\tv0.14.0\th1:text=', ''].join('\n');

const GO_BINARY = testElf({ sections: [{ name: '.go.buildinfo', data: testGoBuildInfo('go1.21.3', MODINFO) }] });

const pom = (group: string, artifact: string, version: string) => ({
  name: `META-INF/maven/${group}/${artifact}/pom.properties`,
  content: `groupId=${group}\nartifactId=${artifact}\nversion=${version}\n`,
});

/** An application jar holding log4j-core's pom.properties and, nested, commons-text's jar. */
const APP_JAR = zipArchive([
  { name: 'META-INF/MANIFEST.MF', content: 'Manifest-Version: 1.0\n' },
  pom('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
  { name: 'BOOT-INF/lib/commons-text-1.9.jar', content: zipArchive([pom('org.apache.commons', 'commons-text', '1.9')]) },
]);

describe('scanning Go binaries and Java archives', () => {
  let hub: TestHub;
  let client: HubClient;

  beforeAll(async () => {
    hub = await startTestHub();
    client = new HubClient({ url: hub.url, credentials: { username: TEST_ADMIN.username, password: TEST_ADMIN.password } });
    const db = hub.scans.db;
    // OSV's Go records write versions without the `v` the build info has.
    await insertRecord(db, 'GO-2099-0001', 'high', [{ ecosystem: 'Go', name: 'golang.org/x/net', fixed: '0.23.0' }]);
    await insertRecord(db, 'GO-2099-0002', 'medium', [{ ecosystem: 'Go', name: 'stdlib', fixed: '1.21.5' }]);
    await insertRecord(db, 'GHSA-log4shell', 'critical', [{ ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', introduced: '2.0-beta9', fixed: '2.15.0' }]);
    // Not affecting: fixed below the installed versions, another module, another group.
    await insertRecord(db, 'GHSA-log4j-old', 'critical', [{ ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core', fixed: '2.0' }]);
    await insertRecord(db, 'GO-2099-0003', 'critical', [{ ecosystem: 'Go', name: 'golang.org/x/text', fixed: '0.3.8' }]);
    await insertRecord(db, 'GO-2099-0004', 'critical', [{ ecosystem: 'Go', name: 'golang.org/x/crypto' }]);
    await insertRecord(db, 'GHSA-log4j-api', 'critical', [{ ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-api' }]);
  });
  afterAll(async () => {
    await hub?.destroy();
  });

  it("finds a Go binary's modules and a jar's libraries, in the layers that hold them, and exactly their vulnerabilities", async () => {
    const image = await pushLayers(client, 'team/binaries', 'v1', [
      [{ path: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' }],
      [{ path: 'usr/local/bin/app', mode: 0o755, content: GO_BINARY }],
      [{ path: 'opt/app/lib/app.jar', content: APP_JAR }],
    ]);
    const report = await waitForScan(() => fetchScanReport(client, 'team/binaries', 'v1'));
    expect(report).toMatchObject({ digest: image.digest, status: 'done' });

    const packages = report.packages.map((p) => [p.type, p.name, p.version, p.ecosystem, p.purl, p.layer]).sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(packages).toEqual([
      ['golang', 'example.com/app', 'v1.0.0', 'Go', 'pkg:golang/example.com/app@v1.0.0', image.layers[1]],
      ['golang', 'golang.org/x/net', 'v0.17.0', 'Go', 'pkg:golang/golang.org/x/net@v0.17.0', image.layers[1]],
      ['golang', 'golang.org/x/text', 'v0.14.0', 'Go', 'pkg:golang/golang.org/x/text@v0.14.0', image.layers[1]],
      ['maven', 'org.apache.commons:commons-text', '1.9', 'Maven', 'pkg:maven/org.apache.commons/commons-text@1.9', image.layers[2]],
      ['maven', 'org.apache.logging.log4j:log4j-core', '2.14.1', 'Maven', 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', image.layers[2]],
      ['golang', 'stdlib', '1.21.3', 'Go', 'pkg:golang/stdlib@1.21.3', image.layers[1]],
    ]);
    expect(report.packages.filter((p) => p.type === 'golang').every((p) => p.path === 'usr/local/bin/app')).toBe(true);
    expect(report.packages.filter((p) => p.type === 'maven').every((p) => p.path === 'opt/app/lib/app.jar')).toBe(true);

    expect(report.vulnerabilities.map((v) => [v.id, v.severity, v.package.name, v.installedVersion, v.fixedVersion, v.layer])).toEqual([
      ['GHSA-log4shell', 'critical', 'org.apache.logging.log4j:log4j-core', '2.14.1', '2.15.0', image.layers[2]],
      ['GO-2099-0001', 'high', 'golang.org/x/net', 'v0.17.0', '0.23.0', image.layers[1]],
      ['GO-2099-0002', 'medium', 'stdlib', '1.21.3', '1.21.5', image.layers[1]],
    ]);
    expect(report.counts).toEqual({ critical: 1, high: 1, medium: 1, low: 0, unknown: 0 });
  });

  it('goes by the layer that last wrote the archive, and forgets a binary a whiteout hid or a script replaced', async () => {
    const fixedJar = zipArchive([pom('org.apache.logging.log4j', 'log4j-core', '2.17.1')]);
    const image = await pushLayers(client, 'team/binaries', 'v2', [
      [
        { path: 'usr/local/bin/app', mode: 0o755, content: GO_BINARY },
        { path: 'usr/local/bin/tool', mode: 0o755, content: GO_BINARY },
        { path: 'opt/app/lib/app.jar', content: APP_JAR },
      ],
      [
        { path: 'usr/local/bin/.wh.app' },
        // Rewritten as a script: what was extracted from the binary goes with it.
        { path: 'usr/local/bin/tool', mode: 0o755, content: '#!/bin/sh\nexit 0\n' },
        { path: 'opt/app/lib/app.jar', content: fixedJar },
      ],
    ]);
    const report = await waitForScan(() => fetchScanReport(client, 'team/binaries', 'v2'));
    expect(report.status).toBe('done');
    expect(report.packages.map((p) => [p.name, p.version, p.layer])).toEqual([['org.apache.logging.log4j:log4j-core', '2.17.1', image.layers[1]]]);
    expect(report.vulnerabilities).toEqual([]);
  });
});
