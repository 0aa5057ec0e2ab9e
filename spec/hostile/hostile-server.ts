// A hostile server for the edge tests: a real HTTP server whose answers each test scripts, and a
// WebSocket endpoint at InvokeAI's socket path that speaks Engine.IO / Socket.IO frame by frame, so
// a test can send what no well-behaved server would: frames of any size (streamed, never built in
// memory), handshakes with absurd timings, redirects to another port, endless and gzip-bomb bodies.
// It can also stand in front of a real server (the simulator) and pass everything on, changing
// only the answers a test picks (`forward` with a transform, `proxySocketsTo`).
// The WebSocket side is written out here (RFC 6455 framing) rather than taken from `ws`, because
// `ws` refuses to send what these tests need to send.
import { createHash } from 'crypto';
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo, Socket } from 'net';
import { Readable } from 'stream';
import * as zlib from 'zlib';

/** One request the server received. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Answers one HTTP request; the request body has been read. */
export type HttpScript = (req: RecordedRequest, res: http.ServerResponse) => void | Promise<void>;

/** One WebSocket session as the server drives it. */
export interface HostileSocket {
  /** Text frames the client sent, in order. */
  readonly received: string[];
  /** The client's next text frame (or the one already waiting). */
  next(): Promise<string>;
  /** Sends one text frame. */
  send(text: string): Promise<void>;
  /** Sends one text frame of `size` bytes, `prefix` then `x` filler, streamed in chunks; stops when the client goes. */
  sendHuge(prefix: string, size: number): Promise<void>;
  /** The usual start: the open packet (with `fields` over the defaults), the client's CONNECT, the server's CONNECT answer. */
  handshake(fields?: Readonly<Record<string, unknown>>): Promise<void>;
  /** Reads the client's `subscribe_queue` (its next frame) and acknowledges it, as InvokeAI's server does. */
  acknowledgeSubscribe(): Promise<void>;
  /** Drops the TCP connection. */
  destroy(): void;
  /** Settles when the client closed or dropped the connection. */
  readonly gone: Promise<void>;
}

/** A running hostile server. */
export interface HostileServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Every HTTP request, in order. */
  readonly requests: RecordedRequest[];
  /** WebSocket sessions, in the order they opened. */
  readonly sockets: HostileSocket[];
  /** How HTTP requests are answered from now on (default: 404). */
  onHttp(script: HttpScript): void;
  /** What happens in each new WebSocket session (default: nothing). */
  onSocket(script: (socket: HostileSocket) => void | Promise<void>): void;
  /** Passes every WebSocket upgrade on to the server at `baseUrl`, untouched (instead of `onSocket`). */
  proxySocketsTo(baseUrl: string): void;
  close(): Promise<void>;
}

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The header of an unmasked server frame (FIN set) carrying `length` bytes. */
const frameHeader = (opcode: number, length: number): Buffer => {
  if (length < 126) return Buffer.from([0x80 | opcode, length]);
  if (length < 65536) {
    const header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
    return header;
  }
  const header = Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  header[1] = 127;
  header.writeBigUInt64BE(BigInt(length), 2);
  return header;
};

/** Writes and waits for the socket to take it (backpressure), or for the socket to go. */
const write = (socket: Socket, data: Buffer): Promise<boolean> =>
  new Promise((resolve) => {
    if (socket.destroyed) return resolve(false);
    if (socket.write(data)) return resolve(true);
    const done = (ok: boolean) => () => {
      socket.off('drain', onDrain);
      socket.off('close', onClose);
      resolve(ok);
    };
    const onDrain = done(true);
    const onClose = done(false);
    socket.once('drain', onDrain);
    socket.once('close', onClose);
  });

