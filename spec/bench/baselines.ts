// The hand-written clients the run-based figures compare against: what a careful user writes
// without a library (raw fetch + raw socket.io-client), and the Python client's polling pattern.
import { randomUUID } from 'crypto';
import { io, Socket } from 'socket.io-client';
import type { Batch } from '../../lib/workflow/batch';

const TERMINAL = new Set(['completed', 'failed', 'canceled']);
/** Loose JSON from the server (decode boundary of a deliberately minimal client). */
type Json = Record<string, unknown>;

/** POSTs `enqueue_batch` with a fresh batch id; returns the answer. */
export const rawEnqueue = async (url: string, batch: Batch, batchId = randomUUID()): Promise<{ batchId: string; itemIds: number[] }> => {
  const res = await fetch(`${url}/api/v1/queue/default/enqueue_batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ batch: { ...batch, batch_id: batchId }, prepend: false }),
  });
  if (!res.ok) throw new Error(`enqueue failed: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as Json;
  return { batchId, itemIds: body.item_ids as number[] };
};

/** One socket.io-client connection to the server's socket path, subscribed to the default queue. */
const connectQueueSocket = async (url: string): Promise<Socket> => {
  const base = new URL(url);
  const socket = io(`${base.protocol}//${base.host}`, { path: `${base.pathname.replace(/\/$/, '')}/ws/socket.io`, transports: ['websocket'], forceNew: true, reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  socket.emit('subscribe_queue', { queue_id: 'default' });
  return socket;
};

/**
 * A minimal socket client: one socket.io-client connection subscribed to the queue; `run` enqueues
 * and resolves when every item of its batch reported a terminal status. No REST reads, no retries,
 * no reconnects: the least a client can do.
 */
export class MinimalClient {
  private readonly socket: Socket;
  private readonly waiting = new Map<string, { remaining: number; resolve: () => void }>();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('queue_item_status_changed', (p: Json) => {
      if (!TERMINAL.has(p.status as string)) return;
      const w = this.waiting.get(p.batch_id as string);
      if (w && --w.remaining === 0) {
        this.waiting.delete(p.batch_id as string);
        w.resolve();
      }
    });
  }

  /** Connects and subscribes to the default queue. */
  static async connect(url: string): Promise<MinimalClient> {
    return new MinimalClient(await connectQueueSocket(url));
  }

  /** Enqueues one batch of `items` items and waits for their terminal statuses. */
  async run(url: string, batch: Batch, items = 1): Promise<void> {
    const batchId = randomUUID();
    // Registered before the POST: the events may beat the HTTP answer.
    const done = new Promise<void>((resolve) => this.waiting.set(batchId, { remaining: items, resolve }));
    await rawEnqueue(url, batch, batchId);
    await done;
  }

  /** Disconnects the socket. */
  close(): void {
    this.socket.disconnect();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The Python client's pattern (`submit_sync` + `wait_for_completion_sync(poll_interval=0.5)`):
 * enqueue, read the item, then read it again every `intervalMs` until it is terminal. Resolves
 * with the moment (performance.now()) the terminal status was seen.
 */
export const pollingRun = async (url: string, batch: Batch, intervalMs = 500): Promise<{ itemId: number; seenAt: number }> => {
  const { itemIds } = await rawEnqueue(url, batch);
  const itemId = itemIds[0];
  for (;;) {
    const res = await fetch(`${url}/api/v1/queue/default/i/${itemId}`);
    const item = (await res.json()) as Json;
    if (TERMINAL.has(item.status as string)) return { itemId, seenAt: performance.now() };
    await sleep(intervalMs);
  }
};

/**
 * The least a careful client does per run: one socket.io-client connection subscribed to the
 * queue; a run registers its batch id, enqueues it, and reads each item once (`GET .../i/{id}`) when
 * the socket says it ended. No retries, no reconnects, no polling, no decoding beyond JSON.
 */
export class RawReadingClient {
  private readonly socket: Socket;
  private readonly runs = new Map<string, (itemId: number) => void>();

  private constructor(
    socket: Socket,
    private readonly url: string,
  ) {
    this.socket = socket;
    socket.on('queue_item_status_changed', (p: Json) => {
      if (TERMINAL.has(p.status as string)) this.runs.get(p.batch_id as string)?.(p.item_id as number);
    });
  }

  /** Connects and subscribes to the default queue. */
  static async connect(url: string): Promise<RawReadingClient> {
    return new RawReadingClient(await connectQueueSocket(url), url);
  }

  /** Enqueues `batch` (of `items` items) and resolves once each item ended and was read once. */
  run(batch: Batch, items: number): Promise<void> {
    const batchId = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const ended = new Set<number>();
      let read = 0;
      // Registered before the POST: the events may beat the HTTP answer.
      this.runs.set(batchId, (itemId) => {
        if (ended.has(itemId)) return;
        ended.add(itemId);
        fetch(`${this.url}/api/v1/queue/default/i/${itemId}`)
          .then((res) => res.json())
          .then(() => {
            if (++read === items) {
              this.runs.delete(batchId);
              resolve();
            }
          }, reject);
      });
      rawEnqueue(this.url, batch, batchId).catch(reject);
    });
  }

  /** Disconnects the socket. */
  close(): void {
    this.socket.disconnect();
  }
}
