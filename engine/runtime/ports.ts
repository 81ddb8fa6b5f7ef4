/**
 * Publishing a restricted-network container's ports on the host without a daemon. The host
 * side listens on each `hostIp:hostPort`; a relay process (port-relay.ts) that runs inside the
 * container's network namespace listens on Unix sockets in a host directory and reaches the
 * container's ports on its loopback. Each host connection (or, for UDP, each host client)
 * becomes one stream through the relay's socket for that port.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer, isIPv6, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONNECTED, encodeDatagram, formatRelayTarget, readDatagrams, relaySocketPath, splice, type RelayTarget } from './port-relay.ts';
import type { PublishedPort } from './types.ts';

/**
 * Published ports while they last.
 *
 * @example
 * const publisher: PortPublisher = await publishPorts(pid, ports, socketDir);
 * await publisher.close();
 */
export interface PortPublisher {
  /** Stops listening on the host, ends the relay process and removes its sockets. */
  close(): Promise<void>;
}

/** How long the relay may take to listen before publishing gives up. */
const RELAY_START_TIMEOUT_MS = 15_000;
/** How long the relay may take to exit after its stdin closed before it is killed. */
const RELAY_STOP_TIMEOUT_MS = 3_000;
/** A UDP client's stream through the relay is dropped after this long without a datagram. */
const UDP_IDLE_MS = 60_000;
/** sockaddr_un holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

type Relay = ChildProcessByStdio<Writable, Readable, Readable>;

/** Something listening on the host for one published port. */
interface HostListener {
  close(): void;
}

/**
 * Makes `ports` of the container whose init process is `containerPid` reachable on the host,
 * with the relay's sockets in `socketDir` (made if missing; keep its path short, a Unix socket
 * path holds at most 107 bytes). Resolves once every host port listens and the relay is ready;
 * rejects with the reason, everything started undone, when it cannot.
 *
 * @example
 * const publisher = await publishPorts(pid, [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80, protocol: 'tcp' }], '/run/nocker/c1');
 * // … http://127.0.0.1:8080 reaches the container's port 80 …
 * await publisher.close();
 */
export async function publishPorts(containerPid: number, ports: PublishedPort[], socketDir: string): Promise<PortPublisher> {
  if (!Number.isInteger(containerPid) || containerPid <= 0) throw new Error(`not a process id: ${containerPid}`);
  for (const port of ports) checkPort(port);
  if (ports.length === 0) return { close: async () => undefined };

  const targets = uniqueTargets(ports);
  const socketPaths = targets.map((target) => relaySocketPath(socketDir, target));
  const tooLong = socketPaths.find((path) => Buffer.byteLength(path) > MAX_SOCKET_PATH);
  if (tooLong) throw new Error(`the socket path ${tooLong} is longer than ${MAX_SOCKET_PATH} bytes; use a shorter socket directory`);
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });

  // Connections that arrive before the relay is up wait for it.
  let relayUp!: () => void;
  let relayFailed!: () => void;
  const ready = new Promise<void>((resolve, reject) => ((relayUp = resolve), (relayFailed = reject)));
  ready.catch(() => undefined);

  const listeners: HostListener[] = [];
  let relay: Relay | undefined;
  const removeSockets = () => socketPaths.forEach((path) => rmSync(path, { force: true }));
  const stop = async () => {
    listeners.forEach((listener) => listener.close());
    relayFailed();
    if (relay) await stopRelay(relay);
    removeSockets();
  };

  try {
    // The host ports first: a port in use is the likeliest failure and the cheapest to find.
    for (const port of ports) {
      const path = relaySocketPath(socketDir, port);
      listeners.push(port.protocol === 'tcp' ? await listenTcp(port, path, ready) : await listenUdp(port, path, ready));
    }
    relay = await startRelay(containerPid, socketDir, targets);
    relayUp();
  } catch (error) {
    await stop();
    throw error;
  }

  let closing: Promise<void> | undefined;
  return { close: () => (closing ??= stop()) };
}

function checkPort(port: PublishedPort): void {
  const valid = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;
  if (!valid(port.hostPort)) throw new Error(`host port ${port.hostPort} is not a port number (1-65535)`);
  if (!valid(port.containerPort)) throw new Error(`container port ${port.containerPort} is not a port number (1-65535)`);
  if (port.protocol !== 'tcp' && port.protocol !== 'udp') throw new Error(`unknown protocol "${String(port.protocol)}" for port ${port.hostPort}`);
}

/** One relay socket per container port and protocol, however many host ports lead to it. */
function uniqueTargets(ports: PublishedPort[]): RelayTarget[] {
  const byKey = new Map(ports.map((port) => [formatRelayTarget(port), { protocol: port.protocol, containerPort: port.containerPort }]));
  return [...byKey.values()];
}

