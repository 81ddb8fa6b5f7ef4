import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeDatagram, parseRelayTarget, readDatagrams } from './port-relay.ts';
import { publishPorts, type PortPublisher } from './ports.ts';

describe('the relay wire format', () => {
  it('frames datagrams however the stream splits them', () => {
    const stream = new PassThrough();
    const seen: string[] = [];
    readDatagrams(stream, (payload) => seen.push(payload.toString()));
    const bytes = Buffer.concat([encodeDatagram(Buffer.from('one')), encodeDatagram(Buffer.alloc(0)), encodeDatagram(Buffer.from('three'))]);
    for (const byte of bytes) stream.write(Buffer.of(byte));
    expect(seen).toEqual(['one', '', 'three']);
  });

  it('reads relay targets and refuses anything else', () => {
    expect(parseRelayTarget('tcp:8000')).toEqual({ protocol: 'tcp', containerPort: 8000 });
    expect(parseRelayTarget('udp:53')).toEqual({ protocol: 'udp', containerPort: 53 });
    for (const bad of ['tcp:0', 'tcp:70000', 'sctp:1', 'tcp:', '8000']) expect(() => parseRelayTarget(bad)).toThrow(/not a relay target/);
  });
});

function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const BUSYBOX = '/bin/busybox';
const runtimeHere = process.getuid?.() === 0 && existsSync(BUSYBOX) && onPath('unshare') && onPath('nsenter');
const required = process.env.NOCKER_TEST_REQUIRE_RUNTIME === '1';

