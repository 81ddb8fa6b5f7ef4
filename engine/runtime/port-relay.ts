/**
 * The half of port publishing that runs inside a container's network namespace (restricted
 * network). ports.ts starts this file as a process through
 * `nsenter --net=/proc/PID/ns/net -- node --import tsx/esm port-relay.ts SOCKET_DIR tcp:80 udp:53`.
 * It listens on one Unix socket per container port in SOCKET_DIR (a host directory: filesystem
 * Unix sockets are not scoped by network namespace) and joins every stream it accepts to
 * 127.0.0.1:PORT inside the namespace. It prints `ready` once every socket listens, and exits
 * when its stdin closes, so it never outlives the process that started it.
 *
 * The wire format between the two halves is also here:
 * - TCP: the relay writes one {@link CONNECTED} byte once the container port accepted, then the
 *   stream is the connection's bytes both ways; closing without that byte means refused.
 * - UDP: one stream per host-side client, each datagram framed by {@link encodeDatagram}.
 */
import { createSocket } from 'node:dgram';
import { rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

/**
 * The byte the relay sends first on a TCP stream once the container port accepted it.
 *
 * @example
 * socket.once('data', (chunk) => chunk[0] === CONNECTED); // true unless the port refused
 */
export const CONNECTED = 0x01;

/** The largest datagram a frame carries (a UDP payload never exceeds it). */
const MAX_DATAGRAM = 0xffff;

/**
 * A container port the relay serves.
 *
 * @example
 * const web: RelayTarget = { protocol: 'tcp', containerPort: 80 };
 */
export interface RelayTarget {
  protocol: 'tcp' | 'udp';
  containerPort: number;
}

/**
 * The Unix socket the relay listens on for one container port.
 *
 * @example
 * relaySocketPath('/run/nocker/c1', { protocol: 'tcp', containerPort: 80 }); // '/run/nocker/c1/tcp-80.sock'
 */
export function relaySocketPath(socketDir: string, target: RelayTarget): string {
  return join(socketDir, `${target.protocol}-${target.containerPort}.sock`);
}

/**
 * A target as the relay's command line spells it, and back with {@link parseRelayTarget}.
 *
 * @example
 * formatRelayTarget({ protocol: 'udp', containerPort: 53 }); // 'udp:53'
 */
export function formatRelayTarget(target: RelayTarget): string {
  return `${target.protocol}:${target.containerPort}`;
}

/**
 * Reads a target written by {@link formatRelayTarget}; throws on anything else.
 *
 * @example
 * parseRelayTarget('tcp:8000'); // { protocol: 'tcp', containerPort: 8000 }
 */
export function parseRelayTarget(text: string): RelayTarget {
  const match = /^(tcp|udp):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new Error(`not a relay target: "${text}" (expected tcp:PORT or udp:PORT)`);
  return { protocol: match[1] === 'udp' ? 'udp' : 'tcp', containerPort: port };
}

/**
 * One datagram as it travels on a stream: a 16-bit big-endian length, then the payload.
 *
 * @example
 * encodeDatagram(Buffer.from('hi')); // <Buffer 00 02 68 69>
 */
export function encodeDatagram(payload: Buffer): Buffer {
  if (payload.length > MAX_DATAGRAM) throw new Error(`a datagram of ${payload.length} bytes is too large to relay`);
  const frame = Buffer.allocUnsafe(2 + payload.length);
  frame.writeUInt16BE(payload.length, 0);
  payload.copy(frame, 2);
  return frame;
}

/**
 * Calls `onDatagram` for every datagram framed by {@link encodeDatagram} that `stream` carries,
 * however the stream splits or joins the frames.
 *
 * @example
 * readDatagrams(socket, (payload) => udp.send(payload));
 */
export function readDatagrams(stream: Readable, onDatagram: (payload: Buffer) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  stream.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 2) {
      const end = 2 + pending.readUInt16BE(0);
      if (pending.length < end) break;
      onDatagram(pending.subarray(2, end));
      pending = pending.subarray(end);
    }
  });
}

/**
 * Joins two connected sockets both ways: each one's end half-closes the other (both must be
 * made with `allowHalfOpen`), and an error or abrupt close on either side destroys the other.
 *
 * @example
 * splice(fromHost, toContainer);
 */
export function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  for (const [one, other] of [[a, b], [b, a]] as const) {
    one.on('error', () => other.destroy());
    // A close after both directions finished is the normal end; any other close is abrupt.
    one.on('close', () => {
      if (!one.readableEnded || !one.writableFinished) other.destroy();
    });
  }
}

/** Joins one stream from the host side to the container's TCP port. */
function relayStream(client: Socket, containerPort: number): void {
  const target = connect({ host: '127.0.0.1', port: containerPort, allowHalfOpen: true });
  const refuse = () => client.destroy();
  const abandon = () => target.destroy();
  client.on('error', abandon);
  client.once('close', abandon); // the host side gave up before the container port answered
  target.once('error', refuse);
  target.once('connect', () => {
    target.off('error', refuse);
    client.off('close', abandon);
    client.write(Buffer.of(CONNECTED));
    splice(client, target);
  });
}

/** Carries one host-side client's datagrams to the container's UDP port and its replies back. */
function relayDatagrams(client: Socket, containerPort: number): void {
  const target = createSocket('udp4');
  let open = true;
  const stop = () => {
    if (!open) return;
    open = false;
    target.close();
    client.destroy();
  };
  // A refused or unreachable port reports here; UDP just loses those datagrams.
  target.on('error', () => undefined);
  target.on('message', (reply) => client.write(encodeDatagram(reply)));
  client.on('error', stop);
  client.on('end', stop); // the host side dropped this client; a half-open socket would linger
  client.on('close', stop);
  target.connect(containerPort, '127.0.0.1', () => {
    if (open) readDatagrams(client, (payload) => target.send(payload));
  });
}

function listen(path: string, target: RelayTarget): Promise<Server> {
  rmSync(path, { force: true }); // a socket left by a relay that was killed
  const server = createServer({ allowHalfOpen: true }, (client) =>
    target.protocol === 'tcp' ? relayStream(client, target.containerPort) : relayDatagrams(client, target.containerPort),
  );
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(path, () => {
      server.off('error', fail);
      done(server);
    });
  });
}

/**
 * Listens for every target in `socketDir` and resolves once all listen. The returned function
 * stops listening and removes the sockets.
 *
 * @example
 * const stop = await runRelay('/run/nocker/c1', [{ protocol: 'tcp', containerPort: 80 }]);
 * stop();
 */
export async function runRelay(socketDir: string, targets: RelayTarget[]): Promise<() => void> {
  const servers = await Promise.all(targets.map((target) => listen(relaySocketPath(socketDir, target), target)));
  // Closing a Unix socket server unlinks its file.
  return () => servers.forEach((server) => server.close());
}

async function main(args: string[]): Promise<void> {
  const [socketDir, ...specs] = args;
  if (!socketDir || specs.length === 0) throw new Error('usage: port-relay SOCKET_DIR tcp:PORT|udp:PORT...');
  const stop = await runRelay(socketDir, specs.map(parseRelayTarget));
  const exit = () => {
    stop();
    process.exit(0);
  };
  // The parent holds our stdin open for as long as it wants the relay.
  process.stdin.on('end', exit).on('error', exit).resume();
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  process.stdout.write('ready\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
