import * as http from 'http';
import { AddressInfo } from 'net';
import * as t from 'io-ts';
import { TestScheduler } from 'rxjs/testing';
import crossFetch from 'cross-fetch';
import { apiPath, bytesCodec, createHttpClient, encodeQuery, FetchLike, HttpClientOptions, parseRetryAfter, tokenStore } from '../../lib/transport/http';
import { RetryPolicy } from '../../lib/internal/backoff';
import { AuthError, DecodeError, HttpError, NetworkError, RequestAbortedError, RequestTimeoutError } from '../../lib/transport/errors';

interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
type Handler = (req: Recorded, res: http.ServerResponse) => void;

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

/** A small real HTTP server whose answers each test scripts; it records every request. */
const startServer = async (handler: Handler) => {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(recorded);
      handler(recorded, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    requests,
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

let server: Awaited<ReturnType<typeof startServer>> | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const client = (overrides: Partial<HttpClientOptions> = {}) =>
  createHttpClient({
    baseUrl: server!.base,
    fetch: crossFetch,
    token: tokenStore('secret-token-123'),
    retry: { initialDelayMs: 1, maxDelayMs: 2 },
    ...overrides,
  });

const Status = t.type({ ok: t.boolean });

describe('URLs', () => {
  it('derives every URL from a baseUrl with a path prefix, and repeats array query keys', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: true }));
    const http1 = client({ baseUrl: `${server.base}/proxy/invoke/` });
    await http1.request({ method: 'GET', path: '/api/v2/models/', query: { base_models: ['sd-1', 'sdxl'], model_type: 'main', x: undefined }, decode: t.unknown });
    expect(server.requests[0].url).toBe('/proxy/invoke/api/v2/models/?base_models=sd-1&base_models=sdxl&model_type=main');
    expect(http1.url('/api/v1/images/i/a.png/full')).toBe(`${server.base}/proxy/invoke/api/v1/images/i/a.png/full`);
  });

  it('encodes path segments and query values', () => {
    expect(apiPath`/api/v1/queue/${'a b/c'}/i/${7}`).toBe('/api/v1/queue/a%20b%2Fc/i/7');
    expect(encodeQuery({ destination: 'x&y', all: true, n: 0, none: null })).toBe('?destination=x%26y&all=true&n=0');
    expect(encodeQuery({})).toBe('');
  });
});

describe('bodies and answers', () => {
  it('sends JSON (also a bare array), the bearer token, and accepts any 2xx', async () => {
    server = await startServer((_req, res) => json(res, 201, { ok: true }));
    const result = await client().request({ method: 'PUT', path: '/api/v1/queue/default/retry_items_by_id', body: { json: [1, 2, 3] }, decode: Status });
    expect(result).toEqual({ ok: true });
    const req = server.requests[0];
    expect(JSON.parse(req.body.toString())).toEqual([1, 2, 3]);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer secret-token-123');
  });

  it('sends multipart bodies with files and text fields', async () => {
    server = await startServer((_req, res) => json(res, 201, { image_name: 'x.png' }));
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 255]);
    await client().request({
      method: 'POST',
      path: '/api/v1/images/upload',
      query: { image_category: 'user', is_intermediate: false },
      body: { multipart: [{ name: 'file', filename: 'a "b".png', contentType: 'image/png', data: png }, { name: 'metadata', value: '{"a":1}' }] },
      decode: t.type({ image_name: t.string }),
    });
    const req = server.requests[0];
    const boundary = /boundary=(.+)$/.exec(String(req.headers['content-type']))?.[1];
    expect(boundary).toBeDefined();
    const text = req.body.toString('latin1');
    expect(text).toContain('Content-Disposition: form-data; name="file"; filename="a %22b%22.png"\r\nContent-Type: image/png\r\n\r\n');
    expect(req.body.includes(Buffer.from(png))).toBe(true);
    expect(text).toContain('name="metadata"\r\n\r\n{"a":1}\r\n');
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
    expect(req.url).toBe('/api/v1/images/upload?image_category=user&is_intermediate=false');
  });

  it('reads bytes', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(Buffer.from([1, 2, 3]));
    });
    const bytes = await client().request({ method: 'GET', path: '/api/v1/images/i/a.png/full', responseType: 'bytes', decode: bytesCodec });
    expect(Array.from(bytes)).toEqual([1, 2, 3]);
  });

  it('turns a body of the wrong shape into a DecodeError naming the endpoint and the path', async () => {
    server = await startServer((_req, res) => json(res, 200, { ok: 'yes' }));
    const error = await client().request({ method: 'GET', path: '/api/v1/queue/default/status', decode: Status }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as DecodeError).name).toBe('DecodeError');
    expect((error as DecodeError).endpoint).toBe('GET /api/v1/queue/default/status');
    expect((error as DecodeError).message).toContain('$.ok: expected boolean');
  });

  it('turns a body that is not JSON into a DecodeError', async () => {
    server = await startServer((_req, res) => {
      res.writeHead(200);
      res.end('<html>proxy login</html>');
    });
    const error = await client().request({ method: 'GET', path: '/api/v1/app/version', decode: t.unknown }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecodeError);
    expect((error as Error).message).toContain('expected JSON');
  });
});

