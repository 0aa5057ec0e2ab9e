// Real HTTP servers that misbehave the way networks and proxies do, for the run pipeline's
// exactly-once tests: a proxy in front of the simulator (HTTP and the socket's WebSocket upgrade
// pass through) that delays, misanswers or resets the enqueue POST and can rewrite item reads, and
// a silent server that accepts connections and never answers.
import * as http from 'http';
import * as net from 'net';
import type { AddressInfo } from 'net';

/** What the proxy does to an enqueue POST. */
export type EnqueueFault =
  /** Holds the POST this long, then forwards it and passes the answer on. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** Forwards the POST, waits for the server's answer (the batch is committed), and answers `status` instead. */
  | { readonly kind: 'answer_after_commit'; readonly status: number }
  /** Forwards the POST whole, then resets the client's connection at once: the server goes on with it. */
  | { readonly kind: 'reset_after_send' }
  /** Forwards the POST, waits for the server's answer, and resets the client's connection instead of answering. */
  | { readonly kind: 'reset_after_commit' };

/** A running proxy. */
export interface FaultyProxy {
  readonly url: string;
  /** The next `count` enqueue POSTs meet `fault` (default 1). */
  enqueueFault(fault: EnqueueFault, count?: number): void;
  /** Rewrites each queue item of the answers to `GET .../i/{id}` and `POST .../items_by_ids` (`null`: none). */
  rewriteItems(rewrite: ((item: Record<string, unknown>) => Record<string, unknown>) | null): void;
  /** Enqueue POSTs the client sent. */
  readonly posts: () => number;
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

const readBody = (stream: NodeJS.ReadableStream): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts a proxy in front of `target` (a simulator URL) on a free loopback port.
 *
 * @example
 * const proxy = await startFaultyProxy(server.url);
 * proxy.enqueueFault({ kind: 'answer_after_commit', status: 504 });
 * const client = createClient({ baseUrl: proxy.url });
 */
export const startFaultyProxy = async (target: string): Promise<FaultyProxy> => {
  const upstream = new URL(target);
  const faults: EnqueueFault[] = [];
  let rewrite: ((item: Record<string, unknown>) => Record<string, unknown>) | null = null;
  let posts = 0;
  const sockets = new Set<net.Socket>();

  const forward = (req: http.IncomingMessage, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: upstream.host, 'accept-encoding': 'identity' };
      const request = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (res) => {
          readBody(res).then((answer) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: answer }), reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });

  const send = (res: http.ServerResponse, answer: Answer): void => {
    const headers = { ...answer.headers };
    delete headers['transfer-encoding'];
    headers['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };

  const rewritten = (path: string, answer: Answer): Answer => {
    if (rewrite === null || answer.status !== 200 || !(/\/i\/\d+$/.test(path) || path.endsWith('/items_by_ids'))) return answer;
    const parsed = JSON.parse(answer.body.toString('utf8')) as unknown;
    const change = rewrite;
    const next = Array.isArray(parsed) ? parsed.map((item) => change(item as Record<string, unknown>)) : change(parsed as Record<string, unknown>);
    return { ...answer, body: Buffer.from(JSON.stringify(next)) };
  };

  const server = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const path = (req.url ?? '').split('?')[0];
      const isEnqueue = req.method === 'POST' && path.endsWith('/enqueue_batch');
      if (isEnqueue) posts += 1;
      const fault = isEnqueue ? faults.shift() : undefined;
      if (fault === undefined) return send(res, rewritten(path, await forward(req, body)));
      switch (fault.kind) {
        case 'delay':
          await sleep(fault.ms);
          // The client may have given up meanwhile: the POST still reaches the server.
          return forward(req, body).then((answer) => (res.destroyed ? undefined : send(res, answer)));
        case 'answer_after_commit': {
          await forward(req, body);
          return send(res, { status: fault.status, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ detail: 'Bad Gateway' })) });
        }
        case 'reset_after_send': {
          const answered = forward(req, body);
          req.socket.destroy();
          await answered;
          return;
        }
        case 'reset_after_commit':
          await forward(req, body);
          req.socket.destroy();
          return;
      }
    })().catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(502);
        res.end();
      }
    });
  });

  // The socket's WebSocket: passed through byte for byte.
  server.on('upgrade', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const link = net.connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        lines.push(`${name}: ${name.toLowerCase() === 'host' ? upstream.host : req.rawHeaders[i + 1]}`);
      }
      link.write(`${lines.join('\r\n')}\r\n\r\n`);
      link.write(head);
      client.pipe(link).pipe(client);
    });
    sockets.add(link);
    link.on('close', () => sockets.delete(link));
    link.on('error', () => client.destroy());
    client.on('error', () => link.destroy());
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    enqueueFault: (fault, count = 1) => {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    rewriteItems: (next) => {
      rewrite = next;
    },
    posts: () => posts,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
};

/** A server that accepts connections and never answers anything. */
export interface SilentServer {
  readonly url: string;
  /** Connections it accepted. */
  readonly connections: () => number;
  close(): Promise<void>;
}

/**
 * Starts a silent server on a free loopback port.
 *
 * @example
 * const silent = await startSilentServer();
 * const client = createClient({ baseUrl: silent.url, requestTimeoutMs: 1000 });
 */
export const startSilentServer = async (): Promise<SilentServer> => {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((socket) => socket.destroy());
        server.close(() => resolve());
      }),
  };
};