describe.skipIf(!runtimeHere && !required)('publishPorts (root, network namespaces)', () => {
  let dir: string;
  let socketDir: string;
  let started: ChildProcess[];
  let publishers: PortPublisher[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nocker-ports-'));
    socketDir = join(dir, 's');
    started = [];
    publishers = [];
  });
  afterEach(async () => {
    await Promise.all(publishers.map((publisher) => publisher.close()));
    for (const child of started) killGroup(child);
    for (const pid of await relayPids(socketDir)) process.kill(pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  function killGroup(child: ChildProcess): void {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }

  /** Starts a process in a group of its own (so that all it starts dies with it), killed after the test. */
  function start(command: string, args: string[]): ChildProcess {
    const child = spawn(command, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    started.push(child);
    return child;
  }

  /** A process holding a new network namespace with only loopback, up. */
  async function namespace(): Promise<number> {
    const holder = start('unshare', ['--net', '--', BUSYBOX, 'sh', '-c', `${BUSYBOX} ip link set lo up && exec ${BUSYBOX} sleep 600`]);
    const pid = holder.pid;
    if (pid === undefined) throw new Error('unshare did not start');
    // Up once the shell has become sleep (unshare and sh exec, so the pid stays the same).
    for (let i = 0; i < 200; i++) {
      if ((await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).startsWith(`${BUSYBOX}\0sleep\0`)) return pid;
      await sleep(25);
    }
    throw new Error('the namespace holder did not start');
  }

  /** Runs a command inside the namespace of `pid`, killed after the test. */
  function inside(pid: number, command: string, args: string[]): ChildProcess {
    return start('nsenter', [`--net=/proc/${pid}/ns/net`, '--', command, ...args]);
  }

  function run(command: string, args: string[]): Promise<string> {
    return new Promise((resolve, reject) =>
      execFile(command, args, { encoding: 'utf8', timeout: 10_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${command} failed: ${stderr}`)) : resolve(stdout))),
    );
  }

  /** Waits until something in the namespace of `pid` listens on `port`. */
  async function listening(pid: number, port: number, protocol: 'tcp' | 'udp' = 'tcp'): Promise<void> {
    for (let i = 0; i < 200; i++) {
      const table = await run('nsenter', [`--net=/proc/${pid}/ns/net`, '--', BUSYBOX, 'netstat', protocol === 'tcp' ? '-ltn' : '-lun']);
      if (table.includes(`127.0.0.1:${port} `)) return;
      await sleep(25);
    }
    throw new Error(`nothing listens on ${port}/${protocol} in the namespace`);
  }

  async function freePort(): Promise<number> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  /** The relay processes serving `socketDir`, found by their command line. */
  async function relayPids(socketDir: string): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
      const args = cmdline.split('\0');
      if (args.some((arg) => arg.endsWith('port-relay.ts')) && args.includes(socketDir)) pids.push(Number(entry));
    }
    return pids;
  }

  async function gone(pids: number[]): Promise<boolean> {
    for (let i = 0; i < 200; i++) {
      if (pids.every((pid) => !existsSync(`/proc/${pid}`))) return true;
      await sleep(25);
    }
    return false;
  }

  /** Connects to a host port, writes `request` and half-closes; resolves with all it got back. */
  function exchange(port: number, request: string): Promise<{ data: string; error?: string }> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      let data = '';
      let error: string | undefined;
      socket.setEncoding('utf8').on('data', (text: string) => (data += text));
      socket.on('error', (failure: NodeJS.ErrnoException) => (error = failure.code ?? failure.message));
      socket.on('close', () => resolve({ data, error }));
      socket.end(request);
    });
  }

  async function publish(pid: number, ports: Parameters<typeof publishPorts>[1]): Promise<PortPublisher> {
    const publisher = await publishPorts(pid, ports, socketDir);
    publishers.push(publisher);
    return publisher;
  }

  it('serves a container port on the host, and nothing else', async () => {
    const pid = await namespace();
    const www = join(dir, 'www');
    await mkdir(www);
    await writeFile(join(www, 'hello.txt'), 'hello from the namespace\n');
    inside(pid, BUSYBOX, ['httpd', '-f', '-p', '127.0.0.1:8000', '-h', www]);
    inside(pid, BUSYBOX, ['httpd', '-f', '-p', '127.0.0.1:8002', '-h', www]);
    await listening(pid, 8000);
    await listening(pid, 8002);

    const hostPort = await freePort();
    const closedPort = await freePort();
    const publisher = await publish(pid, [
      { hostIp: '127.0.0.1', hostPort, containerPort: 8000, protocol: 'tcp' },
      { hostIp: '127.0.0.1', hostPort: closedPort, containerPort: 8001, protocol: 'tcp' },
    ]);

    const response = await fetch(`http://127.0.0.1:${hostPort}/hello.txt`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello from the namespace\n');

    // A published port that nothing in the container listens on: refused, nothing served.
    expect((await exchange(closedPort, 'GET / HTTP/1.0\r\n\r\n')).data).toBe('');
    // 8002 is served inside but not published: the relay has no way to it.
    expect((await readdir(socketDir)).sort()).toEqual(['tcp-8000.sock', 'tcp-8001.sock']);

    // Loopback is all the namespace has: no route out.
    expect((await run('nsenter', [`--net=/proc/${pid}/ns/net`, '--', BUSYBOX, 'ip', 'route'])).trim()).toBe('');
    const links = await run('nsenter', [`--net=/proc/${pid}/ns/net`, '--', BUSYBOX, 'ip', '-o', 'link']);
    expect(links.trim().split('\n').map((line) => line.split(':')[1]?.trim())).toEqual(['lo']);

    const relays = await relayPids(socketDir);
    expect(relays).toHaveLength(1);
    await publisher.close();
    expect(await gone(relays)).toBe(true);
    expect(await readdir(socketDir)).toEqual([]);
    // The host port is free again.
    const again = createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(hostPort, '127.0.0.1', resolve));
    await new Promise((resolve) => again.close(resolve));
    await expect(fetch(`http://127.0.0.1:${closedPort}/`)).rejects.toThrow();
  });

  it('carries half-closed streams both ways', async () => {
    const pid = await namespace();
    // Answers only once the client has finished sending.
    const server = `require('net').createServer({ allowHalfOpen: true }, (s) => { let n = 0; s.on('data', (d) => (n += d.length)); s.on('end', () => s.end('got ' + n + ' bytes')); }).listen(9001, '127.0.0.1')`;
    inside(pid, process.execPath, ['-e', server]);
    await listening(pid, 9001);
    const hostPort = await freePort();
    await publish(pid, [{ hostIp: '127.0.0.1', hostPort, containerPort: 9001, protocol: 'tcp' }]);
    const big = 'x'.repeat(1_000_000);
    expect(await exchange(hostPort, big)).toEqual({ data: 'got 1000000 bytes', error: undefined });
  });

  it('relays UDP datagrams and their replies', async () => {
    const pid = await namespace();
    const echo = `const d = require('dgram').createSocket('udp4'); d.on('message', (m, r) => d.send(Buffer.concat([Buffer.from('echo:'), m]), r.port, r.address)); d.bind(9000, '127.0.0.1')`;
    inside(pid, process.execPath, ['-e', echo]);
    await listening(pid, 9000, 'udp');
    const hostPort = await freePort();
    await publish(pid, [{ hostIp: '127.0.0.1', hostPort, containerPort: 9000, protocol: 'udp' }]);

    const client = createSocket('udp4');
    try {
      const replies: string[] = [];
      client.on('message', (message) => replies.push(message.toString()));
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
      for (let i = 0; i < 50 && replies.length < 2; i++) {
        client.send('one', hostPort, '127.0.0.1');
        client.send('two', hostPort, '127.0.0.1');
        await sleep(100);
      }
      expect(replies).toContain('echo:one');
      expect(replies).toContain('echo:two');
    } finally {
      client.close();
    }
  });

  it('refuses a host port in use, leaving nothing behind', async () => {
    const pid = await namespace();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      await expect(publishPorts(pid, [{ hostIp: '127.0.0.1', hostPort: port, containerPort: 80, protocol: 'tcp' }], socketDir)).rejects.toThrow(
        `port ${port} on 127.0.0.1 is already in use`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
    expect(await relayPids(socketDir)).toEqual([]);
    expect(await readdir(socketDir)).toEqual([]);
  });

  it('says so when the container process is gone, and frees the host port', async () => {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    const hostPort = await freePort();
    await expect(publishPorts(child.pid ?? 0, [{ hostIp: '127.0.0.1', hostPort, containerPort: 80, protocol: 'tcp' }], socketDir)).rejects.toThrow(
      new RegExp(`port relay for process ${child.pid} exited before it was ready`),
    );
    const again = createServer();
    await new Promise<void>((resolve, reject) => again.once('error', reject).listen(hostPort, '127.0.0.1', resolve));
    await new Promise((resolve) => again.close(resolve));
  });

  it('ends the relay when the process that started it dies, from any directory', async () => {
    const pid = await namespace();
    const hostPort = await freePort();
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
    const ports = new URL('./ports.ts', import.meta.url).href;
    const script = `const { publishPorts } = await import(${JSON.stringify(ports)});
      await publishPorts(${pid}, [{ hostIp: '127.0.0.1', hostPort: ${hostPort}, containerPort: 80, protocol: 'tcp' }], ${JSON.stringify(socketDir)});
      console.log('published'); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['--import', tsx, '--input-type=module', '-e', script], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(parent);
    let output = '';
    parent.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    parent.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    for (let i = 0; i < 400 && !output.includes('published'); i++) await sleep(25);
    expect(output).toContain('published');

    const relays = await relayPids(socketDir);
    expect(relays).toHaveLength(1);
    parent.kill('SIGKILL');
    expect(await gone(relays)).toBe(true);
  });
});
