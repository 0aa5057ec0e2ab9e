// Socket events per second through `client.events$` (decoded and typed), against three receivers of
// the same frames from the same sender: socket.io-client (untyped), a bare `ws` client that parses
// each frame with JSON.parse (the ceiling for any client that must read the event), and a bare
// `ws` client that only counts frames (what the transport alone costs). The sender (its own
// process, blast-server.ts) writes pre-encoded frames in blocks; its CPU per event, reported beside
// the receivers', shows it is not the bound. Each side is timed from its first event to its last,
// so connecting is left out; CPU is this process's, over the same span.
import * as path from 'path';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { createClient } from '../../../lib/client/client';
import { BenchContext, Figure, FigureModule, cpuFigure, cpuPerUnit, processCpuMs, spread } from '../harness';
import { forkServer } from '../servers/child';

type Ready = { readonly port: number };
type Sent = { readonly sent: number; readonly ms: number; readonly cpuMs: number };
const isSent = (m: unknown): m is Sent => typeof m === 'object' && m !== null && 'sent' in m;

/** One receiver's reading: events per second and process CPU ms, both from its first event to its last. */
interface Reading {
  readonly rate: number;
  readonly cpuMs: number;
}

/** Counts events and takes the reading from the first to the `count`-th; `done` releases the receiver. */
const counter = (count: number, resolve: (r: Reading) => void, done: () => void): (() => void) => {
  let received = 0;
  let t0 = 0;
  let cpu0 = 0;
  return () => {
    received += 1;
    if (received === 1) {
      t0 = performance.now();
      cpu0 = processCpuMs();
    } else if (received === count) {
      const ms = performance.now() - t0;
      const cpuMs = processCpuMs() - cpu0;
      done();
      resolve({ rate: (count - 1) / (ms / 1000), cpuMs });
    }
  };
};

/** Ours: `client.events$`, every frame decoded and checked into a typed `ServerEvent`. */
const ours = (port: number, count: number): Promise<Reading> =>
  new Promise((resolve, reject) => {
    const client = createClient({ baseUrl: `http://127.0.0.1:${port}` });
    const tick = counter(count, resolve, () => {
      sub.unsubscribe();
      client.close();
    });
    const sub = client.events$.subscribe({
      next: (event) => {
        if (event.type === 'invocation_progress') tick();
      },
      error: reject,
    });
  });

/** socket.io-client, untyped: a listener per event name. */
const socketIoClient = (port: number, count: number): Promise<Reading> =>
  new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, { path: '/ws/socket.io', transports: ['websocket'], forceNew: true, reconnection: false });
    const tick = counter(count, resolve, () => socket.disconnect());
    socket.on('connect', () => socket.emit('subscribe_queue', { queue_id: 'default' }));
    socket.on('connect_error', reject);
    socket.on('invocation_progress', () => tick());
  });

/** A bare `ws` client doing the Engine.IO and Socket.IO handshakes by hand; `onEvent` sees each event frame. */
const bareWs = (port: number, count: number, readEvent: (data: Buffer) => boolean): Promise<Reading> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    const tick = counter(count, resolve, () => ws.terminate());
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      // '4' '2': a Socket.IO EVENT in an Engine.IO message.
      if (data[0] === 0x34 && data[1] === 0x32) {
        if (readEvent(data)) tick();
        return;
      }
      const text = data.toString();
      if (text.startsWith('0')) ws.send('40');
      else if (text.startsWith('40')) ws.send('42["subscribe_queue",{"queue_id":"default"}]');
      else if (text === '2') ws.send('3');
    });
  });

/** The ceiling for a client that reads events: the frame as text, JSON.parse, the event name checked. */
const parseOnly = (port: number, count: number): Promise<Reading> =>
  bareWs(port, count, (data) => {
    const packet: unknown = JSON.parse(data.toString('utf8', 2));
    return Array.isArray(packet) && packet[0] === 'invocation_progress' && typeof packet[1] === 'object' && packet[1] !== null;
  });

/** The transport alone: frames counted, never read. */
const countOnly = (port: number, count: number): Promise<Reading> => bareWs(port, count, () => true);

const SIDES = { ours, socketIoClient, parseOnly, countOnly } as const;
type Side = keyof typeof SIDES;

