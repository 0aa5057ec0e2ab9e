// The sender of the socket figure. A socket.io server (the npm one, as InvokeAI's GUI meets
// python-socketio) at `/ws/socket.io` does each client's handshake; when the client sends
// `subscribe_queue`, the sender acknowledges it when asked (as InvokeAI's python-socketio does; only
// invokeai-rx asks) and writes it `count` `invocation_progress` events as pre-encoded
// WebSocket frames, many frames per write, straight to the connection's TCP socket. Encoding once
// and writing in blocks keeps the sender's cost per event far below any receiver's, so the figure
// measures receivers, not the sender; it reports its own CPU time per blast to prove it.
// The payloads are the 16 captured denoise_latents progress payloads of
// spec/fixtures/socket-events (1.7 to 2.8 kB, previews on every other one), sent in turn; the
// frames on the wire are byte for byte what `socket.emit('invocation_progress', payload)` sends.
// Runs in its own process (forked by the bench) so that it does not share the receiver's event
// loop. IPC: `{ port }` once listening, `{ sent, ms, cpuMs }` after each blast; exits on `{ type: 'close' }`.
import * as http from 'http';
import type { Socket as TcpSocket } from 'net';
import { AddressInfo } from 'net';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import progressPayloads from '../../fixtures/socket-events/denoise-latents-progress.json';

const count = Number(process.argv[2] ?? 100000);
/** Frames per write: two rounds of the 16 payloads, about 70 kB. */
const FRAMES_PER_BLOCK = 32;

/** An unmasked, final WebSocket text frame (server to client, RFC 6455 §5.2). */
const textFrame = (text: string): Buffer => {
  const payload = Buffer.from(text, 'utf8');
  const n = payload.length;
  const header = n < 126 ? Buffer.from([0x81, n]) : n < 65536 ? Buffer.from([0x81, 126, n >> 8, n & 0xff]) : Buffer.alloc(10);
  if (n >= 65536) {
    header[0] = 0x81;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(n), 2);
  }
  return Buffer.concat([header, payload]);
};

// Engine.IO MESSAGE (`4`) carrying a Socket.IO EVENT (`2`) for the default namespace.
const frames = progressPayloads.map((payload) => textFrame(`42${JSON.stringify(['invocation_progress', payload])}`));
const blockOf = (first: number, n: number): Buffer => Buffer.concat(Array.from({ length: n }, (_, i) => frames[(first + i) % frames.length]));
const fullBlock = blockOf(0, FRAMES_PER_BLOCK);

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** The TCP socket under an engine.io WebSocket transport (engine.io keeps `ws`'s socket as `socket`, `ws` the TCP one as `_socket`). */
const tcpOf = (conn: unknown): TcpSocket => {
  const tcp = (conn as { transport?: { socket?: { _socket?: TcpSocket } } }).transport?.socket?._socket;
  if (!tcp || typeof tcp.write !== 'function') throw new Error('blast-server: no TCP socket under the engine.io transport (socket.io or ws changed their internals)');
  return tcp;
};

const httpServer = http.createServer();
// No compression: frames are written as they are, and every receiver reads the same bytes.
const io = new Server(httpServer, { path: '/ws/socket.io', serveClient: false, transports: ['websocket'], perMessageDeflate: false });

io.on('connection', (socket) => {
  socket.on('subscribe_queue', (_message: unknown, ack?: unknown) => {
    if (typeof ack === 'function') ack();
    const tcp = tcpOf(socket.conn);
    const start = performance.now();
    const cpuStart = cpuMs();
    let sent = 0;
    const finish = (): void => void process.send?.({ sent, ms: performance.now() - start, cpuMs: cpuMs() - cpuStart });
    // Writes until the kernel's buffer is full, then waits for it to drain: the receiver sets the pace.
    const pump = (): void => {
      while (sent < count) {
        const n = Math.min(FRAMES_PER_BLOCK, count - sent);
        // Every block starts at payload 0, so the rotation of payloads stays the same across blocks.
        const block = n === FRAMES_PER_BLOCK ? fullBlock : blockOf(0, n);
        sent += n;
        const last = sent === count;
        const more = tcp.write(block, last ? finish : undefined);
        if (!more && !last) {
          tcp.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
});

httpServer.listen(0, '127.0.0.1', () => process.send?.({ port: (httpServer.address() as AddressInfo).port }));
process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'close') {
    io.close();
    httpServer.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
