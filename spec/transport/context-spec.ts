// The transport a client builds from its options: without a `fetch` of its own it uses the
// platform's, looked up at each request, and cross-fetch only where the platform has none. The
// platform's fetch refuses URLs with a user and password, so a base URL's go as basic auth.
import * as http from 'http';
import { AddressInfo } from 'net';
import * as t from 'io-ts';
import { createClientContext, platformFetch } from '../../lib/transport/context';

const seen: Array<{ url?: string; authorization?: string }> = [];
const listen = async (): Promise<{ url: string; close: () => Promise<void> }> => {
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
};

describe('platformFetch', () => {
  const own = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = own;
  });

  it("calls the platform's fetch, as it is when the request is made", async () => {
    const seen: string[] = [];
    globalThis.fetch = (async (url: string) => {
      seen.push(url);
      return new Response('{}');
    }) as typeof fetch;
    await platformFetch('http://example.test/a', { method: 'GET', headers: {} });
    expect(seen).toEqual(['http://example.test/a']);
  });

  it('loads cross-fetch where the platform has no fetch, and requests with it', async () => {
    const server = await listen();
    try {
      delete (globalThis as { fetch?: unknown }).fetch;
      const res = await platformFetch(`${server.url}/x`, { method: 'GET', headers: {} });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"ok":true}');
    } finally {
      await server.close();
    }
  });
});

describe('a base URL with a user and password', () => {
  it('is requested without them, which go as basic auth (a token, when set, wins)', async () => {
    const server = await listen();
    const withCredentials = server.url.replace('http://', 'http://me:s%40cret@');
    try {
      seen.length = 0;
      const plain = createClientContext({ baseUrl: `${withCredentials}/invoke`, retry: false });
      await expect(plain.http.request({ method: 'GET', path: '/api/v1/app/version', decode: t.unknown })).resolves.toEqual({ ok: true });
      const withToken = createClientContext({ baseUrl: withCredentials, token: 'tok', retry: false });
      await withToken.http.request({ method: 'GET', path: '/x', decode: t.unknown });
      expect(seen).toEqual([
        { url: '/invoke/api/v1/app/version', authorization: `Basic ${Buffer.from('me:s@cret').toString('base64')}` },
        { url: '/x', authorization: 'Bearer tok' },
      ]);
      plain.socket.close();
      withToken.socket.close();
    } finally {
      await server.close();
    }
  });
});