describe('errors', () => {
  it('makes a FastAPI 422 readable', async () => {
    server = await startServer((_req, res) =>
      json(res, 422, {
        detail: [
          { type: 'missing', loc: ['body', 'batch', 'graph'], msg: 'Field required', input: {} },
          { type: 'int_parsing', loc: ['body', 'batch', 'runs'], msg: 'Input should be a valid integer', input: 'x' },
        ],
      }),
    );
    const error = await client().request({ method: 'POST', path: '/api/v1/queue/default/enqueue_batch', body: { json: {} }, decode: t.unknown }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const httpError = error as HttpError;
    expect(httpError.status).toBe(422);
    expect(httpError.method).toBe('POST');
    expect(httpError.issues).toEqual([
      { loc: 'body.batch.graph', msg: 'Field required', type: 'missing' },
      { loc: 'body.batch.runs', msg: 'Input should be a valid integer', type: 'int_parsing' },
    ]);
    expect(httpError.message).toContain('body.batch.graph: Field required');
    expect(httpError.message).toContain('body.batch.runs: Input should be a valid integer');
  });

  it('carries a string detail', async () => {
    server = await startServer((_req, res) => json(res, 404, { detail: 'Queue item with id 9 not found in queue default' }));
    const error = (await client().request({ method: 'GET', path: '/api/v1/queue/default/i/9', decode: t.unknown }).catch((e: unknown) => e)) as HttpError;
    expect(error.name).toBe('HttpError');
    expect(error.detail).toBe('Queue item with id 9 not found in queue default');
    expect(error.message).toContain('HTTP 404: Queue item with id 9 not found');
    expect(error.url).toBe(`${server.base}/api/v1/queue/default/i/9`);
  });

  it('turns 401 and 403 into AuthError, and the token appears nowhere in it', async () => {
    server = await startServer((req, res) => json(res, req.url?.includes('admin') ? 403 : 401, { detail: 'Invalid or expired token' }));
    const logged: string[] = [];
    const c = client({ logger: { debug: (m) => logged.push(m), warn: (m) => logged.push(m) } });
    for (const path of ['/api/v1/queue/default/status', '/api/v1/queue/default/processor/pause/admin']) {
      const error = (await c.request({ method: 'GET', path, decode: t.unknown }).catch((e: unknown) => e)) as AuthError;
      expect(error).toBeInstanceOf(AuthError);
      expect(error.name).toBe('AuthError');
      expect(JSON.stringify({ ...error, message: error.message, stack: error.stack })).not.toContain('secret-token-123');
    }
    expect(server.requests).toHaveLength(2); // never retried
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).not.toContain('secret-token-123');
  });

  it('reports a refused connection as a NetworkError', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    const base = server.base;
    await server.close();
    server = undefined;
    const error = await createHttpClient({ baseUrl: base, fetch: crossFetch, token: tokenStore(), retry: false })
      .request({ method: 'GET', path: '/api/v1/app/version', decode: t.unknown })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toContain('Check that InvokeAI is running');
  });
});

describe('token refresh', () => {
  it('replaces the token from X-Refreshed-Token and uses the new one next', async () => {
    let n = 0;
    server = await startServer((_req, res) => json(res, 200, { ok: true }, n++ === 0 ? { 'x-refreshed-token': 'fresh-token' } : {}));
    const token = tokenStore('old-token');
    const c = client({ token });
    await c.request({ method: 'POST', path: '/api/v1/queue/default/enqueue_batch', body: { json: {} }, decode: t.unknown });
    await c.request({ method: 'GET', path: '/api/v1/queue/default/status', decode: t.unknown });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual(['Bearer old-token', 'Bearer fresh-token']);
    expect(token.get()).toBe('fresh-token');
  });

  it('sends no Authorization header without a token', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    await client({ token: tokenStore() }).request({ method: 'GET', path: '/x', decode: t.unknown });
    expect(server.requests[0].headers.authorization).toBeUndefined();
  });
});