/** The socket-events figure module. */
export const socketEvents: FigureModule = {
  id: 'socket',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const count = ctx.quick ? 20000 : 100000;
    const repetitions = ctx.quick ? 3 : 7;
    const server = await forkServer<Ready>(path.join(__dirname, '..', 'servers', 'blast-server.ts'), [String(count)]);
    const port = server.ready.port;
    const names = Object.keys(SIDES) as Side[];
    const measureSide = async (side: Side): Promise<Reading & { senderCpuMs: number }> => {
      const reading = await SIDES[side](port, count);
      const sent = await server.next(isSent);
      return { ...reading, senderCpuMs: sent.cpuMs };
    };
    try {
      // One warm-up round of each, unrecorded.
      for (const side of names) await measureSide(side);
      const readings = Object.fromEntries(names.map((n) => [n, [] as Array<Reading & { senderCpuMs: number }>])) as Record<Side, Array<Reading & { senderCpuMs: number }>>;
      for (let r = 0; r < repetitions; r++) {
        // Rotate the order so that no side always runs first.
        for (let k = 0; k < names.length; k++) {
          const side = names[(r + k) % names.length];
          const m = await measureSide(side);
          readings[side].push(m);
        }
        ctx.log(`  socket: repetition ${r + 1}/${repetitions}`);
      }
      const rates = (side: Side): number[] => readings[side].map((m) => m.rate);
      const cpus = (side: Side): number[] => readings[side].map((m) => m.cpuMs);
      const versus = (side: Side) => spread(rates('ours').map((x, i) => x / rates(side)[i]));
      const vsSocketIo = versus('socketIoClient');
      const vsParse = versus('parseOnly');
      const vsCount = versus('countOnly');
      const senderUsPerEvent = spread(names.flatMap((side) => readings[side].map((m) => (m.senderCpuMs * 1000) / count)));
      const oursUsPerEvent = spread(cpus('ours').map((ms) => (ms * 1000) / (count - 1)));
      // The sender's CPU per event over the receiver's, blast by blast, for ours.
      const senderShare = spread(readings.ours.map((m) => m.senderCpuMs / m.cpuMs));
      const info = {
        'ours events/s': spread(rates('ours')).median,
        'socket.io-client events/s': spread(rates('socketIoClient')).median,
        'bare ws + JSON.parse events/s': spread(rates('parseOnly')).median,
        'bare ws counting frames/s': spread(rates('countOnly')).median,
        'sender CPU µs per event': senderUsPerEvent.median,
        'ours CPU µs per event': oursUsPerEvent.median,
        events: count,
        payloads: '16 captured denoise_latents invocation_progress payloads, 1.7 to 2.8 kB, previews on every other one',
      };
      const name = `socket events/s via client.events$ (${count / 1000}k invocation_progress, 1.7-2.8 kB)`;
      return [
        {
          name,
          baseline: 'socket.io-client, untyped, same sender',
          value: vsSocketIo,
          unit: 'ratio',
          goal: '>= 1.3x',
          met: vsSocketIo.median >= 1.3,
          info,
        },
        {
          name: 'the same, against the ceiling for a client that reads events',
          baseline: 'bare ws + JSON.parse of each frame',
          value: vsParse,
          unit: 'ratio',
          goal: '>= 0.95x',
          met: vsParse.median >= 0.95,
        },
        {
          name: 'the same, against the transport alone',
          baseline: 'bare ws counting frames (no parse)',
          value: vsCount,
          unit: 'ratio',
          goal: 'report',
          note: 'the share of the time the WebSocket itself takes; the rest is reading the JSON',
        },
        cpuFigure('process CPU per event, client.events$', 'socket.io-client, same events', cpuPerUnit(cpus('ours'), cpus('socketIoClient'), count - 1), 'event'),
        cpuFigure('process CPU per event, client.events$', 'bare ws + JSON.parse, same events', cpuPerUnit(cpus('ours'), cpus('parseOnly'), count - 1), 'event'),
        {
          name: 'sender CPU per event as a share of the receiver\'s (ours)',
          baseline: 'client.events$ CPU per event',
          value: senderShare,
          unit: 'ratio',
          goal: '< 0.25x (the sender is not the bound)',
          met: senderShare.median < 0.25,
          info: { 'sender CPU µs per event': senderUsPerEvent.median, 'ours CPU µs per event': oursUsPerEvent.median },
        },
      ];
    } finally {
      await server.close();
    }
  },
};
