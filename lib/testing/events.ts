/** Socket.IO side of the simulator: rooms as InvokeAI's sockets.py, and a delivery pipeline that faults can disturb. */
import * as http from 'http';
import type { Server, Socket } from 'socket.io';
import { Timers, type SimClock } from './clock';
import { socketIo } from './optional-peers';

/** A pseudo-random generator in [0, 1) from a seed (mulberry32), so dropped events are reproducible. */
export const seededRandom = (seed: number): (() => number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** One event on its way out, with where it goes. */
export interface OutgoingEvent {
  readonly name: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** Rooms for the full payload (one emit: a socket in several rooms gets it once). */
  readonly rooms: ReadonlyArray<string>;
  /** Optional sanitized copy for the queue room, skipping sockets in `rooms` and `perOwner`'s rooms. */
  readonly sanitized?: { readonly room: string; readonly payload: Readonly<Record<string, unknown>> };
  /** Per-owner copies (each to its `user:<id>` room, skipping sockets in `rooms`, i.e. admins who get the full payload). */
  readonly perOwner?: ReadonlyArray<{ readonly room: string; readonly payload: Readonly<Record<string, unknown>> }>;
}

/** A record of an emitted (or dropped) event, for tests. */
export interface EventLogEntry {
  readonly name: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly delivered: boolean;
}

/** Delivery disturbances (set by `server.faults`). */
interface PipelineFaults {
  stall?: { readonly release: 'deliver' | 'drop' };
  drop?: { readonly fraction: number; readonly random: () => number };
  delayMs: number;
  reorder?: { remaining: number; buffer: OutgoingEvent[] };
}

/** Who a socket is: the user id and whether it may see everything. */
export interface SocketUser {
  readonly user_id: string;
  readonly is_admin: boolean;
}

/** Options of the socket hub. */
export interface SocketHubOptions {
  readonly path: string;
  readonly pingInterval?: number;
  readonly pingTimeout?: number;
  /** The clock of the stall, delay and restart timers (default real time). */
  readonly clock?: SimClock;
  /** Resolves a connect token to a user; `undefined` rejects the connection (multi-user mode). */
  readonly authenticate?: (token: string | undefined) => SocketUser | undefined;
}

// engine.io internals used to simulate a server that stopped pinging (decode boundary: private API)
interface EngineSocketInternals {
  schedulePing: () => void;
  pingIntervalTimer: ReturnType<typeof setTimeout> | null;
  pingTimeoutTimer: ReturnType<typeof setTimeout> | null;
}

/** The socket.io server (replaceable on restart) plus the fault-aware delivery pipeline. */
export class SocketHub {
  private io: Server | undefined;
  private readonly timers: Timers;
  private readonly faults: PipelineFaults = { delayMs: 0 };
  private pingsStopped = false;
  private readonly silenced = new Map<EngineSocketInternals, () => void>();
  /** Every event the server tried to send, in order, with whether it went out. */
  readonly log: EventLogEntry[] = [];

  constructor(private readonly options: SocketHubOptions) {
    this.timers = new Timers(options.clock);
    this.io = this.createIo();
  }

  private createIo(): Server {
    const io = new (socketIo().Server)({
      path: this.options.path,
      serveClient: false,
      cors: { origin: '*' },
      pingInterval: this.options.pingInterval ?? 25000,
      pingTimeout: this.options.pingTimeout ?? 20000,
    });
    // attach to a never-listening server: requests are routed to the engine by our own http server
    io.attach(http.createServer());
    const authenticate = this.options.authenticate;
    if (authenticate) {
      io.use((socket, next) => {
        const auth = socket.handshake.auth as Record<string, unknown> | undefined;
        const header = socket.handshake.headers.authorization;
        const token =
          typeof auth?.token === 'string' ? auth.token : typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
        const user = authenticate(token);
        if (!user) return next(new Error('Connection rejected by server'));
        socket.data = user;
        next();
      });
    }
    io.engine.on('connection', (raw: unknown) => {
      if (this.pingsStopped) this.silence(raw as EngineSocketInternals);
    });
    io.on('connection', (socket: Socket) => {
      const user: SocketUser = (socket.data as SocketUser | undefined)?.user_id ? (socket.data as SocketUser) : { user_id: 'system', is_admin: true };
      socket.data = user;
      void socket.join([`user:${user.user_id}`, 'workflows:shared', ...(user.is_admin ? ['admin'] : [])]);
      // As python-socketio, an event the client asks an acknowledgement of is acknowledged once handled
      // (InvokeAI's handlers return nothing: an empty ack), so a client can know its room is joined.
      const acknowledge = (ack: unknown): void => {
        if (typeof ack === 'function') (ack as () => void)();
      };
      socket.on('subscribe_queue', async (msg: unknown, ack: unknown) => {
        const queueId = (msg as { queue_id?: unknown } | undefined)?.queue_id;
        if (typeof queueId === 'string') await socket.join([queueId, `user:${user.user_id}`, ...(user.is_admin ? ['admin'] : [])]);
        acknowledge(ack);
      });
      socket.on('unsubscribe_queue', async (msg: unknown, ack: unknown) => {
        const queueId = (msg as { queue_id?: unknown } | undefined)?.queue_id;
        if (typeof queueId === 'string') await socket.leave(queueId);
        acknowledge(ack);
      });
      socket.on('subscribe_bulk_download', async (msg: unknown, ack: unknown) => {
        const id = (msg as { bulk_download_id?: unknown } | undefined)?.bulk_download_id;
        if (typeof id === 'string') await socket.join(id);
        acknowledge(ack);
      });
      socket.on('unsubscribe_bulk_download', async (msg: unknown, ack: unknown) => {
        const id = (msg as { bulk_download_id?: unknown } | undefined)?.bulk_download_id;
        if (typeof id === 'string') await socket.leave(id);
        acknowledge(ack);
      });
    });
    return io;
  }

  /** Routes an HTTP request on the socket path to the engine; false when the socket server is down. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!this.io) return false;
    this.io.engine.handleRequest(req as never, res as never);
    return true;
  }

  /** Routes a websocket upgrade to the engine (or refuses it while the socket server is down). */
  handleUpgrade(req: http.IncomingMessage, socket: import('stream').Duplex, head: Buffer): void {
    if (!this.io) {
      socket.destroy();
      return;
    }
    this.io.engine.handleUpgrade(req as never, socket as never, head);
  }

  /** Number of connected sockets. */
  get connectedCount(): number {
    return this.io ? this.io.of('/').sockets.size : 0;
  }

  /** Sends an event through the fault pipeline. */
  emit(ev: OutgoingEvent): void {
    const f = this.faults;
    if (f.drop && f.drop.random() < f.drop.fraction) {
      this.log.push({ name: ev.name, payload: ev.payload, delivered: false });
      return;
    }
    if (f.stall) {
      if (f.stall.release === 'drop') this.log.push({ name: ev.name, payload: ev.payload, delivered: false });
      else this.stalled.push(ev);
      return;
    }
    if (f.reorder) {
      f.reorder.buffer.push(ev);
      f.reorder.remaining -= 1;
      if (f.reorder.remaining <= 0) {
        const buffered = f.reorder.buffer.reverse();
        f.reorder = undefined;
        buffered.forEach((e) => this.deliverLater(e));
      }
      return;
    }
    this.deliverLater(ev);
  }

  private readonly stalled: OutgoingEvent[] = [];

  private deliverLater(ev: OutgoingEvent): void {
    if (this.faults.delayMs > 0) this.timers.after(this.faults.delayMs, () => this.deliver(ev));
    else this.deliver(ev);
  }

  private deliver(ev: OutgoingEvent): void {
    this.log.push({ name: ev.name, payload: ev.payload, delivered: true });
    const io = this.io;
    if (!io) return;
    if (ev.rooms.length > 0) io.to([...ev.rooms]).emit(ev.name, ev.payload);
    const ownerRooms = (ev.perOwner ?? []).map((o) => o.room);
    for (const owner of ev.perOwner ?? []) io.to(owner.room).except([...ev.rooms]).emit(ev.name, owner.payload);
    if (ev.sanitized) io.to(ev.sanitized.room).except([...ev.rooms, ...ownerRooms]).emit(ev.name, ev.sanitized.payload);
  }

  /** Holds every event for `ms`, then delivers them in order (or drops them). */
  stall(ms: number, release: 'deliver' | 'drop'): void {
    this.faults.stall = { release };
    this.timers.after(ms, () => {
      this.faults.stall = undefined;
      const held = this.stalled.splice(0);
      held.forEach((e) => this.deliverLater(e));
    });
  }

  /** Drops a fraction of events, reproducibly from `seed`; fraction 0 stops dropping. */
  dropFraction(fraction: number, seed: number): void {
    this.faults.drop = fraction > 0 ? { fraction, random: seededRandom(seed) } : undefined;
  }

  /** Delays every event by `ms` (order kept); 0 stops delaying. */
  delay(ms: number): void {
    this.faults.delayMs = ms;
  }

  /** Holds the next `count` events and delivers them in reverse order. */
  reorder(count: number): void {
    this.faults.reorder = { remaining: count, buffer: [] };
  }

  /** Disconnects every socket now (clients see a transport close and may reconnect). */
  dropAllSockets(): void {
    this.io?.of('/').sockets.forEach((s) => s.conn.close());
  }

  private silence(raw: EngineSocketInternals): void {
    const original = raw.schedulePing;
    raw.schedulePing = () => undefined;
    if (raw.pingIntervalTimer) clearTimeout(raw.pingIntervalTimer);
    if (raw.pingTimeoutTimer) clearTimeout(raw.pingTimeoutTimer);
    this.silenced.set(raw, () => {
      raw.schedulePing = original;
      raw.schedulePing();
    });
  }

  /** Stops sending engine.io pings, so clients detect a dead server by their ping timeout. */
  stopPings(): void {
    this.pingsStopped = true;
    const clients = (this.io?.engine as unknown as { clients?: Record<string, EngineSocketInternals> } | undefined)?.clients ?? {};
    Object.values(clients).forEach((c) => this.silence(c));
  }

  /** Resumes pings. */
  resumePings(): void {
    this.pingsStopped = false;
    this.silenced.forEach((restore) => restore());
    this.silenced.clear();
  }

  /** Closes all sockets and the engine, stays down for `downMs`, then starts a fresh socket server on the same port. */
  async restart(downMs: number): Promise<void> {
    const old = this.io;
    this.io = undefined;
    if (old) await old.close();
    if (downMs > 0) await this.timers.sleep(downMs);
    this.io = this.createIo();
  }

  /** Clears every disturbance (events held by a stall are delivered). */
  clearFaults(): void {
    this.faults.drop = undefined;
    this.faults.delayMs = 0;
    this.faults.stall = undefined;
    const held = this.stalled.splice(0);
    const reordered = this.faults.reorder?.buffer ?? [];
    this.faults.reorder = undefined;
    [...held, ...reordered].forEach((e) => this.deliver(e));
    this.resumePings();
  }

  /** Closes the socket server and clears timers. */
  async close(): Promise<void> {
    this.timers.close();
    const io = this.io;
    this.io = undefined;
    if (io) await io.close();
  }
}
