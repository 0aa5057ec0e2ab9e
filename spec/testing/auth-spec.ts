import { io } from 'socket.io-client';
import { api, connect, enqueue, subscribeQueue, terminal, waitFor, withServer } from './helpers';

const tinyGraph = { id: 'g', nodes: { a: { id: 'a', type: 'string', value: 'x' } }, edges: [] };
const users = [
  { email: 'admin@x.io', password: 'pw-admin', isAdmin: true },
  { email: 'bob@x.io', password: 'pw-bob' },
  { email: 'carol@x.io', password: 'pw-carol' },
];

describe('multi-user mode', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  const login = async (email: string, password: string): Promise<string> => {
    const r = await api(env.server(), 'POST', '/api/v1/auth/login', { email, password });
    expect(r.status).toBe(200);
    return r.json.token;
  };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('requires a token except on public routes; login issues one', async () => {
    const server = await env.start({ multiUser: { users } });
    expect((await api(server, 'GET', '/api/v1/auth/status')).json).toMatchObject({ multiuser_enabled: true, admin_email: 'admin@x.io' });
    expect((await api(server, 'GET', '/api/v1/app/version')).status).toBe(200);
    expect(await api(server, 'GET', '/api/v1/queue/default/status')).toMatchObject({ status: 401, json: { detail: 'Authentication required' } });
    expect(await api(server, 'GET', '/api/v1/queue/default/status', undefined, bearer('forged'))).toMatchObject({ status: 401, json: { detail: 'Invalid or expired token' } });
    expect(await api(server, 'POST', '/api/v1/auth/login', { email: 'bob@x.io', password: 'wrong' })).toMatchObject({ status: 401, json: { detail: 'Incorrect email or password' } });
    const ok = await api(server, 'POST', '/api/v1/auth/login', { email: 'bob@x.io', password: 'pw-bob' });
    expect(ok.json).toMatchObject({ token: expect.any(String), user: { email: 'bob@x.io', is_admin: false }, expires_in: 86400 });
    expect((await api(server, 'GET', '/api/v1/queue/default/status', undefined, bearer(ok.json.token))).status).toBe(200);
  });

  it('sends X-Refreshed-Token on successful writes only', async () => {
    const server = await env.start({ multiUser: { users } });
    const t = await login('bob@x.io', 'pw-bob');
    const write = await enqueue(server, { graph: tinyGraph, runs: 1 }).catch(() => undefined);
    expect(write?.status).toBe(401);
    const res = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch: { graph: tinyGraph, runs: 1 } }, bearer(t));
    expect(res.status).toBe(200);
    const refreshed = res.headers.get('x-refreshed-token');
    expect(refreshed).toBeTruthy();
    expect((await api(server, 'GET', '/api/v1/queue/default/status', undefined, bearer(refreshed!))).status).toBe(200);
    const read = await api(server, 'GET', '/api/v1/queue/default/status', undefined, bearer(t));
    expect(read.headers.get('x-refreshed-token')).toBeNull();
    const bad = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch: { runs: 1 } }, bearer(t));
    expect(bad.status).toBe(422);
    expect(bad.headers.get('x-refreshed-token')).toBeNull();
  });

  it('expires tokens after their lifetime (a week with remember_me); a write slides the session on with a fresh token', async () => {
    let nowMs = 1_000_000;
    const server = await env.start({ multiUser: { users, tokenLifetime: { now: () => nowMs } } });
    const status = (t: string) => api(server, 'GET', '/api/v1/queue/default/status', undefined, bearer(t));
    const day = await api(server, 'POST', '/api/v1/auth/login', { email: 'bob@x.io', password: 'pw-bob' });
    const week = await api(server, 'POST', '/api/v1/auth/login', { email: 'bob@x.io', password: 'pw-bob', remember_me: true });
    expect([day.json.expires_in, week.json.expires_in]).toEqual([86400, 604800]);
    expect(week.headers.get('set-cookie')).toContain('Max-Age=604800');

    // Half a day in, a write answers a fresh token that lives a day from then.
    nowMs += 43_200_000;
    const write = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch: { graph: tinyGraph, runs: 1 } }, bearer(day.json.token));
    const slid = write.headers.get('x-refreshed-token')!;
    expect(slid).toBeTruthy();
    // A day after login: the first token has expired, the slid one and the week-long one have not.
    nowMs += 43_200_000;
    expect(await status(day.json.token)).toMatchObject({ status: 401, json: { detail: 'Invalid or expired token' } });
    expect((await status(slid)).status).toBe(200);
    expect((await status(week.json.token)).status).toBe(200);
    // An expired token cannot open a socket either.
    nowMs += 43_200_000;
    expect((await status(slid)).status).toBe(401);
    const url = new URL(server.url);
    const s = io(`http://${url.host}`, { path: '/ws/socket.io', transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: slid } });
    const err = await new Promise<Error>((resolve) => s.once('connect_error', resolve));
    s.close();
    expect(err.message).toBe('Connection rejected by server');
  });

  it('rejects sockets without a valid token with connect_error', async () => {
    const server = await env.start({ multiUser: { users } });
    const url = new URL(server.url);
    const s = io(`http://${url.host}`, { path: '/ws/socket.io', transports: ['websocket'], forceNew: true, reconnection: false });
    const err = await new Promise<Error>((resolve) => s.once('connect_error', resolve));
    s.close();
    expect(err.message).toBe('Connection rejected by server');
    const t = await login('bob@x.io', 'pw-bob');
    const ok = env.track(await connect(server, { auth: { token: t } }));
    expect(ok.socket.connected).toBe(true);
  });

  it("redacts other users' items and events for non-admins; admins see everything", async () => {
    const server = await env.start({ multiUser: { users } });
    const [admin, bob, carol] = [await login('admin@x.io', 'pw-admin'), await login('bob@x.io', 'pw-bob'), await login('carol@x.io', 'pw-carol')];
    const bobSock = env.track(await connect(server, { auth: { token: bob } }));
    const carolSock = env.track(await connect(server, { auth: { token: carol } }));
    const carolSubscribed = env.track(await connect(server, { auth: { token: carol } }));
    const adminSock = env.track(await connect(server, { auth: { token: admin } }));
    await subscribeQueue(carolSubscribed.socket);
    const r = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch: { graph: tinyGraph, runs: 1, origin: 'bob-origin' } }, bearer(bob));
    const id = r.json.item_ids[0];
    await waitFor(terminal(server, id));
    await waitFor(() => bobSock.events.some((e) => e.payload.status === 'completed') && adminSock.events.some((e) => e.payload.status === 'completed'));
    await waitFor(() => carolSubscribed.events.some((e) => e.payload.status === 'completed'));

    const asCarol = (await api(server, 'GET', `/api/v1/queue/default/i/${id}`, undefined, bearer(carol))).json;
    expect(asCarol).toMatchObject({ user_id: 'redacted', batch_id: 'redacted', session_id: 'redacted', priority: 0, session: { id: 'redacted' } });
    expect(asCarol).not.toHaveProperty('origin');
    const asBob = (await api(server, 'GET', `/api/v1/queue/default/i/${id}`, undefined, bearer(bob))).json;
    expect(asBob).toMatchObject({ user_id: 'user-2', origin: 'bob-origin' });
    const asAdmin = (await api(server, 'GET', `/api/v1/queue/default/i/${id}`, undefined, bearer(admin))).json;
    expect(asAdmin.origin).toBe('bob-origin');
    expect((await api(server, 'PUT', `/api/v1/queue/default/i/${id}/cancel`, undefined, bearer(carol))).status).toBe(403);

    expect(bobSock.events.map((e) => e.name)).toEqual(['batch_enqueued', 'queue_item_status_changed', 'invocation_started', 'invocation_complete', 'queue_item_status_changed']);
    expect(adminSock.events).toHaveLength(5);
    expect(carolSock.events).toHaveLength(0);
    const sanitized = carolSubscribed.events.filter((e) => e.name === 'queue_item_status_changed');
    expect(sanitized).toHaveLength(2);
    expect(sanitized[1].payload).toMatchObject({ user_id: 'redacted', batch_id: 'redacted', session_id: 'redacted', origin: null, queue_status: { item_id: null } });
    expect(carolSubscribed.events.some((e) => e.name.startsWith('invocation_'))).toBe(false);
    expect(carolSubscribed.events.find((e) => e.name === 'batch_enqueued')!.payload).toMatchObject({ user_id: 'redacted', batch_id: 'redacted', origin: null });
  });

  it('sends each owner only their own canceled items, admins all of them once, and the queue room empty lists', async () => {
    const server = await env.start({ multiUser: { users } });
    const [admin, bob, carol] = [await login('admin@x.io', 'pw-admin'), await login('bob@x.io', 'pw-bob'), await login('carol@x.io', 'pw-carol')];
    server.faults.pauseProcessor();
    const bobSock = env.track(await connect(server, { auth: { token: bob } }));
    const adminSock = env.track(await connect(server, { auth: { token: admin } }));
    const carolSubscribed = env.track(await connect(server, { auth: { token: carol } }));
    await subscribeQueue(carolSubscribed.socket);
    const enqueueAs = async (token: string, runs: number): Promise<number[]> =>
      (await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch: { graph: tinyGraph, runs } }, bearer(token))).json.item_ids;
    // Item order within a batch is the queue's (ascending ids), whatever order the enqueue answer lists them in.
    const bobIds = (await enqueueAs(bob, 2)).sort((x, y) => x - y);
    const adminIds = await enqueueAs(admin, 1);
    expect((await api(server, 'PUT', '/api/v1/queue/default/cancel_all_except_current', undefined, bearer(admin))).status).toBe(200);
    const canceledFor = (sock: typeof bobSock) => sock.events.filter((e) => e.name === 'queue_items_canceled').map((e) => e.payload);
    await waitFor(() => canceledFor(bobSock).length > 0 && canceledFor(adminSock).length > 0 && canceledFor(carolSubscribed).length > 0);
    // A later batch of bob's reaches all three sockets: whatever was sent to them before has arrived by then.
    const enqueuedCount = (sock: typeof bobSock) => sock.events.filter((e) => e.name === 'batch_enqueued').length;
    const before = [bobSock, adminSock, carolSubscribed].map(enqueuedCount);
    await enqueueAs(bob, 1);
    await waitFor(() => [bobSock, adminSock, carolSubscribed].every((sock, i) => enqueuedCount(sock) > before[i]), 'the later batch_enqueued');
    expect(canceledFor(bobSock)).toEqual([expect.objectContaining({ canceled_item_ids: bobIds, user_ids: ['user-2'], canceled_item_ids_by_user: { 'user-2': bobIds } })]);
    expect(canceledFor(adminSock)).toEqual([
      expect.objectContaining({ canceled_item_ids: [...bobIds, ...adminIds], user_ids: ['user-2', 'user-1'], canceled_item_ids_by_user: { 'user-2': bobIds, 'user-1': adminIds } }),
    ]);
    expect(canceledFor(carolSubscribed)).toEqual([expect.objectContaining({ canceled_item_ids: [], user_ids: [], canceled_item_ids_by_user: {} })]);
  });

  it('media routes accept the bearer header or the invokeai_media_token cookie', async () => {
    const server = await env.start({ multiUser: { users } });
    const loginRes = await api(server, 'POST', '/api/v1/auth/login', { email: 'bob@x.io', password: 'pw-bob' });
    const t: string = loginRes.json.token;
    expect(loginRes.headers.get('set-cookie')).toContain(`invokeai_media_token=${t}`);
    const img = server.addImage();
    expect((await fetch(`${server.url}/${img.image_url}`)).status).toBe(401);
    const withCookie = await fetch(`${server.url}/${img.image_url}`, { headers: { cookie: `invokeai_media_token=${t}` } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('cache-control')).toBe('private, no-store');
    await withCookie.arrayBuffer();
  });
});