const hostileSocket = (socket: Socket): HostileSocket => {
  const received: string[] = [];
  const waiting: Array<(text: string) => void> = [];
  let read = 0;
  let pending = Buffer.alloc(0);
  let goneResolve: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => {
    goneResolve = resolve;
  });
  socket.on('close', () => goneResolve());
  socket.on('error', () => undefined);

  // Client frames are masked; only text, close and ping matter here.
  socket.on('data', (data: Buffer) => {
    pending = Buffer.concat([pending, data]);
    for (;;) {
      if (pending.length < 2) return;
      const opcode = pending[0] & 0x0f;
      let length = pending[1] & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (pending.length < 4) return;
        length = pending.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (pending.length < 10) return;
        length = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      const masked = (pending[1] & 0x80) !== 0;
      const maskAt = offset;
      if (masked) offset += 4;
      if (pending.length < offset + length) return;
      const payload = Buffer.from(pending.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i] ^= pending[maskAt + (i % 4)];
      pending = pending.subarray(offset + length);
      if (opcode === 0x1) {
        const text = payload.toString('utf8');
        received.push(text);
        const waiter = waiting.shift();
        if (waiter) {
          read++;
          waiter(text);
        }
      } else if (opcode === 0x8) {
        void write(socket, frameHeader(0x8, 0)).then(() => socket.end());
      } else if (opcode === 0x9) {
        void write(socket, Buffer.concat([frameHeader(0xa, payload.length), payload]));
      }
    }
  });

  const next = (): Promise<string> => {
    if (read < received.length) return Promise.resolve(received[read++]);
    return new Promise((resolve) => waiting.push(resolve));
  };
  const send = async (text: string): Promise<void> => {
    const payload = Buffer.from(text, 'utf8');
    await write(socket, Buffer.concat([frameHeader(0x1, payload.length), payload]));
  };
  const sendHuge = async (prefix: string, size: number): Promise<void> => {
    const head = Buffer.from(prefix, 'utf8');
    if (!(await write(socket, Buffer.concat([frameHeader(0x1, size), head])))) return;
    const filler = Buffer.alloc(1024 * 1024, 'x');
    for (let sent = head.length; sent < size; sent += filler.length) {
      if (!(await write(socket, filler.subarray(0, Math.min(filler.length, size - sent))))) return;
    }
  };
  const handshake = async (fields: Readonly<Record<string, unknown>> = {}): Promise<void> => {
    await send(`0${JSON.stringify({ sid: 'hostile', upgrades: [], pingInterval: 25000, pingTimeout: 20000, maxPayload: 1000000, ...fields })}`);
    const connect = await next();
    if (!connect.startsWith('40')) throw new Error(`expected the client's CONNECT, got ${connect.slice(0, 80)}`);
    await send('40{"sid":"hostile-socket"}');
  };
  const acknowledgeSubscribe = async (): Promise<void> => {
    const subscribe = await next();
    const ackId = /^42(\d+)\["subscribe_queue",/.exec(subscribe)?.[1];
    if (ackId === undefined) throw new Error(`expected the client's subscribe_queue with an ack id, got ${subscribe.slice(0, 80)}`);
    await send(`43${ackId}[]`);
  };
  return { received, next, send, sendHuge, handshake, acknowledgeSubscribe, destroy: () => socket.destroy(), gone };
};

/**
 * Starts a hostile server on a free port of 127.0.0.1.
 *
 * @example
 * const server = await startHostileServer();
 * server.onHttp((req, res) => endlessJson(res));
 */
