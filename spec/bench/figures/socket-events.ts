// Socket events per second through `client.events$` (decoded, typed), against socket.io-client
// receiving the same events untyped, and as a share of a bare `ws` client that only counts frames.
import * as path from 'path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { createClient } from '../../../lib/client/client';
import { BenchContext, Figure, FigureModule, spread } from '../harness';
import { forkServer } from '../servers/child';

type Ready = { readonly port: number };
type Sent = { readonly sent: number; readonly ms: number };
const isSent = (m: unknown): m is Sent => typeof m === 'object' && m !== null && 'sent' in m;

/** Milliseconds until `count` events arrived through `client.events$`, from creating the client. */
const ours = (port: number, count: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    const client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
    let received = 0;
    const sub = client.events$.subscribe({
      next: (event) => {
        if (event.type === 'invocation_progress' && ++received === count) {
          const ms = performance.now() - start;
          sub.unsubscribe();
          client.close();
          resolve(ms);
        }
      },
      error: reject,
    });
  });

/** The same through socket.io-client, untyped: a listener that counts. */
const socketIoClient = (port: number, count: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    const socket = io(`http://127.0.0.1:${port}`, { path: '/ws/socket.io', transports: ['websocket'], forceNew: true, reconnection: false });
    let received = 0;
    socket.on('connect', () => socket.emit('subscribe_queue', { queue_id: 'default' }));
    socket.on('connect_error', reject);
    socket.on('invocation_progress', () => {
      if (++received === count) {
        const ms = performance.now() - start;
        socket.disconnect();
        resolve(ms);
      }
    });
  });

/** The ceiling: a bare `ws` client doing the Engine.IO handshake by hand and counting event frames. */
const bareWs = (port: number, count: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const start = performance.now();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/socket.io/?EIO=4&transport=websocket`);
    let received = 0;
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      // '4' '2' = a Socket.IO EVENT in an Engine.IO message: counted without decoding.
      if (data[0] === 0x34 && data[1] === 0x32) {
        if (++received === count) {
          const ms = performance.now() - start;
          ws.terminate();
          resolve(ms);
        }
        return;
      }
      const text = data.toString();
      if (text.startsWith('0')) ws.send('40');
      else if (text.startsWith('40')) ws.send('42["subscribe_queue",{"queue_id":"default"}]');
      else if (text === '2') ws.send('3');
    });
  });

/** The socket-events figure module. */
export const socketEvents: FigureModule = {
  id: 'socket',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const count = ctx.quick ? 20000 : 100000;
    const repetitions = ctx.quick ? 3 : 5;
    const server = await forkServer<Ready>(path.join(__dirname, '..', 'servers', 'blast-server.ts'), [String(count)]);
    const port = server.ready.port;
    const rate = async (receive: (port: number, count: number) => Promise<number>): Promise<{ rate: number; senderMs: number }> => {
      const ms = await receive(port, count);
      const sent = await server.next(isSent);
      return { rate: count / (ms / 1000), senderMs: sent.ms };
    };
    try {
      const sides = [ours, socketIoClient, bareWs] as const;
      // One warm-up round of each, unrecorded.
      for (const side of sides) await rate(side);
      const samples: number[][] = [[], [], []];
      const senderMs: number[] = [];
      for (let r = 0; r < repetitions; r++) {
        // Rotate the order so that no side always runs first.
        for (let k = 0; k < 3; k++) {
          const i = (r + k) % 3;
          const m = await rate(sides[i]);
          samples[i].push(m.rate);
          senderMs.push(m.senderMs);
        }
        ctx.log(`  socket: repetition ${r + 1}/${repetitions}`);
      }
      const [o, s, w] = samples;
      const vsSocketIo = spread(o.map((x, i) => x / s[i]));
      const ofCeiling = spread(o.map((x, i) => x / w[i]));
      const sender = spread(senderMs);
      const info = {
        'ours events/s': spread(o).median,
        'socket.io-client events/s': spread(s).median,
        'bare ws frames/s': spread(w).median,
        'sender ms per blast': sender.median,
        events: count,
      };
      return [
        {
          name: `socket events/s via client.events$ (${count / 1000}k invocation_progress)`,
          baseline: 'socket.io-client, untyped, same server',
          value: vsSocketIo,
          unit: 'ratio',
          goal: '>= 1.0x',
          met: vsSocketIo.median >= 1.0,
          info,
        },
        {
          name: 'socket events/s as a share of the ceiling',
          baseline: 'bare ws client counting frames',
          value: ofCeiling,
          unit: 'ratio',
          info: { 'bare ws frames/s': spread(w).median },
          note: 'the ceiling is bounded by how fast the sender (a separate process) writes',
        },
      ];
    } finally {
      await server.close();
    }
  },
};
