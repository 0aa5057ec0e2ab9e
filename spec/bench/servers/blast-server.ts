// A socket.io server (the npm one, as InvokeAI's GUI meets python-socketio) at `/ws/socket.io` that,
// when a client sends `subscribe_queue`, sends it `count` valid `invocation_progress` events as fast
// as it can. Runs in its own process (forked by the bench) so that the client under test is not
// sharing its event loop with the sender. Talks to the parent over IPC: `{ port }` once listening,
// `{ sent, ms }` after each blast; it exits on `{ type: 'close' }`.
import * as http from 'http';
import { AddressInfo } from 'net';
import { Server } from 'socket.io';
import { samplePayloads } from '../../protocol/event-samples';

const count = Number(process.argv[2] ?? 100000);
const base = samplePayloads.invocation_progress;
// A few distinct payloads, as a real denoise loop sends (same shape, changing numbers).
const variants = Array.from({ length: 16 }, (_, i) => ({ ...base, item_id: 100 + i, percentage: (i + 1) / 16 }));
// Socket.IO EVENT packets, encoded once: the sender writes them through the server's Engine.IO
// socket, so that it outruns every client and the clients, not the sender, are measured. The
// frames on the wire are exactly those `socket.emit('invocation_progress', payload)` sends.
const encoded = variants.map((v) => `2${JSON.stringify(['invocation_progress', v])}`);

const httpServer = http.createServer();
const io = new Server(httpServer, { path: '/ws/socket.io', serveClient: false, transports: ['websocket'] });

io.on('connection', (socket) => {
  socket.on('subscribe_queue', () => {
    const start = performance.now();
    let sent = 0;
    // Chunks keep the sender's loop responsive (pings) while still outrunning any client.
    const chunk = (): void => {
      const end = Math.min(count, sent + 2000);
      for (; sent < end; sent++) socket.conn.write(encoded[sent % encoded.length]);
      if (sent < count) setImmediate(chunk);
      else process.send?.({ sent, ms: performance.now() - start });
    };
    chunk();
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
