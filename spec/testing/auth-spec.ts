import { io } from 'socket.io-client';
import { api, connect, enqueue, sleep, terminal, waitFor, withServer } from './helpers';

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
    carolSubscribed.socket.emit('subscribe_queue', { queue_id: 'default' });
    await sleep(20);
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
