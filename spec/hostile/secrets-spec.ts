// Rows "`http://user:pass@host` as baseUrl" and "a 302 to the same host, another port": one
// redaction rule for every error, cause and log line, and no token sent to another origin.
import * as net from 'net';
import { inspect } from 'util';
import crossFetch from 'cross-fetch';
import { filter, firstValueFrom } from 'rxjs';
import { createClient } from '../../lib/client/client';
import { HttpError, NetworkError } from '../../lib/transport/errors';
import type { FetchLike } from '../../lib/transport/http';
import { main } from '../../lib/cli/main';
import { createPool } from '../../lib/pool/pool';
import { HostileServer, json, startHostileServer } from './hostile-server';
import { queue } from '../../lib/client/queue';

const PASSWORD = 's3cret-pass';
const TOKEN = 'tok-6f1c2e9a-secret';

/** A port nothing listens on. */
const closedPort = async (): Promise<number> => {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
};

/** Every way a user or a log could show an error. */
const everyRendering = (error: unknown): string =>
  [String(error), (error as Error).message, (error as Error).stack, JSON.stringify(error), inspect(error, { depth: 10 }), inspect(error, { depth: 10, showHidden: true })].join('\n');

const fetches: ReadonlyArray<[string, FetchLike]> = [
  ['cross-fetch (node-fetch)', crossFetch],
  ['the global fetch (undici)', globalThis.fetch as unknown as FetchLike],
];

describe.each(fetches)('credentials in baseUrl never show, with %s', (_name, fetch) => {
  it('a NetworkError hides the password in its message, String, JSON, inspect, stack and cause', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    const client = createClient({
      baseUrl: `http://admin:${PASSWORD}@127.0.0.1:${port}/invoke`,
      token: TOKEN,
      fetch,
      retry: false,
      logger: { debug: (m, c) => lines.push(m, inspect(c)), warn: (m, c) => lines.push(m, inspect(c)) },
    });
    const error = await queue(client).status().catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(NetworkError);
    const shown = everyRendering(error);
    expect(shown).toContain(`127.0.0.1:${port}/invoke/api/v1/queue/default/status`);
    expect(shown).not.toContain(PASSWORD);
    expect(shown).not.toContain(TOKEN);
    expect((error as NetworkError).cause).toBeDefined();
    expect(lines.join('\n')).not.toContain(PASSWORD);
  });
});

describe('a pool', () => {
  it('names its servers without the password of their URL', async () => {
    const port = await closedPort();
    const pool = createPool([`http://admin:${PASSWORD}@127.0.0.1:${port}`], { clientOptions: { retry: false } });
    try {
      const status = await firstValueFrom(pool.status$);
      expect(status.servers[0].url).toBe(`http://127.0.0.1:${port}`);
      expect(JSON.stringify(status)).not.toContain(PASSWORD);
    } finally {
      pool.close();
    }
  });
});

describe('the CLI', () => {
  it('prints a failed request without the password of the URL, the cause included', async () => {
    const port = await closedPort();
    let err = '';
    const code = await main(['queue', '--url', `http://admin:${PASSWORD}@127.0.0.1:${port}`, '--token', TOKEN], {
      stdout: { write: () => true },
      stderr: { write: (t: string) => (err += t) },
      env: {},
      cwd: process.cwd(),
    });
    expect(code).toBe(1);
    expect(err).toContain('NetworkError');
    expect(err).not.toContain(PASSWORD);
    expect(err).not.toContain(TOKEN);
  });
});

describe('servers that echo secrets', () => {
  let server: HostileServer;
  beforeEach(async () => {
    server = await startHostileServer();
  });
  afterEach(() => server.close());

  it('a 500 whose detail echoes the token and the Authorization header gives an HttpError without either', async () => {
    server.onHttp((req, res) => json(res, 500, { detail: `bad token ${TOKEN}; you sent "${req.headers.authorization}" to http://u:${PASSWORD}@x/?token=${TOKEN}` }));
    const client = createClient({ baseUrl: server.url, token: TOKEN, retry: false });
    const error = await queue(client).status().catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(HttpError);
    const shown = everyRendering(error);
    expect(shown).toContain('HTTP 500');
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain(PASSWORD);
    expect(JSON.stringify((error as HttpError).detail)).not.toContain(TOKEN);
  });
});

describe('a socket refused by a server that echoes the token', () => {
  let server: HostileServer;
  beforeEach(async () => {
    server = await startHostileServer();
  });
  afterEach(() => server.close());

  it('gives an AuthError without the token', async () => {
    server.onSocket(async (socket) => {
      await socket.send('0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000}');
      const connect = await socket.next();
      await socket.send(`44${JSON.stringify({ message: `bad token in ${connect}`, data: { token: TOKEN } })}`);
    });
    const client = createClient({ baseUrl: server.url, token: TOKEN });
    try {
      const state = await firstValueFrom(client.connection$.pipe(filter((s) => s.type === 'disconnected')));
      const error = (state as { error?: Error }).error;
      expect(error).toMatchObject({ name: 'AuthError' });
      expect(everyRendering(error)).not.toContain(TOKEN);
      expect(everyRendering(error)).toContain('bad token in 40');
    } finally {
      client.close();
    }
  });
});

describe.each(fetches)('redirects, with %s', (_name, fetch) => {
  let origin: HostileServer;
  let other: HostileServer;
  beforeEach(async () => {
    origin = await startHostileServer();
    other = await startHostileServer();
    other.onHttp((_req, res) => json(res, 200, { queue: {}, processor: {} }, { 'x-refreshed-token': 'planted-by-another-origin' }));
  });
  afterEach(async () => {
    await origin.close();
    await other.close();
  });

  it('a 302 to the same host on another port is followed without the token, and that origin cannot replace it', async () => {
    origin.onHttp((req, res) => {
      if (req.url.startsWith('/moved')) return json(res, 200, { ok: true });
      res.writeHead(302, { location: `${other.url}${req.url}` });
      res.end();
    });
    const client = createClient({ baseUrl: origin.url, token: TOKEN, fetch, retry: false });
    await queue(client).status().catch(() => undefined);
    expect(other.requests).toHaveLength(1);
    expect(other.requests[0].headers.authorization).toBeUndefined();
    expect(client.context.token.get()).toBe(TOKEN);
    client.close();
  });

  it('a redirect on the same origin keeps the token', async () => {
    origin.onHttp((req, res) => {
      if (req.url.startsWith('/moved')) return json(res, 200, { ok: true });
      res.writeHead(307, { location: `/moved${req.url}` });
      res.end();
    });
    const client = createClient({ baseUrl: origin.url, token: TOKEN, fetch, retry: false });
    await queue(client).status().catch(() => undefined);
    expect(origin.requests.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/api/v1/queue/default/status', `Bearer ${TOKEN}`],
      ['/moved/api/v1/queue/default/status', `Bearer ${TOKEN}`],
    ]);
    client.close();
  });
});