/**
 * A client in virtual time over a fetch that answers each call with the next scripted status (and
 * Retry-After); records the virtual time of each call. `advanceTo` runs time up to a frame, letting
 * the fetch promises settle before and after.
 */
const virtualClient = (answers: ReadonlyArray<{ status: number; retryAfter?: string }>, random: number, retry: Partial<RetryPolicy>) => {
  const scheduler = new TestScheduler(() => undefined);
  const callTimes: number[] = [];
  const fetch: FetchLike = async () => {
    callTimes.push(scheduler.now());
    const answer = answers[Math.min(callTimes.length - 1, answers.length - 1)];
    return {
      status: answer.status,
      headers: { get: (name: string) => (name.toLowerCase() === 'retry-after' ? answer.retryAfter ?? null : null) },
      text: async () => (answer.status === 200 ? '{"ok":true}' : '{"detail":"busy"}'),
      arrayBuffer: async () => new ArrayBuffer(0),
    };
  };
  const client = createHttpClient({ baseUrl: 'http://invoke.test', fetch, token: tokenStore(), scheduler, random: () => random, retry });
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const advanceTo = async (frame: number) => {
    await settle();
    scheduler.maxFrames = frame;
    scheduler.flush();
    await settle();
  };
  return { client, callTimes, advanceTo };
};

describe('retries', () => {
  const failing = (failures: number, status = 503) => {
    let n = 0;
    return (_req: Recorded, res: http.ServerResponse) => (n++ < failures ? json(res, status, { detail: 'busy' }) : json(res, 200, { ok: true }));
  };

  it('retries a GET on 503 until it succeeds', async () => {
    server = await startServer(failing(2));
    expect(await client().request({ method: 'GET', path: '/api/v1/queue/default/status', decode: Status })).toEqual({ ok: true });
    expect(server.requests).toHaveLength(3);
  });

  it.each([502, 504])('retries a GET on %i', async (status) => {
    server = await startServer(failing(1, status));
    await client().request({ method: 'GET', path: '/s', decode: Status });
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after maxRetries with the last HttpError', async () => {
    server = await startServer(failing(100));
    const error = await client({ retry: { maxRetries: 2, initialDelayMs: 1 } }).request({ method: 'GET', path: '/s', decode: Status }).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(503);
    expect(server.requests).toHaveLength(3);
  });

  it('never retries a POST', async () => {
    server = await startServer(failing(1));
    const error = await client().request({ method: 'POST', path: '/api/v1/queue/default/enqueue_batch', body: { json: {} }, decode: t.unknown, idempotent: true }).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(503);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a PUT only when the caller marks it idempotent (cancel yes, retry_items_by_id no)', async () => {
    server = await startServer(failing(1));
    await client().request({ method: 'PUT', path: '/api/v1/queue/default/i/1/cancel', decode: t.unknown, idempotent: true });
    expect(server.requests).toHaveLength(2);
    server.requests.length = 0;
    const again = await startServer(failing(1));
    await server.close();
    server = again;
    const error = await client().request({ method: 'PUT', path: '/api/v1/queue/default/retry_items_by_id', body: { json: [1] }, decode: t.unknown }).catch((e: unknown) => e);
    expect((error as HttpError).status).toBe(503);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry a 500 or a 404', async () => {
    server = await startServer(failing(1, 500));
    await expect(client().request({ method: 'GET', path: '/s', decode: t.unknown })).rejects.toBeInstanceOf(HttpError);
    expect(server.requests).toHaveLength(1);
  });

  it('waits the backoff delays between attempts, in virtual time', async () => {
    const { client: c, callTimes, advanceTo } = virtualClient([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 200 }], 0.5, {
      maxRetries: 5,
      initialDelayMs: 100,
      maxDelayMs: 300,
      factor: 2,
      jitter: 0.5,
    });
    let result: unknown;
    c.request$({ method: 'GET', path: '/s', decode: Status }).subscribe((v) => (result = v));
    await advanceTo(0);
    expect(callTimes).toEqual([0]);
    await advanceTo(74); // first delay: 100 * (1 - 0.5 * 0.5) = 75
    expect(callTimes).toEqual([0]);
    await advanceTo(75);
    expect(callTimes).toEqual([0, 75]);
    await advanceTo(75 + 150);
    expect(callTimes).toEqual([0, 75, 225]);
    await advanceTo(225 + 224); // the third delay is capped: 300 * 0.75 = 225
    expect(callTimes).toEqual([0, 75, 225]);
    await advanceTo(225 + 225);
    expect(callTimes).toEqual([0, 75, 225, 450]);
    expect(result).toEqual({ ok: true });
  });
});

