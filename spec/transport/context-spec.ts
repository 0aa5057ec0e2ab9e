// The transport a client builds from its options: without a `fetch` of its own it uses the
// platform's, looked up at each request, and cross-fetch only where the platform has none.
import * as http from 'http';
import { AddressInfo } from 'net';
import { platformFetch } from '../../lib/transport/context';

const listen = async (): Promise<{ url: string; close: () => Promise<void> }> => {
  const server = http.createServer((_req, res) => res.end('{"ok":true}'));
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
