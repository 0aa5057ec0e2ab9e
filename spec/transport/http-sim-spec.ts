// The transport against the simulated server: retries counted in the
// server's request log, POST never retried, FastAPI 422 details, and sliding token refresh.
import { readFileSync } from 'fs';
import * as t from 'io-ts';
import { AuthError, HttpError } from '../../lib/transport/errors';
import { buildBatch } from '../../lib/workflow/batch';
import { Workflow } from '../../lib/workflow/workflow';
import { createClient } from '../../lib/client/client';
import { SimClient, requestsTo, startSim } from '../client/sim-helpers';
import { app } from '../../lib/client/app';
import { boards } from '../../lib/client/boards';
import { queue } from '../../lib/client/queue';
import * as ids from '../run/ids';

describe('HTTP against the simulated server', () => {
  let sim: SimClient;
  afterEach(() => sim.close());

  it('retries a GET after 503s and succeeds; the server saw every attempt', async () => {
    sim = await startSim();
    sim.server.faults.failRequests({ path: '/api/v1/queue/default/status', status: 503, count: 2 });
    await expect(queue(sim.client).status()).resolves.toMatchObject({ queue: { total: 0 } });
    expect(requestsTo(sim.server, 'GET', '/api/v1/queue/default/status').map((r) => r.status)).toEqual([503, 503, 200]);
  });

  it('gives up after the retry budget with the last HttpError', async () => {
    sim = await startSim();
    sim.server.faults.failRequests({ path: '/api/v1/app/version', status: 503, count: 10 });
    const error = await app(sim.client).version().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(503);
    // one attempt and the default 3 retries
    expect(requestsTo(sim.server, 'GET', '/api/v1/app/version')).toHaveLength(4);
  });

  it('retries an idempotent PUT (cancel), but never a POST (enqueue)', async () => {
    sim = await startSim();
    await queue(sim.client).pause();
    sim.server.faults.failRequests({ path: '/enqueue_batch', status: 503 });
    const batch = buildBatch(Workflow.fromJson(readFileSync('spec/fixtures/seed-workflows/copy-image.json', 'utf8')));
    const enqueue = () =>
      sim.client.context.http.request({ method: 'POST', path: '/api/v1/queue/default/enqueue_batch', body: { json: { batch } }, decode: t.unknown });
    const error = await enqueue().catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HttpError', status: 503 });
    expect(requestsTo(sim.server, 'POST', '/api/v1/queue/default/enqueue_batch')).toHaveLength(1);
    expect(sim.server.queueItems()).toEqual([]);

    await enqueue();
    const id = ids.itemId(Number(sim.server.queueItems()[0].item_id));
    sim.server.faults.failRequests({ path: '/cancel', method: 'PUT', status: 503 });
    await expect(queue(sim.client).cancel(id)).resolves.toMatchObject({ status: 'canceled' });
    expect(requestsTo(sim.server, 'PUT', `/api/v1/queue/default/i/${id}/cancel`).map((r) => r.status)).toEqual([503, 200]);
  });

  it('a 422 carries FastAPI\'s details, readable as issues and in the message', async () => {
    sim = await startSim();
    const error = await sim.client.context.http
      .request({
        method: 'POST',
        path: '/api/v1/queue/default/enqueue_batch',
        body: { json: { batch: { runs: 1, graph: { nodes: { a: { id: 'b', type: 'add' } }, edges: [] } } } },
        decode: t.unknown,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    const http = error as HttpError;
    expect(http.status).toBe(422);
    expect(http.issues.length).toBeGreaterThan(0);
    expect(http.issues[0].loc.startsWith('body.batch')).toBe(true);
    expect(http.message).toContain(http.issues[0].msg);
  });

  it('multi-user: refuses a missing token with AuthError (no retry), and takes the refreshed token of a mutating answer', async () => {
    sim = await startSim({ multiUser: { users: [{ email: 'ann@x.test', password: 'pw', isAdmin: false }] } });
    const anonymous = await boards(sim.client).list().catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(AuthError);
    expect((anonymous as AuthError).status).toBe(401);
    expect(requestsTo(sim.server, 'GET', '/api/v1/boards/')).toHaveLength(1);

    const login = await fetch(`${sim.server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'ann@x.test', password: 'pw' }),
    });
    const { token } = (await login.json()) as { token: string };
    const client = createClient({ baseUrl: sim.server.url, token });
    try {
      await boards(client).list();
      expect(client.context.token.get()).toBe(token); // a GET is not refreshed
      const board = await boards(client).create('mine');
      const refreshed = client.context.token.get();
      expect(refreshed).not.toBe(token);
      // the refreshed token is the one sent next, and the server accepts it
      await expect(boards(client).get(board.board_id)).resolves.toMatchObject({ board_name: 'mine' });
      // an admin-only route answers 403 as AuthError
      await expect(queue(client).pause()).rejects.toMatchObject({ name: 'AuthError', status: 403 });
    } finally {
      client.close();
    }
  });
  it('multi-user: a client that writes keeps its session past the first token\'s lifetime; an idle one gets AuthError naming the expiry', async () => {
    let nowMs = 0;
    sim = await startSim({ multiUser: { users: [{ email: 'ann@x.test', password: 'pw' }], tokenLifetime: { seconds: 3600, now: () => nowMs } } });
    const login = async (): Promise<string> => {
      const r = await fetch(`${sim!.server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@x.test', password: 'pw' }) });
      return ((await r.json()) as { token: string }).token;
    };
    const busy = createClient({ baseUrl: sim.server.url, token: await login() });
    const idle = createClient({ baseUrl: sim.server.url, token: await login() });
    try {
      for (let minute = 0; minute < 120; minute += 30) {
        nowMs = minute * 60_000;
        await boards(busy).create(`board at ${minute} min`); // a write: the server slides the session on
      }
      nowMs = 121 * 60_000;
      await expect(boards(busy).list()).resolves.toHaveLength(4);
      const expired = await boards(idle).list().catch((e: unknown) => e);
      expect(expired).toBeInstanceOf(AuthError);
      expect(expired).toMatchObject({ status: 401 });
      expect((expired as AuthError).message).toContain('Invalid or expired token');
    } finally {
      busy.close();
      idle.close();
    }
  });
});
