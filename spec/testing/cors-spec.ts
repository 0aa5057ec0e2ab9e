// The simulated server's CORS, as a stock InvokeAI (Starlette's CORSMiddleware with InvokeAI's
// config): no cross-origin access by default; with `cors.allowOrigins`, preflights pass and answers
// carry the origin and expose X-Refreshed-Token. Requests are made with node:http, which (unlike a
// fetch) may set Origin and the preflight headers as a browser would.
import * as http from 'http';
import { withServer } from './helpers';
import type { MockServer } from '../../lib/testing';

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

const request = (server: MockServer, method: string, path: string, headers: Record<string, string>): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const req = http.request(new URL(path, server.url), { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });

const PAGE = 'http://localhost:5173';
const preflight = (server: MockServer, origin = PAGE) =>
  request(server, 'OPTIONS', '/api/v1/queue/default/enqueue_batch', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization,content-type',
  });

describe('CORS', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  it('by default, as a stock InvokeAI, refuses a page on another origin: preflight 400, answers without Allow-Origin', async () => {
    const server = await env.start();
    const pre = await preflight(server);
    expect(pre.status).toBe(400);
    expect(pre.body).toBe('Disallowed CORS origin');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const get = await request(server, 'GET', '/api/v1/app/version', { origin: PAGE });
    expect(get.status).toBe(200);
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
    expect(get.headers['access-control-expose-headers']).toBe('X-Refreshed-Token');
    // Not a browser's cross-origin call (no Origin): nothing is added.
    const plain = await request(server, 'GET', '/api/v1/app/version', {});
    expect(plain.headers['access-control-expose-headers']).toBeUndefined();
  });

  it('with allowOrigins, passes the preflight of an allowed origin and names it on answers (errors too); other origins stay refused', async () => {
    const server = await env.start({ cors: { allowOrigins: [PAGE] } });
    const pre = await preflight(server);
    expect(pre.status).toBe(200);
    expect(pre.headers).toMatchObject({
      'access-control-allow-origin': PAGE,
      'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
      'access-control-allow-headers': 'authorization,content-type',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '600',
      vary: 'Origin',
    });
    const get = await request(server, 'GET', '/api/v1/app/version', { origin: PAGE });
    expect(get.headers).toMatchObject({ 'access-control-allow-origin': PAGE, 'access-control-expose-headers': 'X-Refreshed-Token', vary: 'Origin' });
    const missing = await request(server, 'GET', '/api/v1/images/i/nope.png', { origin: PAGE });
    expect(missing.status).toBe(404);
    expect(missing.headers['access-control-allow-origin']).toBe(PAGE);
    expect((await preflight(server, 'http://evil.example')).status).toBe(400);
    expect((await request(server, 'GET', '/api/v1/app/version', { origin: 'http://evil.example' })).headers['access-control-allow-origin']).toBeUndefined();
  });

  it("allowOrigins ['*'] without credentials answers any origin with a wildcard", async () => {
    const server = await env.start({ cors: { allowOrigins: ['*'], allowCredentials: false } });
    const pre = await preflight(server, 'http://anywhere.example');
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    const get = await request(server, 'GET', '/api/v1/app/version', { origin: 'http://anywhere.example' });
    expect(get.headers['access-control-allow-origin']).toBe('*');
  });
});
