// Real Socket.IO servers for the client's interop tests, both shaped like InvokeAI's socket:
// path `ws/socket.io`, rooms `user:system` and `admin` joined on connect, `subscribe_queue` joining the
// queue room, auth checked at connect. One is the npm `socket.io` server in-process, the other
// python-socketio (Debian's python3-socketio on aiohttp) in a child process.
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { ChildProcessWithoutNullStreams, spawn } from 'child_process';
import { AddressInfo } from 'net';
import { Server } from 'socket.io';
import { peerPython, peers } from './requirements';

/** What a test sees of the server side. */
export interface ServerLogEntry {
  readonly event: 'connect' | 'subscribe_queue' | 'disconnect';
  readonly sid: string;
  readonly queueId?: string;
  readonly hasToken?: boolean;
}

/** Options of a peer server. */
export interface PeerServerOptions {
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** When set, connects without this token are refused (InvokeAI multi-user mode). */
  readonly token?: string;
  /** A base_url prefix such as `/invoke`. */
  readonly prefix?: string;
}

/** A running peer server. */
export interface PeerServer {
  readonly name: string;
  readonly baseUrl: string;
  readonly port: number;
  readonly log: ServerLogEntry[];
  emit(event: string, payload: unknown, room: string): Promise<void>;
  /** Engine.IO sessions the server holds open right now. */
  clientCount(): Promise<number>;
  /** Stops the server (dropping every connection) and starts it again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** Polls `check` until it holds (or fails after `timeoutMs` with `what` in the message). */
export const eventually = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

/** The npm `socket.io` server, in-process. */
export const startNpmServer = async (options: PeerServerOptions): Promise<PeerServer> => {
  const log: ServerLogEntry[] = [];
  let httpServer: http.Server;
  let io: Server;
  const start = async (port: number) => {
    httpServer = http.createServer();
    io = new Server(httpServer, {
      path: `${options.prefix ?? ''}/ws/socket.io`,
      pingInterval: options.pingIntervalMs,
      pingTimeout: options.pingTimeoutMs,
      cors: { origin: '*' },
    });
    io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown }).token;
      log.push({ event: 'connect', sid: socket.id, hasToken: typeof token === 'string' });
      if (options.token !== undefined && token !== options.token) {
        next(Object.assign(new Error('Connection rejected by server'), { data: 'ERR_UNAUTHENTICATED' }));
      } else next();
    });
    io.on('connection', (socket) => {
      void socket.join(['user:system', 'admin']);
      // Acknowledged once the room is joined, as python-socketio answers an ACK after its handler returned.
      socket.on('subscribe_queue', async (data: { queue_id?: string }, ack?: unknown) => {
        if (data?.queue_id) await socket.join(data.queue_id);
        log.push({ event: 'subscribe_queue', sid: socket.id, queueId: data?.queue_id });
        if (typeof ack === 'function') ack();
      });
      socket.on('disconnect', () => log.push({ event: 'disconnect', sid: socket.id }));
    });
    await new Promise<void>((resolve) => httpServer.listen(port, '127.0.0.1', resolve));
    return (httpServer.address() as AddressInfo).port;
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      io.close(() => resolve());
      httpServer.closeAllConnections();
    });
  const port = await start(0);
  return {
    name: 'npm socket.io',
    port,
    baseUrl: `http://127.0.0.1:${port}${options.prefix ?? ''}`,
    log,
    emit: async (event, payload, room) => {
      io.to(room).emit(event, payload);
    },
    clientCount: async () => io.engine.clientsCount,
    restart: async () => {
      await stop();
      await start(port);
    },
    close: stop,
  };
};

const PYTHON = peerPython();
const SCRIPT = path.join(__dirname, 'python_sio_server.py');

