// The simulated server gzips JSON and text answers of 1000 bytes or more for clients that accept it,
// as InvokeAI's GZipMiddleware does; the library's client (the platform's fetch) asks for and unpacks them.
import * as http from 'http';
import * as zlib from 'zlib';
import crossFetch from 'cross-fetch';
import { createClient } from '../../lib/client/client';
import type { FetchLike } from '../../lib/transport/http';
import type { MockServer } from '../../lib/testing';
import { withServer } from './helpers';
import { models } from '../../lib/client/models';

const raw = (server: MockServer, path: string, acceptEncoding?: string): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> =>
  new Promise((resolve, reject) => {
    const req = http.request(new URL(path, server.url), { headers: acceptEncoding ? { 'accept-encoding': acceptEncoding } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });

describe('gzip', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  it('gzips a large JSON answer for a client that accepts gzip, and only then; small answers and images stay plain', async () => {
    const server = await env.start();
    const big = await raw(server, '/api/v2/models/', 'gzip, deflate');
    expect(big.headers['content-encoding']).toBe('gzip');
    expect(big.headers['vary']).toContain('Accept-Encoding');
    expect(Number(big.headers['content-length'])).toBe(big.body.length);
    const unpacked = JSON.parse(zlib.gunzipSync(big.body).toString('utf8')) as { models: unknown[] };
    const plain = await raw(server, '/api/v2/models/');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(unpacked).toEqual(JSON.parse(plain.body.toString('utf8')));
    expect(plain.body.length).toBeGreaterThanOrEqual(1000);

    const small = await raw(server, '/api/v1/app/version', 'gzip');
    expect(small.body.length).toBeLessThan(1000);
    expect(small.headers['content-encoding']).toBeUndefined();
    const image = server.addImage({ width: 64, height: 64 });
    const png = await raw(server, `/api/v1/images/i/${image.image_name}/full`, 'gzip');
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers['content-type']).toBe('image/png');
  });

  it("the library's client receives gzipped answers and reads them as the server's JSON", async () => {
    const server = await env.start();
    const encodings: string[] = [];
    const recording: FetchLike = async (url, init) => {
      const response = await crossFetch(url, init);
      encodings.push(response.headers.get('content-encoding') ?? 'identity');
      return response;
    };
    const client = createClient({ baseUrl: server.url, fetch: recording });
    try {
      const listed = await models(client).list();
      expect(encodings).toEqual(['gzip']);
      expect(listed.map((m) => m.name).sort()).toEqual(server.models().map((m) => m.name).sort());
    } finally {
      client.close();
    }
  });
  it('keeps the CORS Vary: Origin when it gzips an answer for an allowed origin', async () => {
    const server = await env.start({ cors: { allowOrigins: ['http://localhost:5173'] } });
    const answer = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(new URL('/api/v2/models/', server.url), { headers: { origin: 'http://localhost:5173', 'accept-encoding': 'gzip' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer.headers['content-encoding']).toBe('gzip');
    expect(answer.headers['vary']).toBe('Origin, Accept-Encoding');
    expect(answer.headers['access-control-allow-origin']).toBe('http://localhost:5173');
  });
});
