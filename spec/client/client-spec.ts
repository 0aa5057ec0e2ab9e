import * as t from 'io-ts';
import { TestScheduler } from 'rxjs/testing';
import { createClient } from '../../lib/client/client';
import { FetchInit, FetchLike } from '../../lib/transport/http';
import { FakeWebSocket } from '../transport/fake-websocket';

describe('createClient', () => {
  beforeEach(() => FakeWebSocket.reset());

  it('derives REST and socket URLs from a baseUrl with a prefix, and shares the token between them', async () => {
    const calls: Array<{ url: string; init: FetchInit }> = [];
    const fetch: FetchLike = async (url, init) => {
      calls.push({ url, init });
      return {
        status: 200,
        headers: { get: (name: string) => (name.toLowerCase() === 'x-refreshed-token' ? 'refreshed' : null) },
        text: async () => '{"version":"6.0.0"}',
        arrayBuffer: async () => new ArrayBuffer(0),
      };
    };
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    const client = createClient({ baseUrl: 'https://host.test/invoke/', token: 'first', fetch, WebSocket: FakeWebSocket.ctor, scheduler, queueId: 'q1' });
    const version = await client.context.http.request({ method: 'POST', path: '/api/v1/app/version', decode: t.type({ version: t.string }) });
    expect(version.version).toBe('6.0.0');
    expect(calls[0].url).toBe('https://host.test/invoke/api/v1/app/version');
    expect(calls[0].init.headers.authorization).toBe('Bearer first');
    expect(client.context.http.url('/api/v2/models/')).toBe('https://host.test/invoke/api/v2/models/');

    scheduler.run(() => {
      FakeWebSocket.onCreate = (ws) => {
        scheduler.schedule(() => ws.serverSends('0{"sid":"e","upgrades":[],"pingInterval":25000,"pingTimeout":20000}'), 1);
        scheduler.schedule(() => {
          ws.serverSends('40{"sid":"s"}');
          ws.acknowledgeSubscribe();
        }, 2);
      };
      const sub = client.events$.subscribe();
      scheduler.schedule(() => sub.unsubscribe(), 5);
    });
    const ws = FakeWebSocket.created[0];
    expect(ws.url).toBe('wss://host.test/invoke/ws/socket.io/?EIO=4&transport=websocket');
    // the socket connects with the token the HTTP layer was handed by X-Refreshed-Token
    expect(ws.sent).toEqual(['40{"token":"refreshed"}', '421["subscribe_queue",{"queue_id":"q1"}]']);
    client.close();
  });

  it('close() completes the streams', () => {
    const client = createClient({ baseUrl: 'http://h', WebSocket: FakeWebSocket.ctor });
    let completed = false;
    client.close();
    client.events$.subscribe({ complete: () => (completed = true) });
    expect(completed).toBe(true);
    expect(FakeWebSocket.created).toHaveLength(0);
  });
});