describe('Retry-After', () => {
  it('reads delay-seconds and HTTP dates, and ignores what it cannot read', () => {
    expect(parseRetryAfter('7', 0)).toBe(7000);
    expect(parseRetryAfter(' 0 ', 0)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 1000)).toBe(4000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:05 GMT', 9000)).toBe(0);
    expect(parseRetryAfter(null, 0)).toBeUndefined();
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter('-3', 0)).toBeUndefined();
  });

  it('waits what a 503 asks (seconds, then an HTTP date) instead of the backoff, in virtual time', async () => {
    const { client: c, callTimes, advanceTo } = virtualClient([
      { status: 503, retryAfter: '2' },
      { status: 503, retryAfter: new Date(2000 + 3000).toUTCString() },
      { status: 200 },
    ], 0, { maxRetries: 3, initialDelayMs: 100, maxDelayMs: 10000, factor: 2, jitter: 0 });
    let result: unknown;
    c.request$({ method: 'GET', path: '/s', decode: Status }).subscribe((v) => (result = v));
    await advanceTo(0);
    await advanceTo(1999); // the backoff alone would have retried at 100
    expect(callTimes).toEqual([0]);
    await advanceTo(2000);
    expect(callTimes).toEqual([0, 2000]);
    await advanceTo(4999); // the date is 3 s after the second call
    expect(callTimes).toEqual([0, 2000]);
    await advanceTo(5000);
    expect(callTimes).toEqual([0, 2000, 5000]);
    expect(result).toEqual({ ok: true });
  });

  it("caps the server's Retry-After at the policy's maxDelayMs, and still retries no more than maxRetries", async () => {
    const { client: c, callTimes, advanceTo } = virtualClient([{ status: 503, retryAfter: '3600' }], 0, { maxRetries: 2, initialDelayMs: 10, maxDelayMs: 500, factor: 2, jitter: 0 });
    let error: unknown;
    c.request$({ method: 'GET', path: '/s', decode: Status }).subscribe({ error: (e: unknown) => (error = e) });
    await advanceTo(0);
    await advanceTo(499);
    expect(callTimes).toEqual([0]);
    await advanceTo(500);
    expect(callTimes).toEqual([0, 500]);
    await advanceTo(1000);
    expect(callTimes).toEqual([0, 500, 1000]);
    await advanceTo(5000);
    expect(callTimes).toEqual([0, 500, 1000]);
    expect((error as HttpError).status).toBe(503);
    expect((error as HttpError).retryAfterMs).toBe(3600000);
  });
});

describe('timeout and abort', () => {
  it('fails with RequestTimeoutError when the server does not answer in time', async () => {
    server = await startServer(() => undefined); // never answers
    const error = await client({ requestTimeoutMs: 50 }).request({ method: 'POST', path: '/slow', body: { json: {} }, decode: t.unknown }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect((error as RequestTimeoutError).timeoutMs).toBe(50);
    expect((error as Error).message).toContain('raise requestTimeoutMs');
  });

  it('fails with RequestAbortedError when the caller aborts, and does not retry', async () => {
    server = await startServer(() => undefined);
    const controller = new AbortController();
    const pending = client().request({ method: 'GET', path: '/slow', decode: t.unknown, signal: controller.signal }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect(await pending).toBeInstanceOf(RequestAbortedError);
    expect(server.requests).toHaveLength(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    server = await startServer((_req, res) => json(res, 200, {}));
    const controller = new AbortController();
    controller.abort();
    await expect(client().request({ method: 'GET', path: '/x', decode: t.unknown, signal: controller.signal })).rejects.toBeInstanceOf(RequestAbortedError);
    expect(server.requests).toHaveLength(0);
  });
});
