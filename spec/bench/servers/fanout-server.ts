// A server for the frame-cost figure: just enough of InvokeAI's queue for runs to be enqueued and
// stay in flight (every item stays pending), and a socket.io server (the npm one, at /ws/socket.io)
// that, on `POST /bench/blast?count=N`, sends N `invocation_progress` frames of a batch nobody runs
// to every socket, as fast as it can. Runs in its own process (forked by the bench); IPC: `{ url }`
// once listening; it exits on `{ type: 'close' }`.
import * as http from 'http';
import { AddressInfo } from 'net';
import { Server } from 'socket.io';
import { samplePayloads } from '../../protocol/event-samples';

const base = samplePayloads.invocation_progress;
// Frames of another batch, encoded once (Socket.IO EVENT packets, as `socket.emit` writes them).
const frames = Array.from({ length: 16 }, (_, i) =>
  `2${JSON.stringify(['invocation_progress', { ...base, item_id: 900000 + i, batch_id: 'someone-else', percentage: (i + 1) / 16 }])}`,
);

interface Item {
  readonly itemId: number;
  readonly batchId: string;
  status: 'pending' | 'canceled';
}
const items = new Map<number, Item>();
let nextId = 1;

const queueItem = (item: Item) => ({
  item_id: item.itemId,
  status: item.status,
  status_sequence: item.status === 'pending' ? 0 : 1,
  batch_id: item.batchId,
  session_id: `s${item.itemId}`,
  queue_id: 'default',
  created_at: '2026-01-01 00:00:00',
  updated_at: '2026-01-01 00:00:00',
  field_values: [],
  session: { id: `s${item.itemId}` },
});

const readBody = (req: http.IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(chunks.length === 0 ? null : JSON.parse(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });

const json = (res: http.ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
};

const httpServer = http.createServer((req, res) => {
  void (async () => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname;
    const body = (await readBody(req)) as Record<string, unknown> | null;
    if (req.method === 'POST' && path === '/bench/blast') {
      const count = Number(url.searchParams.get('count') ?? 0);
      const start = performance.now();
      const sockets = [...io.sockets.sockets.values()];
      let sent = 0;
      const chunk = (): void => {
        const end = Math.min(count, sent + 2000);
        for (; sent < end; sent++) for (const socket of sockets) socket.conn.write(frames[sent % frames.length]);
        if (sent < count) setImmediate(chunk);
        else json(res, 200, { sent, ms: performance.now() - start });
      };
      return chunk();
    }
    if (req.method === 'POST' && path.endsWith('/enqueue_batch')) {
      const batch = (body?.batch ?? {}) as Record<string, unknown>;
      const runs = typeof batch.runs === 'number' ? batch.runs : 1;
      const batchId = String(batch.batch_id);
      const ids: number[] = [];
      for (let i = 0; i < runs; i++) {
        const itemId = nextId++;
        items.set(itemId, { itemId, batchId, status: 'pending' });
        ids.push(itemId);
      }
      return json(res, 200, { queue_id: 'default', enqueued: runs, requested: runs, batch: { batch_id: batchId }, item_ids: ids.reverse(), priority: 0 });
    }
    const one = /\/i\/(\d+)$/.exec(path);
    if (req.method === 'GET' && one !== null) {
      const item = items.get(Number(one[1]));
      return item === undefined ? json(res, 404, { detail: 'not found' }) : json(res, 200, queueItem(item));
    }
    if (req.method === 'POST' && path.endsWith('/items_by_ids')) {
      const ids = (body?.item_ids ?? []) as number[];
      return json(res, 200, ids.flatMap((id) => (items.has(id) ? [queueItem(items.get(id) as Item)] : [])));
    }
    if (req.method === 'PUT' && path.endsWith('/cancel_by_batch_ids')) {
      const batchIds = new Set((body?.batch_ids ?? []) as string[]);
      let canceled = 0;
      for (const item of items.values()) {
        if (batchIds.has(item.batchId) && item.status === 'pending') {
          item.status = 'canceled';
          canceled += 1;
        }
      }
      return json(res, 200, { canceled });
    }
    json(res, 404, { detail: `no route ${req.method} ${path}` });
  })().catch((error: unknown) => json(res, 500, { detail: String(error) }));
});

const io = new Server(httpServer, { path: '/ws/socket.io', serveClient: false, transports: ['websocket'] });
// Acknowledged as InvokeAI's python-socketio does, so that clients are `connected` at once.
io.on('connection', (socket) => socket.on('subscribe_queue', (_message: unknown, ack?: unknown) => typeof ack === 'function' && ack()));

httpServer.listen(0, '127.0.0.1', () => process.send?.({ url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` }));
process.on('message', (msg: { type?: string }) => {
  if (msg?.type === 'close') {
    io.close();
    httpServer.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(0));
