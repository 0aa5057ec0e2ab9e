/** Shared helpers for the simulator specs: plain fetch + socket.io-client, no library client. */
import { io, Socket } from 'socket.io-client';
import { MockServer, startMockServer, MockServerOptions } from '../../lib/testing';

/** Raw JSON from the simulator, read loosely in assertions (decode boundary of the specs). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Recorded {
  readonly name: string;
  readonly payload: Record<string, Json>;
}

/** Polls until `cond()` holds (short real delays; tests assert order/counts, never durations). */
export const waitFor = async (cond: () => boolean, what = 'condition', limitMs = 10000): Promise<void> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A connected socket.io client recording every event. */
export const connect = async (
  server: MockServer,
  opts: { auth?: Record<string, unknown>; path?: string; reconnection?: boolean } = {},
): Promise<{ socket: Socket; events: Recorded[] }> => {
  const base = new URL(server.url);
  const socket = io(`${base.protocol}//${base.host}`, {
    path: opts.path ?? `${base.pathname.replace(/\/$/, '')}/ws/socket.io`,
    transports: ['websocket'],
    forceNew: true,
    reconnection: opts.reconnection ?? false,
    auth: opts.auth,
  });
  const events: Recorded[] = [];
  socket.onAny((name: string, payload: Record<string, Json>) => events.push({ name, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (e) => reject(e));
  });
  return { socket, events };
};

/** Joins a queue's room and resolves once the server has (it acknowledges the subscribe, as python-socketio does). */
export const subscribeQueue = async (socket: Socket, queueId = 'default'): Promise<void> => {
  await socket.timeout(10000).emitWithAck('subscribe_queue', { queue_id: queueId });
};

export const api = async (server: MockServer, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json: Json = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
};

export const modelId = (server: MockServer, base: string, type = 'main') => {
  const m = server.models().find((x) => x.base === base && x.type === type);
  if (!m) throw new Error(`no ${base} ${type} model`);
  return { key: m.key, hash: m.hash, name: m.name, base: m.base, type: m.type };
};

/** SD1.5 text-to-image: main_model_loader → compel ×2 → noise → denoise_latents → l2i. */
export const sd15Graph = (server: MockServer, opts: { prompt?: string; seed?: number; width?: number; height?: number; boardId?: string } = {}) => ({
  id: 'sd15-graph',
  nodes: {
    model: { id: 'model', type: 'main_model_loader', model: modelId(server, 'sd-1'), is_intermediate: true },
    pos: { id: 'pos', type: 'compel', prompt: opts.prompt ?? 'a lighthouse at dusk', is_intermediate: true },
    neg: { id: 'neg', type: 'compel', prompt: 'blurry', is_intermediate: true },
    noise: { id: 'noise', type: 'noise', seed: opts.seed ?? 42, width: opts.width ?? 64, height: opts.height ?? 48, is_intermediate: true },
    denoise: { id: 'denoise', type: 'denoise_latents', steps: 10, cfg_scale: 7.5, scheduler: 'euler', is_intermediate: true },
    l2i: { id: 'l2i', type: 'l2i', is_intermediate: false, ...(opts.boardId ? { board: { board_id: opts.boardId } } : {}) },
  },
  edges: [
    { source: { node_id: 'model', field: 'clip' }, destination: { node_id: 'pos', field: 'clip' } },
    { source: { node_id: 'model', field: 'clip' }, destination: { node_id: 'neg', field: 'clip' } },
    { source: { node_id: 'model', field: 'unet' }, destination: { node_id: 'denoise', field: 'unet' } },
    { source: { node_id: 'pos', field: 'conditioning' }, destination: { node_id: 'denoise', field: 'positive_conditioning' } },
    { source: { node_id: 'neg', field: 'conditioning' }, destination: { node_id: 'denoise', field: 'negative_conditioning' } },
    { source: { node_id: 'noise', field: 'noise' }, destination: { node_id: 'denoise', field: 'noise' } },
    { source: { node_id: 'denoise', field: 'latents' }, destination: { node_id: 'l2i', field: 'latents' } },
    { source: { node_id: 'model', field: 'vae' }, destination: { node_id: 'l2i', field: 'vae' } },
  ],
});

/** string → string_join → (output) : a tiny fast graph. */
export const stringGraph = (value = 'hello') => ({
  id: 'string-graph',
  nodes: {
    s: { id: 's', type: 'string', value },
    n: { id: 'n', type: 'integer', value: 7 },
  },
  edges: [],
});

export const enqueue = (server: MockServer, batch: Record<string, unknown>, prepend?: boolean) =>
  api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch, ...(prepend === undefined ? {} : { prepend }) });

/** Starts a server and registers cleanup of it and of sockets. */
export const withServer = () => {
  const state: { server?: MockServer; sockets: Socket[] } = { sockets: [] };
  const start = async (options?: MockServerOptions) => {
    state.server = await startMockServer({ stepMs: 1, ...options });
    return state.server;
  };
  const track = <T extends { socket: Socket }>(c: T): T => {
    state.sockets.push(c.socket);
    return c;
  };
  const cleanup = async () => {
    state.sockets.splice(0).forEach((s) => s.close());
    await state.server?.close();
    state.server = undefined;
  };
  const server = (): MockServer => {
    if (!state.server) throw new Error('server not started');
    return state.server;
  };
  return { start, track, cleanup, server };
};

export const terminal = (server: MockServer, id: number) => () => {
  const it = server.queueItem(id);
  return it !== undefined && ['completed', 'failed', 'canceled'].includes(String(it.status));
};