export const startHostileServer = async (): Promise<HostileServer> => {
  const requests: RecordedRequest[] = [];
  const sockets: HostileSocket[] = [];
  let httpScript: HttpScript = (_req, res) => json(res, 404, { detail: 'Not Found' });
  let socketScript: (socket: HostileSocket) => void | Promise<void> = () => undefined;
  let socketTarget: URL | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      res.on('error', () => undefined);
      Promise.resolve(httpScript(recorded, res)).catch(() => res.destroy());
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    if (socketTarget !== undefined) {
      const upstream = net.connect(Number(socketTarget.port), socketTarget.hostname, () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`)];
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        upstream.write(head);
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.on('close', () => upstream.destroy());
      return;
    }
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string' || !(req.url ?? '').includes('/ws/socket.io/')) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${key}${WEBSOCKET_GUID}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    const session = hostileSocket(socket);
    sockets.push(session);
    Promise.resolve(socketScript(session)).catch(() => session.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    sockets,
    onHttp: (script) => {
      httpScript = script;
    },
    onSocket: (script) => {
      socketScript = script;
    },
    proxySocketsTo: (baseUrl) => {
      socketTarget = new URL(baseUrl);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
};

/** Answers JSON. */
export const json = (res: http.ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** A stream of `total` bytes made of `chunk` repeated, produced as it is read (never held whole). */
export const repeated = (chunk: Buffer, total: number): Readable => {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= total) {
        this.push(null);
        return;
      }
      const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
      sent += part.length;
      this.push(part);
    },
  });
};

/** Streams `body` as the answer and stops when the client goes. */
const streamTo = (res: http.ServerResponse, body: Readable): Promise<void> =>
  new Promise((resolve) => {
    res.on('close', () => {
      body.destroy();
      resolve();
    });
    body.on('error', () => resolve());
    body.pipe(res);
  });

/** A chunked JSON answer that never ends (`[{"a":"xxx..."},` forever), until the client goes. */
export const endlessJson = (res: http.ServerResponse): Promise<void> => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('[');
  return streamTo(res, repeated(Buffer.from(`{"a":"${'x'.repeat(64 * 1024)}"},`), Number.MAX_SAFE_INTEGER));
};

/**
 * A gzip-encoded JSON answer that inflates to `inflatedBytes` (`[0,0,0,...`), compressed as it is
 * sent: about 1 MB on the wire per GB inflated, as a decompression bomb is.
 */
export const gzipBomb = (res: http.ServerResponse, inflatedBytes: number): Promise<void> => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
  const body = Readable.from(
    (function* () {
      yield Buffer.from('[');
      const zeros = Buffer.from('0,'.repeat(512 * 1024));
      for (let sent = 1; sent < inflatedBytes; sent += zeros.length) yield zeros;
    })(),
  ).pipe(zlib.createGzip({ level: 9 }));
  return streamTo(res, body);
};

/** A `image/png` answer of `size` bytes (a PNG signature, then filler), streamed as it is read. */
export const hugeImage = (res: http.ServerResponse, size: number, withLength = true): Promise<void> => {
  res.writeHead(200, { 'content-type': 'image/png', ...(withLength ? { 'content-length': String(size) } : {}) });
  res.write(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return streamTo(res, repeated(Buffer.alloc(1024 * 1024, 7), size - 8));
};

/**
 * Sends the request on to the server at `baseUrl` and answers with its answer; `transform` may
 * rewrite a JSON answer: it gets the body parsed and answers the JSON text to send instead.
 */
export const forward = (
  baseUrl: string,
  req: RecordedRequest,
  res: http.ServerResponse,
  transform?: (body: unknown) => string,
): Promise<void> =>
  new Promise((resolve) => {
    const target = new URL(req.url, baseUrl);
    const headers = { ...req.headers, host: target.host };
    // A transformed answer is read as plain JSON.
    if (transform !== undefined) delete headers['accept-encoding'];
    const upstream = http.request(target, { method: req.method, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (chunk: Buffer) => chunks.push(chunk));
      answer.on('end', () => {
        let body = Buffer.concat(chunks);
        const outHeaders = { ...answer.headers };
        if (transform !== undefined && String(answer.headers['content-type']).includes('json') && body.length > 0) {
          body = Buffer.from(transform(JSON.parse(body.toString('utf8')) as unknown));
          delete outHeaders['content-encoding'];
          outHeaders['content-length'] = String(body.length);
        }
        res.writeHead(answer.statusCode ?? 502, outHeaders);
        res.end(body);
        resolve();
      });
    });
    upstream.on('error', () => {
      res.destroy();
      resolve();
    });
    upstream.end(req.body);
  });

/** The JSON text of arrays nested `depth` levels deep around a 0 (JSON.stringify could not write it: its recursion overflows the stack). */
export const nestedJson = (depth: number): string => `${'['.repeat(depth)}0${']'.repeat(depth)}`;

/** The JSON text of `value` (an object) with one more field, `field`, holding the JSON text `json`. */
export const withField = (value: unknown, field: string, json: string): string => JSON.stringify(value).replace(/}$/, `,${JSON.stringify(field)}:${json}}`);