/** Says why the host port cannot be had, in the words a user of `-p` expects. */
function listenError(port: PublishedPort, error: NodeJS.ErrnoException): Error {
  const where = `port ${port.hostPort}${port.protocol === 'udp' ? '/udp' : ''} on ${port.hostIp}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`${where} is already in use`);
    case 'EADDRNOTAVAIL':
      return new Error(`cannot publish ${where}: ${port.hostIp} is not an address of this host`);
    case 'EACCES':
      return new Error(`cannot publish ${where}: permission denied`);
    default:
      return new Error(`cannot publish ${where}: ${error.message}`);
  }
}

async function listenTcp(port: PublishedPort, socketPath: string, ready: Promise<void>): Promise<HostListener> {
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (outer) => {
    open.add(outer);
    outer.once('close', () => open.delete(outer));
    outer.on('error', () => undefined); // the close that follows does the cleanup
    ready.then(
      () => forwardConnection(outer, socketPath),
      () => outer.destroy(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(port, error)));
    server.listen({ host: port.hostIp, port: port.hostPort }, () => resolve());
  });
  return {
    close: () => {
      server.close();
      open.forEach((socket) => socket.destroy());
    },
  };
}

/** Joins one host connection to the container port through the relay. */
function forwardConnection(outer: Socket, socketPath: string): void {
  if (outer.destroyed) return;
  const inner = connect({ path: socketPath, allowHalfOpen: true });
  let accepted = false;
  // The relay closes without its first byte when the container port refused: refuse in turn.
  const refuse = () => {
    if (accepted) return;
    outer.resetAndDestroy();
    inner.destroy();
  };
  inner.on('error', refuse);
  inner.once('end', refuse); // half-open sockets do not close on their own when the other side ends
  inner.once('close', refuse);
  outer.once('close', () => {
    if (!accepted) inner.destroy();
  });
  inner.once('data', (chunk: Buffer) => {
    if (chunk[0] !== CONNECTED) return inner.destroy();
    accepted = true;
    // Paused and piped in this same tick, so nothing the container sends next is lost.
    inner.pause();
    const rest = chunk.subarray(1);
    if (rest.length > 0) outer.write(rest);
    splice(outer, inner);
  });
}

async function listenUdp(port: PublishedPort, socketPath: string, ready: Promise<void>): Promise<HostListener> {
  const server: UdpSocket = createSocket({ type: isIPv6(port.hostIp) ? 'udp6' : 'udp4' });
  let relayReady = false;
  ready.then(
    () => (relayReady = true),
    () => undefined,
  );
  /** One stream through the relay per client address, so replies find their way back. */
  const flows = new Map<string, { stream: Socket; idle: NodeJS.Timeout }>();
  server.on('message', (datagram, client) => {
    if (!relayReady) return; // UDP may lose datagrams; these arrived before there was a way in
    const key = `${client.address}|${client.port}`;
    let flow = flows.get(key);
    if (!flow) {
      const stream = connect({ path: socketPath });
      stream.on('error', () => undefined); // the close that follows forgets the flow
      stream.once('close', () => {
        const ended = flows.get(key);
        if (ended?.stream === stream) {
          clearTimeout(ended.idle);
          flows.delete(key);
        }
      });
      readDatagrams(stream, (reply) => server.send(reply, client.port, client.address));
      flow = { stream, idle: setTimeout(() => stream.destroy(), UDP_IDLE_MS) };
      flows.set(key, flow);
    }
    flow.idle.refresh();
    flow.stream.write(encodeDatagram(datagram));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(port, error)));
    server.bind({ address: port.hostIp, port: port.hostPort, exclusive: true }, () => resolve());
  });
  server.on('error', () => undefined); // a send to a client that went away
  return {
    close: () => {
      flows.forEach(({ stream }) => stream.destroy());
      server.close();
    },
  };
}

/** tsx's ESM loader as a URL for `--import`, so the relay's TypeScript runs from any directory. */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm')).href;
}

/**
 * Starts port-relay.ts inside the namespace of `containerPid` and resolves once it says
 * `ready`; rejects with what it printed when it ends or stalls before that.
 */
function startRelay(containerPid: number, socketDir: string, targets: RelayTarget[]): Promise<Relay> {
  const script = fileURLToPath(new URL('./port-relay.ts', import.meta.url));
  const args = [`--net=/proc/${containerPid}/ns/net`, '--', process.execPath, '--import', tsxLoader(), script, socketDir, ...targets.map(formatRelayTarget)];
  // cwd "/" so that the relay keeps no directory busy; stdin is its lifeline (see port-relay.ts).
  const relay: Relay = spawn('nsenter', args, { cwd: '/', stdio: ['pipe', 'pipe', 'pipe'] });
  relay.stdin.on('error', () => undefined); // writing nothing; EPIPE when it already exited
  let stderr = '';
  relay.stderr.setEncoding('utf8').on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
  let stdout = '';
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const rejectWithOutput = () => {
        const detail = stderr.trim().split('\n').slice(-3).join('; ');
        reject(new Error(`the port relay for process ${containerPid} ${reason}${detail ? `: ${detail}` : ''}`));
      };
      // Rejected only once it is gone, so that the caller's cleanup does not race it.
      if (relay.exitCode !== null || relay.signalCode !== null || relay.pid === undefined) return rejectWithOutput();
      relay.once('exit', rejectWithOutput);
      relay.kill('SIGKILL');
    };
    const timer = setTimeout(() => fail(`did not start within ${RELAY_START_TIMEOUT_MS / 1000}s`), RELAY_START_TIMEOUT_MS);
    relay.on('error', (error) => fail(`could not be started (${error.message})`));
    relay.once('close', (code, signal) => fail(`exited before it was ready (${signal ?? `exit code ${code}`})`));
    relay.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (settled || !stdout.includes('ready\n')) return;
      settled = true;
      clearTimeout(timer);
      resolve(relay);
    });
  });
}

/** Closes the relay's stdin so that it exits; kills it if it has not after a while. */
async function stopRelay(relay: Relay): Promise<void> {
  if (relay.exitCode !== null || relay.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => relay.once('exit', () => resolve()));
  relay.stdin.end();
  const timer = setTimeout(() => relay.kill('SIGKILL'), RELAY_STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