/** python-socketio on aiohttp, as InvokeAI runs it, in a child process driven over stdin/stdout. */
export const startPythonServer = async (options: PeerServerOptions): Promise<PeerServer> => {
  if (options.prefix) throw new Error('the python peer server has no prefix option');
  const log: ServerLogEntry[] = [];
  let child: ChildProcessWithoutNullStreams;
  let waiters: Array<(report: Record<string, unknown>) => boolean> = [];
  let stderr = '';
  let nextId = 0;

  const expectReport = (match: (report: Record<string, unknown>) => boolean, what: string, timeoutMs = 10000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`python server: no ${what} report; stderr:\n${stderr}`)), timeoutMs);
      waiters.push((report) => {
        if (!match(report)) return false;
        clearTimeout(timer);
        resolve(report);
        return true;
      });
    });

  const start = async (port: number): Promise<number> => {
    stderr = '';
    const args = [SCRIPT, '--port', String(port), '--ping-interval', String(options.pingIntervalMs / 1000), '--ping-timeout', String(options.pingTimeoutMs / 1000)];
    if (options.token !== undefined) args.push('--token', options.token);
    child = spawn(PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        const report = JSON.parse(line) as Record<string, unknown>;
        if (report.event === 'connect') log.push({ event: 'connect', sid: String(report.sid), hasToken: Boolean(report.has_token) });
        if (report.event === 'subscribe_queue') log.push({ event: 'subscribe_queue', sid: String(report.sid), queueId: String(report.queue_id) });
        if (report.event === 'disconnect') log.push({ event: 'disconnect', sid: String(report.sid) });
        const index = waiters.findIndex((waiter) => waiter(report));
        if (index >= 0) waiters = waiters.filter((_w, i) => i !== index);
      }
    });
    const hint = `python-socketio must be installed: ${peers().pythonSocketio.install}`;
    const exited = new Promise<never>((_resolve, reject) => {
      child.once('error', (error) => reject(new Error(`python server could not start (${error.message}). ${hint}`)));
      child.once('exit', (code) => reject(new Error(`python server exited (code ${code}) before listening. ${hint}. stderr:\n${stderr}`)));
    });
    exited.catch(() => undefined);
    const listening = await Promise.race([expectReport((r) => r.event === 'listening', 'listening'), exited]);
    return Number(listening.port);
  };
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end(`${JSON.stringify({ cmd: 'stop' })}\n`);
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(killer);
  };
  const command = (cmd: Record<string, unknown>) => child.stdin.write(`${JSON.stringify(cmd)}\n`);

  const port = await start(0);
  return {
    name: 'python-socketio',
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    log,
    emit: async (event, payload, room) => {
      const id = ++nextId;
      const done = expectReport((r) => r.event === 'emitted' && r.id === id, `emitted ${id}`);
      command({ cmd: 'emit', event, payload, room, id });
      await done;
    },
    clientCount: async () => {
      const id = ++nextId;
      const done = expectReport((r) => r.event === 'stats' && r.id === id, `stats ${id}`);
      command({ cmd: 'stats', id });
      return Number((await done).clients);
    },
    restart: async () => {
      await stop();
      await start(port);
    },
    close: stop,
  };
};

/** A TCP proxy that can turn every current connection into a black hole (open, but nothing passes). */
export const startBlackholeProxy = async (targetPort: number) => {
  const pairs: Array<[net.Socket, net.Socket]> = [];
  const silenced: net.Socket[] = [];
  const server = net.createServer((downstream) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    pairs.push([downstream, upstream]);
    downstream.pipe(upstream);
    upstream.pipe(downstream);
    const end = () => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('close', end);
    upstream.on('close', end);
    downstream.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    /** Existing connections go silent both ways; new connections pass normally. */
    silence: () => {
      for (const [downstream, upstream] of pairs.splice(0)) {
        downstream.unpipe(upstream);
        upstream.unpipe(downstream);
        downstream.pause();
        upstream.pause();
        // Keep them for close(); they are no longer forwarded.
        silenced.push(downstream, upstream);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of [...silenced, ...pairs.flat()]) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
