// The connection survives any frame: a raw `ws` server speaking Engine.IO v4 / Socket.IO v5 by
// hand sends random frames (text, binary, mutated real frames, undecodable events) interleaved
// with valid events; every valid event still arrives, in order, and the connection never drops.
// Frames that end a session by the protocol's own rules (close `1`, disconnect `41`, connect
// error `44`, a second handshake `0` that may shorten the ping deadline) are not "any frame":
// the client is right to act on them, so the generator leaves them out.
import { AddressInfo } from 'net';
import fc from 'fast-check';
import { WebSocketServer, WebSocket as WsSocket } from 'ws';
import { createClient } from '../../lib/client/client';
import type { ConnectionState } from '../../lib/transport/socket';
import { decodeFrame } from '../../lib/protocol/engineio';
import { samplePayloads } from '../protocol/event-samples';

/** A frame the server sends: text or binary. */
type Frame = string | Buffer;

const HANDSHAKE = '0{"sid":"fuzz","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}';
const MARK = 9_000_000; // item ids of the valid events: no random payload carries them

const validEvent = (seq: number): string =>
  `42${JSON.stringify(['invocation_progress', { ...samplePayloads.invocation_progress, item_id: MARK + seq }])}`;

/** Whether a frame is one the client must accept and go on after. */
const survivable = (frame: Frame): boolean => {
  if (typeof frame !== 'string') return true;
  const d = decodeFrame(frame);
  return d.type !== 'close' && d.type !== 'disconnect' && d.type !== 'connect_error' && d.type !== 'open';
};

const noise: fc.Arbitrary<Frame> = fc
  .oneof(
    fc.string({ maxLength: 40 }),
    fc.tuple(fc.constantFrom('2', '3', '4', '40', '42', '43', '45', '46', '4/x,', '421', '6', '5', '7', '9', 'x'), fc.string({ maxLength: 30 })).map(([a, b]) => a + b),
    // Known events with broken payloads, unknown events, events with extra arguments.
    fc.tuple(fc.constantFrom(...Object.keys(samplePayloads), 'brand_new_event'), fc.jsonValue({ maxDepth: 3 })).map(([name, payload]) => `42${JSON.stringify([name, payload])}`),
    fc.uint8Array({ maxLength: 32 }).map((b) => Buffer.from(b)),
    fc.constant('40{"sid":"again"}'),
    fc.constant('2probe'),
  )
  .filter(survivable);

/** A script: random frames before each of its valid events, and how many valid events it holds. */
const script: fc.Arbitrary<{ frames: Frame[]; valid: number }> = fc
  .array(fc.array(noise, { maxLength: 4 }), { minLength: 1, maxLength: 12 })
  .map((groups) => ({ frames: groups.flatMap((g, seq) => [...g, validEvent(seq)]), valid: groups.length }));

describe('the client connection under random frames', () => {
  let wss: WebSocketServer;
  let port: number;
  let current: Frame[] = [];
  const peers = new Set<WsSocket>();

  beforeAll(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    port = (wss.address() as AddressInfo).port;
    wss.on('connection', (ws) => {
      peers.add(ws);
      ws.on('close', () => peers.delete(ws));
      const frames = current;
      ws.send(HANDSHAKE);
      ws.on('message', (data: Buffer) => {
        const text = data.toString();
        if (text.startsWith('40')) ws.send('40{"sid":"socket-1"}');
        // The client subscribes once connected: the server acknowledges it (as InvokeAI's does), then the script plays.
        const subscribe = /^42(\d*)\["subscribe_queue"/.exec(text);
        if (subscribe) {
          if (subscribe[1]) ws.send(`43${subscribe[1]}[]`);
          for (const f of frames) ws.send(f, { binary: typeof f !== 'string' });
        }
      });
    });
  });
  afterAll(async () => {
    peers.forEach((p) => p.terminate());
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });

  it('delivers every valid event in order and stays connected, whatever comes in between', async () => {
    await fc.assert(
      fc.asyncProperty(script, async ({ frames, valid: expected }) => {
        current = frames;
        const client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
        const received: number[] = [];
        const states: ConnectionState['type'][] = [];
        const stateSub = client.connection$.subscribe((s) => states.push(s.type));
        try {
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${expected} valid events arrived; states ${states.join(' > ')}`)), 5000);
            const sub = client.events$.subscribe({
              next: (e) => {
                if (e.type === 'invocation_progress' && e.item_id >= MARK) received.push(e.item_id - MARK);
                if (received.length === expected) {
                  clearTimeout(timer);
                  sub.unsubscribe();
                  resolve();
                }
              },
              error: (err: unknown) => {
                clearTimeout(timer);
                reject(err instanceof Error ? err : new Error(String(err)));
              },
            });
          });
          expect(received).toEqual(Array.from({ length: expected }, (_, i) => i));
          // Connected once and never lost: no reconnect was needed.
          expect(states.filter((s) => s === 'connected')).toHaveLength(1);
          expect(states).not.toContain('reconnecting');
        } finally {
          stateSub.unsubscribe();
          client.close();
        }
      }),
      { numRuns: 40 },
    );
  }, 60000);

  it('reports the frames it set aside as diagnostics (the noise is not silently lost)', async () => {
    current = ['42["invocation_progress",{"item_id":"not a number"}]', Buffer.from([1, 2, 3]), '4x', validEvent(0)];
    const client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
    const kinds: string[] = [];
    const diagSub = client.diagnostics$.subscribe((d) => kinds.push(d.type));
    try {
      await new Promise<void>((resolve) => {
        const sub = client.events$.subscribe((e) => {
          if (e.type === 'invocation_progress') {
            sub.unsubscribe();
            resolve();
          }
        });
      });
      expect(kinds).toEqual(['undecodable_event', 'ignored_frame', 'ignored_frame']);
    } finally {
      diagSub.unsubscribe();
      client.close();
    }
  });
});
