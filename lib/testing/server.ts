/** The simulated InvokeAI server: HTTP routing, queue/image/board/model/workflow endpoints, socket events and faults. */
import { promises as fsPromises } from 'fs';
import * as http from 'http';
import * as zlib from 'zlib';
import * as nodePath from 'path';
import { AddressInfo } from 'net';
import { randomUUID } from 'crypto';
import { AuthStore, MockUser, TokenLifetime, UserDTO } from './auth';
import { CorsOptions, corsDecision } from './cors';
import { BoardDTO, BoardRecord, BoardStore } from './boards';
import { Timers, sqliteNow, unixNow } from './clock';
import { SocketHub, EventLogEntry, seededRandom } from './events';
import { FaultState, MockFaults } from './faults';
import { ImageChange, ImageDTO, ImageStore, StoredImage } from './images';
import { ModelConfig, ModelSpec, defaultModels, filterModels, modelConfig } from './models';
import { OpenApiDocument, SchemaIndex, indexSchemas, loadDefaultOpenApi } from './openapi';
import { imageSize, renderPng, resizeImage } from './png';
import { Processor } from './processor';
import { QueueItemRecord, QueueStore, REDACTED_OWNER_FIELDS, byQueueOrder, countStatuses, excludeNone, freshPending, isTerminal, itemOutcomeJson, itemToJson, redactItem } from './queue';
import { GraphNode, ValidationIssue, enumIssue, expandBatch, fieldRequired, isRecord, validateEnqueueBody } from './validate';
import { StoredVideo, VideoChange, VideoDTO, VideoStore, mp4Info, renderMp4, renderWebp } from './videos';
import type { MediaRecordDTO, NewMediaRecord, StoredMedia } from './media';
import { WorkflowStore, workflowListItem } from './workflows';

/** Options of `startMockServer`. */
export interface MockServerOptions {
  /** TCP port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** Path prefix of every route and of the socket path, e.g. `/invoke` (a reverse-proxy sub-path). Default none. */
  readonly basePath?: string;
  /** Milliseconds per denoise step (default 2). */
  readonly stepMs?: number;
  /** Steps per heavy node (default 3). */
  readonly steps?: number;
  /** Multi-user mode with these users (admins see everything). Default: single-user. */
  readonly multiUser?: { readonly users: ReadonlyArray<MockUser>; readonly tokenLifetime?: TokenLifetime };
  /** Cross-origin access for browser pages on other origins (InvokeAI's `allow_origins`; default none, as a stock InvokeAI). */
  readonly cors?: CorsOptions;
  /** Queue-size cap (default 10000). */
  readonly maxQueueSize?: number;
  /** The id of the first queue item (default 1), e.g. 100001 for a server that has run many items. */
  readonly firstItemId?: number;
  /** Installed models (default: a realistic seeded set, see `defaultModels`). */
  readonly models?: ReadonlyArray<ModelSpec | ModelConfig>;
  /** OpenAPI document with the node schemas (default: the shipped InvokeAI 6.14 schema). */
  readonly openapi?: OpenApiDocument;
  /** Workflows to put in the library at start (e.g. InvokeAI's default workflows); an `id` is kept. */
  readonly workflows?: ReadonlyArray<Readonly<Record<string, unknown>>>;
  /** engine.io ping interval / timeout in ms (defaults 25000 / 20000, as python-engineio). */
  readonly pingInterval?: number;
  readonly pingTimeout?: number;
  /**
   * Serves the files of this folder for GET requests that match no API route (`/` is `index.html`),
   * so that a browser page and the API share one origin and need no CORS. Default: none.
   */
  readonly staticDir?: string;
}

/** One HTTP request as the server saw it. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path without the base path, without the query. */
  readonly path: string;
  readonly status: number;
  /** `Date.now()` when the request arrived. */
  readonly time: number;
}

/** A running simulated InvokeAI server. */
export interface MockServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (plus the base path if any). */
  readonly url: string;
  /** Port it listens on. */
  readonly port: number;
  /** Fault injection. */
  readonly faults: MockFaults;
  /** HTTP requests served so far. */
  readonly requests: ReadonlyArray<RequestLogEntry>;
  /** Socket events sent (or dropped by a fault) so far. */
  readonly events: ReadonlyArray<EventLogEntry>;
  /** Number of connected sockets. */
  readonly socketCount: number;
  /** Queue items as `GET .../i/{id}` would serve them (nulls omitted), ordered by priority then id. */
  queueItems(): ReadonlyArray<Record<string, unknown>>;
  /** One queue item, as served. */
  queueItem(itemId: number): Record<string, unknown> | undefined;
  /** Image DTOs. */
  images(): ReadonlyArray<ImageDTO>;
  /** PNG bytes of an image. */
  imageBytes(imageName: string): Buffer | undefined;
  /** Video DTOs. */
  videos(): ReadonlyArray<VideoDTO>;
  /** MP4 bytes of a video (header boxes only, see `renderMp4`). */
  videoBytes(videoName: string): Buffer | undefined;
  /** Board DTOs. */
  boards(): ReadonlyArray<BoardDTO>;
  /** Installed model configs. */
  models(): ReadonlyArray<ModelConfig>;
  /** Installs a model; returns its config. */
  addModel(spec: ModelSpec): ModelConfig;
  /** Creates a board; returns its DTO. */
  addBoard(name: string): BoardDTO;
  /** Stores an image (a generated PNG when no bytes are given); returns its DTO. */
  addImage(options?: { readonly bytes?: Buffer; readonly width?: number; readonly height?: number; readonly boardId?: string; readonly isIntermediate?: boolean; readonly category?: ImageDTO['image_category'] }): ImageDTO;
  /** Stores a video (a generated header-only MP4 of this size and duration); returns its DTO. */
  addVideo(options?: { readonly width?: number; readonly height?: number; readonly fps?: number; readonly duration?: number; readonly boardId?: string; readonly isIntermediate?: boolean; readonly category?: VideoDTO['video_category'] }): VideoDTO;
  /** Closes the HTTP server, every socket and every timer. */
  close(): Promise<void>;
}

const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A file of the static folder for a request path, or `undefined`; paths that leave the folder are refused. */
const staticFile = async (dir: string, urlPath: string): Promise<{ bytes: Buffer; contentType: string } | undefined> => {
  const root = nodePath.resolve(dir);
  const wanted = nodePath.resolve(root, `.${decodeURIComponent(urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath)}`);
  if (wanted !== root && !wanted.startsWith(`${root}${nodePath.sep}`)) return undefined;
  try {
    const bytes = await fsPromises.readFile(wanted);
    return { bytes, contentType: STATIC_TYPES[nodePath.extname(wanted).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
};

/** An HTTP response to send. */
interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: { readonly bytes: Buffer; readonly contentType: string };
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route handler receives. */
interface Ctx {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly req: http.IncomingMessage;
  readonly user: UserDTO | SystemUser;
  body(): Promise<unknown>;
  rawBody(): Promise<Buffer>;
}

type SystemUser = { readonly user_id: string; readonly is_admin: boolean; readonly email: string };
type Handler = (ctx: Ctx) => Reply | Promise<Reply>;
interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: ReadonlyArray<string>;
  readonly handler: Handler;
  readonly public?: boolean;
}

/** An error that turns into an HTTP status with FastAPI's `{detail}` body. */
class HttpError extends Error {
  constructor(readonly status: number, readonly detail: unknown) {
    super(typeof detail === 'string' ? detail : 'HTTP error');
    this.name = 'HttpError';
  }
}

const SYSTEM_USER: SystemUser = { user_id: 'system', is_admin: true, email: 'system@system.invokeai' };
const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });
const notFound = (detail = 'Not Found'): never => {
  throw new HttpError(404, detail);
};
const unprocessable = (issues: ReadonlyArray<ValidationIssue>): Reply => json(422, { detail: issues });
const ORDER_DIRS = ['ASC', 'DESC'];
const queryBool = (v: string | null): boolean | undefined => (v === null ? undefined : ['true', '1', 'yes', 'on'].includes(v.toLowerCase()));

/** Expands `{a|b}` choices: every combination (combinatorial) or `max` seeded random picks. */
const expandDynamicPrompt = (prompt: string, max: number, combinatorial: boolean, seed?: number): string[] => {
  const parts = prompt.split(/(\{[^{}]*\})/).map((p) => (p.startsWith('{') && p.endsWith('}') ? p.slice(1, -1).split('|') : [p]));
  if (combinatorial) {
    let out = [''];
    for (const choices of parts) {
      out = out.flatMap((prefix) => choices.map((c) => prefix + c));
      if (out.length > max) out = out.slice(0, max);
    }
    return out.slice(0, max);
  }
  const random = seededRandom(seed ?? 0);
  return Array.from({ length: max }, () => parts.map((choices) => choices[Math.floor(random() * choices.length)] ?? '').join(''));
};

/** Starts the simulated InvokeAI server.
 *
 * @example
 * const server = await startMockServer({ stepMs: 1 });
 * const res = await fetch(`${server.url}/api/v1/app/version`);
 * await server.close();
 */
export const startMockServer = async (options: MockServerOptions = {}): Promise<MockServer> => {
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const index: SchemaIndex = indexSchemas(options.openapi ?? loadDefaultOpenApi());
  const timers = new Timers();
  const queue = new QueueStore(options.firstItemId);
  const images = new ImageStore();
  const videos = new VideoStore();
  const boards = new BoardStore();
  const workflows = new WorkflowStore();
  const auth = options.multiUser ? new AuthStore(options.multiUser.users, options.multiUser.tokenLifetime) : undefined;
  const faultState = new FaultState();
  const requestLog: RequestLogEntry[] = [];
  let models: ModelConfig[] = (options.models ?? defaultModels()).map((m) => ('hash' in m && 'path' in m ? (m as ModelConfig) : modelConfig(m)));
  const maxQueueSize = options.maxQueueSize ?? 10000;
  for (const wf of options.workflows ?? []) {
    const { id, ...rest } = wf;
    workflows.create(typeof id === 'string' && id !== '' ? id : randomUUID(), rest, 'system');
  }
  const multi = auth !== undefined;

  const hub = new SocketHub({
    path: `${basePath}/ws/socket.io`,
    pingInterval: options.pingInterval,
    pingTimeout: options.pingTimeout,
    authenticate: auth ? (token) => auth.userFor(token) : undefined,
  });

  // ---------- event emission (routing as sockets.py) ----------
  const queueStatus = (queueId: string): Record<string, unknown> => {
    const current = queue.current(queueId);
    return { queue_id: queueId, item_id: current?.item_id ?? null, batch_id: current?.batch_id ?? null, session_id: current?.session_id ?? null, ...queue.counts(queueId) };
  };
  const batchStatus = (queueId: string, batchId: string): Record<string, unknown> => {
    const { first, counts } = queue.batchSummary(queueId, batchId);
    return { queue_id: queueId, batch_id: batchId, origin: first?.origin ?? null, destination: first?.destination ?? null, ...counts };
  };
  const itemEventBase = (item: QueueItemRecord): Record<string, unknown> => ({
    timestamp: unixNow(),
    queue_id: item.queue_id,
    item_id: item.item_id,
    batch_id: item.batch_id,
    origin: item.origin,
    destination: item.destination,
    user_id: item.user_id,
  });
  const ownerRooms = (userId: string): string[] => [`user:${userId}`, 'admin'];
  const emitStatus = (item: QueueItemRecord): void => {
    const payload = {
      ...itemEventBase(item),
      status: item.status,
      status_sequence: item.status_sequence,
      ...itemOutcomeJson(item),
      batch_status: batchStatus(item.queue_id, item.batch_id),
      queue_status: { ...queueStatus(item.queue_id), user_pending: null, user_in_progress: null },
      session_id: item.session_id,
    };
    const sanitized = {
      ...payload,
      ...REDACTED_OWNER_FIELDS,
      batch_status: { ...payload.batch_status, batch_id: 'redacted', origin: null, destination: null },
      queue_status: { ...payload.queue_status, item_id: null, session_id: null, batch_id: null, user_pending: null, user_in_progress: null },
    };
    hub.emit({ name: 'queue_item_status_changed', payload, rooms: ownerRooms(item.user_id), sanitized: { room: item.queue_id, payload: sanitized } });
  };
  const emitInvocation = (name: string, item: QueueItemRecord, invocation: GraphNode, sourceId: string, extra: Record<string, unknown>): void => {
    const payload = { ...itemEventBase(item), session_id: item.session_id, invocation, invocation_source_id: sourceId, ...extra };
    hub.emit({ name, payload, rooms: name === 'invocation_progress' ? [`user:${item.user_id}`] : ownerRooms(item.user_id) });
  };

  const processor = new Processor({
    index,
    queue,
    images,
    videos,
    timers,
    stepMs: options.stepMs ?? 2,
    steps: options.steps ?? 3,
    models: () => models,
    newId: randomUUID,
    nodeFailures: () => faultState.nodeFailures,
    takeWaitingHold: () => faultState.waitingHolds.shift(),
    emitStatus,
    emitInvocation,
    emitModelLoad: (name, item, config, submodelType) =>
      hub.emit({ name, payload: { timestamp: unixNow(), config, submodel_type: submodelType, user_id: item.user_id }, rooms: [`user:${item.user_id}`] }),
  });

  // ---------- helpers ----------
  const canSee = (user: Ctx['user'], ownerId: string): boolean => !multi || user.is_admin || user.user_id === ownerId;
  const itemJson = (item: QueueItemRecord, user: Ctx['user']): Record<string, unknown> => {
    const j = itemToJson(item);
    return canSee(user, item.user_id) ? j : redactItem(j);
  };
  const served = (j: Record<string, unknown>): Record<string, unknown> => excludeNone(j) as Record<string, unknown>;
  const itemOr404 = (queueId: string, id: string): QueueItemRecord => {
    const item = queue.get(Number(id));
    if (!item) return notFound(`Queue item with id ${id} not found in queue ${queueId}`);
    // the real route's generic `except` turns the inner 404 for another queue's item into a 500
    if (item.queue_id !== queueId) throw new HttpError(500, `Unexpected error while getting queue item: Queue item with id ${id} not found in queue ${queueId}`);
    return item;
  };
  const ownItem = (ctx: Ctx, item: QueueItemRecord): void => {
    if (!canSee(ctx.user, item.user_id)) throw new HttpError(403, 'You do not have permission to modify this queue item');
  };
  const cancelItem = (item: QueueItemRecord): boolean => {
    if (isTerminal(item.status)) return false;
    queue.setStatus(item, 'canceled');
    emitStatus(item);
    return true;
  };
  /** What a board's DTO says of its non-intermediate media: the newest image and video, and the counts by kind. */
  type BoardTally = { lastImage: string | null; lastVideo: string | null; images: number; assets: number; videos: number };
  /** Every board's tally, from one pass over the images and the videos (a board list would otherwise scan them once per board). */
  const boardTallies = (): Map<string, BoardTally> => {
    const tallies = new Map<string, BoardTally>();
    const tallyOf = (boardId: string): BoardTally => {
      const t = tallies.get(boardId) ?? { lastImage: null, lastVideo: null, images: 0, assets: 0, videos: 0 };
      tallies.set(boardId, t);
      return t;
    };
    for (const { dto } of images.all()) {
      if (dto.board_id === null || dto.is_intermediate) continue;
      const t = tallyOf(dto.board_id);
      t.lastImage = dto.image_name;
      if (dto.image_category === 'general') t.images += 1;
      else t.assets += 1;
    }
    for (const { dto } of videos.all()) {
      if (dto.board_id === null || dto.is_intermediate) continue;
      const t = tallyOf(dto.board_id);
      t.lastVideo = dto.video_name;
      t.videos += 1;
    }
    return tallies;
  };
  const boardDto = (b: BoardRecord, tallies = boardTallies()): BoardDTO => {
    const t = tallies.get(b.board_id);
    return {
      ...b,
      cover_image_name: b.cover_image_name ?? t?.lastImage ?? null,
      cover_video_name: t?.lastVideo ?? null,
      image_count: t?.images ?? 0,
      video_count: t?.videos ?? 0,
      asset_count: t?.assets ?? 0,
      owner_username: null,
    };
  };
  /** The DTOs of several boards, tallying the media once. */
  const boardDtos = (records: ReadonlyArray<BoardRecord>): BoardDTO[] => {
    const tallies = boardTallies();
    return records.map((b) => boardDto(b, tallies));
  };
  const boardOr404 = (id: string): BoardRecord => boards.get(id) ?? notFound('Board not found');
  /** The image the route's `{image_name}` names, or a 404. */
  const imageOr404 = (ctx: Ctx): StoredImage => images.get(ctx.params.image_name ?? '') ?? notFound();
  /**
   * `queue_items_canceled` / `queue_items_retried` as sockets.py routes them: the full payload to
   * admins, each owner a copy with only their own items, and a copy with empty lists to the queue room.
   */
  const emitBulk = (name: 'queue_items_canceled' | 'queue_items_retried', queueId: string, items: readonly QueueItemRecord[]): void => {
    const word = name === 'queue_items_canceled' ? 'canceled' : 'retried';
    const byUser: Record<string, number[]> = {};
    items.forEach((i) => (byUser[i.user_id] ??= []).push(i.item_id));
    const payload = (ids: number[], users: Record<string, number[]>) => ({
      timestamp: unixNow(),
      queue_id: queueId,
      [`${word}_item_ids`]: ids,
      user_ids: Object.keys(users),
      [`${word}_item_ids_by_user`]: users,
    });
    hub.emit({
      name,
      payload: payload(items.map((i) => i.item_id), byUser),
      rooms: ['admin'],
      perOwner: Object.entries(byUser).map(([user, ids]) => ({ room: `user:${user}`, payload: payload(ids, { [user]: ids }) })),
      sanitized: { room: queueId, payload: payload([], {}) },
    });
  };
  /** Cancels the unfinished items among `candidates` (in queue order) that the caller may change. */
  const bulkCancel = (ctx: Ctx, queueId: string, candidates: ReadonlyArray<QueueItemRecord>): Reply => {
    const targets = candidates.filter((i) => !isTerminal(i.status) && canSee(ctx.user, i.user_id));
    for (const i of targets) {
      // the running item is canceled through the processor path, which emits its status; pending ones are bulk-updated
      if (i.status === 'in_progress') cancelItem(i);
      else queue.setStatus(i, 'canceled');
    }
    if (targets.length) emitBulk('queue_items_canceled', queueId, targets);
    return json(200, { canceled: targets.length });
  };
  const newSession = (graph: QueueItemRecord['session']['graph']): QueueItemRecord['session'] => ({
    id: randomUUID(),
    graph,
    execution_graph: { id: randomUUID(), nodes: {}, edges: [] },
    executed: [],
    executed_history: [],
    results: {},
    errors: {},
    prepared_source_mapping: {},
    // Keyed by the workflow's node ids, which may be `constructor` or `__proto__` (a Python dict takes any key).
    source_prepared_mapping: Object.create(null) as Record<string, string[]>,
  });
  const waitForTerminal = async (ids: ReadonlyArray<number>): Promise<void> => {
    for (let i = 0; i < 2000; i++) {
      if (ids.every((id) => { const it = queue.get(id); return !it || isTerminal(it.status); })) return;
      await timers.sleep(5);
    }
  };

  // ---------- routes ----------
  const routes: Route[] = [];
  const route = (method: string, template: string, handler: Handler, isPublic = false): void => {
    const keys: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, k: string) => {
        keys.push(k);
        return '([^/]+)';
      })}$`,
    );
    routes.push({ method, pattern, keys, handler, public: isPublic });
  };

  // app
  route('GET', '/api/v1/app/version', () => json(200, { version: '6.14.0-alpha' }), true);
  route('GET', '/openapi.json', () => json(200, index.document), true);
  route('GET', '/api/v1/app/app_deps', () => json(200, { invokeai: '6.14.0-alpha', simulator: 'invokeai-rx' }));
  route('GET', '/api/v1/auth/status', () => json(200, { setup_required: false, multiuser_enabled: multi, strict_password_checking: false, admin_email: auth?.adminEmail() ?? null }), true);
  route(
    'POST',
    '/api/v1/auth/login',
    async (ctx) => {
      if (!auth) return json(403, { detail: 'Multiuser mode is disabled. Authentication is not required in single-user mode.' });
      const body = await ctx.body();
      const email = isRecord(body) && typeof body.email === 'string' ? body.email : '';
      const password = isRecord(body) && typeof body.password === 'string' ? body.password : '';
      const r = auth.login(email, password, isRecord(body) && body.remember_me === true);
      if (!r) return json(401, { detail: 'Incorrect email or password' });
      return json(200, { token: r.token, user: r.user, expires_in: r.expiresIn }, { 'Set-Cookie': `invokeai_media_token=${r.token}; HttpOnly; Max-Age=${r.expiresIn}; Path=${basePath}/api/v1; SameSite=Lax` });
    },
    true,
  );
  route('POST', '/api/v1/auth/logout', () => json(200, { success: true }));
  route('GET', '/api/v1/auth/me', (ctx) => json(200, ctx.user));

  // queue
  route('POST', '/api/v1/queue/{queue_id}/enqueue_batch', async (ctx) => {
    const body = await ctx.body();
    const r = validateEnqueueBody(index, body, randomUUID);
    if (!r.ok) return unprocessable(r.issues);
    const queueId = ctx.params.queue_id ?? 'default';
    const combos = expandBatch(r.batch);
    const room = Math.max(0, maxQueueSize - queue.pendingCount());
    const chosen = combos.slice(0, room);
    // the next pending item has the queue's highest pending priority
    const priority = r.prepend ? (queue.next(queueId)?.priority ?? 0) + 1 : 0;
    const now = sqliteNow();
    const ids: number[] = [];
    for (const values of chosen) {
      const nodes: Record<string, GraphNode> = Object.create(null) as Record<string, GraphNode>;
      for (const [id, n] of Object.entries(r.batch.graph.nodes)) nodes[id] = { ...n };
      for (const v of values) {
        const n = nodes[v.node_path];
        if (n) nodes[v.node_path] = { ...n, [v.field_name]: v.value };
      }
      const session = newSession({ ...r.batch.graph, nodes });
      const item: QueueItemRecord = {
        item_id: queue.allocateId(),
        ...freshPending(now),
        priority,
        batch_id: r.batch.batch_id,
        origin: r.batch.origin,
        destination: r.batch.destination,
        session_id: session.id,
        queue_id: queueId,
        user_id: ctx.user.user_id,
        field_values: values,
        retried_from_item_id: null,
        session,
        workflow: r.batch.workflow,
      };
      queue.put(item);
      ids.push(item.item_id);
    }
    const payload = { timestamp: unixNow(), queue_id: queueId, batch_id: r.batch.batch_id, enqueued: ids.length, requested: combos.length, priority, origin: r.batch.origin, user_id: ctx.user.user_id };
    hub.emit({
      name: 'batch_enqueued',
      payload,
      rooms: ownerRooms(ctx.user.user_id),
      sanitized: { room: queueId, payload: { ...payload, user_id: 'redacted', batch_id: 'redacted', origin: null } },
    });
    processor.kick();
    if (faultState.eventsBeforeEnqueueResponse) await waitForTerminal(ids);
    return json(200, { queue_id: queueId, enqueued: ids.length, requested: combos.length, batch: r.batch, priority, item_ids: [...ids].reverse() });
  });
  route('GET', '/api/v1/queue/{queue_id}/status', (ctx) => {
    const qs = queueStatus(ctx.params.queue_id ?? 'default');
    const current = typeof qs.item_id === 'number' ? queue.get(qs.item_id) : undefined;
    const hide = current && !canSee(ctx.user, current.user_id);
    return json(200, {
      queue: { ...qs, ...(hide ? { item_id: null, batch_id: null, session_id: null } : {}), user_pending: null, user_in_progress: null },
      processor: processor.status(),
    });
  });
  route('GET', '/api/v1/queue/{queue_id}/i/{item_id}', (ctx) => json(200, served(itemJson(itemOr404(ctx.params.queue_id ?? '', ctx.params.item_id ?? ''), ctx.user))));
  route('PUT', '/api/v1/queue/{queue_id}/i/{item_id}/cancel', (ctx) => {
    const item = itemOr404(ctx.params.queue_id ?? '', ctx.params.item_id ?? '');
    ownItem(ctx, item);
    cancelItem(item);
    return json(200, served(itemJson(item, ctx.user)));
  });
  route('DELETE', '/api/v1/queue/{queue_id}/i/{item_id}', (ctx) => {
    const item = itemOr404(ctx.params.queue_id ?? '', ctx.params.item_id ?? '');
    ownItem(ctx, item);
    cancelItem(item);
    queue.delete(item.item_id);
    return json(200, null);
  });
  route('GET', '/api/v1/queue/{queue_id}/b/{batch_id}/status', (ctx) => json(200, batchStatus(ctx.params.queue_id ?? '', ctx.params.batch_id ?? '')));
  route('GET', '/api/v1/queue/{queue_id}/list_all', (ctx) => {
    const dest = ctx.query.get('destination');
    return json(
      200,
      queue
        .list(ctx.params.queue_id)
        .filter((i) => dest === null || i.destination === dest)
        .map((i) => itemJson(i, ctx.user)),
    );
  });
  route('GET', '/api/v1/queue/{queue_id}/item_ids', (ctx) => {
    const dir = ctx.query.get('order_dir') ?? 'DESC';
    if (dir !== 'ASC' && dir !== 'DESC') return unprocessable([enumIssue(['query', 'order_dir'], ORDER_DIRS, dir)]);
    const ids = queue.list(ctx.params.queue_id).map((i) => i.item_id).sort((a, b) => (dir === 'ASC' ? a - b : b - a));
    return json(200, { item_ids: ids, total_count: ids.length });
  });
  // Both by-ids routes take `{item_ids}` and answer the known items of this queue in the order asked.
  const itemsByIds = (shape: (item: QueueItemRecord, ctx: Ctx) => unknown): Handler => async (ctx) => {
    const body = await ctx.body();
    const ids = isRecord(body) && Array.isArray(body.item_ids) ? body.item_ids : undefined;
    if (!ids) return unprocessable([fieldRequired(['body', 'item_ids'], body)]);
    return json(
      200,
      ids
        .map((id) => queue.get(Number(id)))
        .filter((i): i is QueueItemRecord => i !== undefined && i.queue_id === ctx.params.queue_id)
        .map((i) => shape(i, ctx)),
    );
  };
  route('POST', '/api/v1/queue/{queue_id}/items_by_ids', itemsByIds((i, ctx) => itemJson(i, ctx.user)));
  route(
    'POST',
    '/api/v1/queue/{queue_id}/item_summaries_by_ids',
    itemsByIds((i, ctx) => {
      const j = itemJson(i, ctx.user);
      return {
        item_id: j.item_id,
        created_at: j.created_at,
        status: j.status,
        device: null,
        started_at: j.started_at,
        completed_at: j.completed_at,
        origin: j.origin,
        destination: j.destination,
        batch_id: j.batch_id,
        user_id: j.user_id ?? i.user_id,
        user_display_name: null,
        user_email: null,
        field_values: j.field_values,
        parent_item_id: null,
      };
    }),
  );
  route('GET', '/api/v1/queue/{queue_id}/current', (ctx) => {
    const cur = queue.current(ctx.params.queue_id);
    return json(200, cur ? itemJson(cur, ctx.user) : null);
  });
  route('GET', '/api/v1/queue/{queue_id}/next', (ctx) => {
    const next = queue.next(ctx.params.queue_id);
    return json(200, next ? itemJson(next, ctx.user) : null);
  });
  route('PUT', '/api/v1/queue/{queue_id}/clear', (ctx) => {
    const queueId = ctx.params.queue_id ?? 'default';
    const targets = queue.list(queueId).filter((i) => canSee(ctx.user, i.user_id));
    targets.filter((i) => i.status === 'in_progress').forEach(cancelItem);
    targets.forEach((i) => queue.delete(i.item_id));
    const scoped = multi && !ctx.user.is_admin;
    const payload = { timestamp: unixNow(), queue_id: queueId, user_id: scoped ? ctx.user.user_id : null };
    if (scoped) hub.emit({ name: 'queue_cleared', payload, rooms: ownerRooms(ctx.user.user_id), sanitized: { room: queueId, payload: { ...payload, user_id: null } } });
    else hub.emit({ name: 'queue_cleared', payload, rooms: [queueId] });
    return json(200, { deleted: targets.length });
  });
  route('PUT', '/api/v1/queue/{queue_id}/prune', (ctx) => {
    const targets = queue.list(ctx.params.queue_id).filter((i) => isTerminal(i.status) && canSee(ctx.user, i.user_id));
    targets.forEach((i) => queue.delete(i.item_id));
    return json(200, { deleted: targets.length });
  });
  route('PUT', '/api/v1/queue/{queue_id}/cancel_by_batch_ids', async (ctx) => {
    const body = await ctx.body();
    const batchIds = isRecord(body) && Array.isArray(body.batch_ids) ? (body.batch_ids as unknown[]) : undefined;
    if (!batchIds) return unprocessable([fieldRequired(['body', 'batch_ids'], body)]);
    const queueId = ctx.params.queue_id ?? '';
    // the batch index answers each batch; merged back into queue order, as a scan of the queue would give
    const distinct = [...new Set(batchIds.filter((b): b is string => typeof b === 'string'))];
    return bulkCancel(ctx, queueId, distinct.flatMap((b) => queue.batchItems(queueId, b)).sort(byQueueOrder));
  });
  route('PUT', '/api/v1/queue/{queue_id}/cancel_by_destination', (ctx) => {
    const dest = ctx.query.get('destination');
    if (dest === null) return unprocessable([fieldRequired(['query', 'destination'], null)]);
    return bulkCancel(ctx, ctx.params.queue_id ?? '', queue.list(ctx.params.queue_id).filter((i) => i.destination === dest));
  });
  route('PUT', '/api/v1/queue/{queue_id}/cancel_all_except_current', (ctx) => bulkCancel(ctx, ctx.params.queue_id ?? '', queue.list(ctx.params.queue_id).filter((i) => i.status !== 'in_progress')));
  route('PUT', '/api/v1/queue/{queue_id}/delete_all_except_current', (ctx) => {
    const targets = queue.list(ctx.params.queue_id).filter((i) => i.status !== 'in_progress' && canSee(ctx.user, i.user_id));
    targets.forEach((i) => queue.delete(i.item_id));
    return json(200, { deleted: targets.length });
  });
  route('PUT', '/api/v1/queue/{queue_id}/retry_items_by_id', async (ctx) => {
    const body = await ctx.body();
    if (!Array.isArray(body)) return unprocessable([{ type: 'list_type', loc: ['body'], msg: 'Input should be a valid list', input: body }]);
    const queueId = ctx.params.queue_id ?? 'default';
    const retried: QueueItemRecord[] = [];
    for (const id of body) {
      const old = queue.get(Number(id));
      if (!old || old.queue_id !== queueId || (old.status !== 'failed' && old.status !== 'canceled') || !canSee(ctx.user, old.user_id)) continue;
      const session = newSession(old.session.graph);
      const now = sqliteNow();
      const item: QueueItemRecord = {
        ...old,
        item_id: queue.allocateId(),
        ...freshPending(now),
        session,
        session_id: session.id,
        retried_from_item_id: old.item_id,
      };
      queue.put(item);
      retried.push(item);
    }
    emitBulk('queue_items_retried', queueId, retried);
    processor.kick();
    return json(200, { queue_id: queueId, retried_item_ids: retried.map((i) => i.item_id) });
  });
  route('GET', '/api/v1/queue/{queue_id}/counts_by_destination', (ctx) => {
    const dest = ctx.query.get('destination');
    if (dest === null) return unprocessable([fieldRequired(['query', 'destination'], null)]);
    return json(200, { queue_id: ctx.params.queue_id, destination: dest, ...countStatuses(queue.list(ctx.params.queue_id).filter((i) => i.destination === dest)) });
  });
  route('DELETE', '/api/v1/queue/{queue_id}/d/{destination}', (ctx) => {
    const targets = queue.list(ctx.params.queue_id).filter((i) => i.destination === ctx.params.destination && canSee(ctx.user, i.user_id));
    targets.forEach((i) => {
      cancelItem(i);
      queue.delete(i.item_id);
    });
    return json(200, { deleted: targets.length });
  });
  const adminOnly = (ctx: Ctx): void => {
    if (!ctx.user.is_admin) throw new HttpError(403, 'Admin privileges required');
  };
  route('PUT', '/api/v1/queue/{queue_id}/processor/pause', (ctx) => {
    adminOnly(ctx);
    processor.pause();
    return json(200, processor.status());
  });
  route('PUT', '/api/v1/queue/{queue_id}/processor/resume', (ctx) => {
    adminOnly(ctx);
    processor.resume();
    return json(200, processor.status());
  });

  // utilities
  route('POST', '/api/v1/utilities/dynamicprompts', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.prompt !== 'string') return unprocessable([fieldRequired(['body', 'prompt'], body)]);
    const max = typeof body.max_prompts === 'number' ? body.max_prompts : 1000;
    const seed = typeof body.seed === 'number' ? body.seed : undefined;
    return json(200, { prompts: expandDynamicPrompt(body.prompt, max, body.combinatorial !== false, seed), error: null });
  });

  // what the image and video routes share (the video routes mirror the image ones)
  const MEDIA_CATEGORIES = ['general', 'mask', 'control', 'user', 'other'];
  const categoryIssue = (loc: ReadonlyArray<string | number>, input: unknown): ValidationIssue => enumIssue(loc, MEDIA_CATEGORIES, input);
  // media bytes never change under a name; in multi-user mode they are private to their owner
  const mediaCacheControl = multi ? 'private, no-store' : 'max-age=31536000';
  const FILE_MISSING: ValidationIssue = fieldRequired(['body', 'file'], null);
  /** An upload's form, file, category (the query's `categoryParam`) and `is_intermediate`; throws the 422 of a missing or bad one. */
  const readUpload = async (ctx: Ctx, categoryParam: 'image_category' | 'video_category'): Promise<{ form: FormData; file: File; category: ImageDTO['image_category']; intermediate: boolean }> => {
    const category = ctx.query.get(categoryParam);
    const intermediate = queryBool(ctx.query.get('is_intermediate'));
    const issues: ValidationIssue[] = [];
    if (category === null) issues.push(fieldRequired(['query', categoryParam], null));
    else if (!MEDIA_CATEGORIES.includes(category)) issues.push(categoryIssue(['query', categoryParam], category));
    if (intermediate === undefined) issues.push(fieldRequired(['query', 'is_intermediate'], null));
    const contentType = ctx.req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) issues.push(FILE_MISSING);
    if (issues.length) throw new HttpError(422, issues);
    const raw = await ctx.rawBody();
    let form: FormData;
    try {
      form = await new Request('http://sim/upload', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) }).formData();
    } catch {
      throw new HttpError(422, [FILE_MISSING]);
    }
    const file = form.get('file');
    if (!file || typeof file === 'string') throw new HttpError(422, [FILE_MISSING]);
    return { form, file, category: category as ImageDTO['image_category'], intermediate: intermediate === true };
  };
  /** The kind-independent fields of an uploaded record: its owner, board, session and metadata; throws 404 for an unknown board, 400 for metadata that is not JSON. */
  const uploadedRecord = (ctx: Ctx, form: FormData, intermediate: boolean): Omit<NewMediaRecord, 'bytes'> => {
    const boardId = ctx.query.get('board_id');
    if (boardId && !boards.get(boardId)) throw new HttpError(404, 'Board not found');
    const metaRaw = form.get('metadata');
    let metadata: unknown = null;
    try {
      if (typeof metaRaw === 'string') metadata = JSON.parse(metaRaw);
    } catch {
      throw new HttpError(400, 'Invalid metadata JSON');
    }
    return { is_intermediate: intermediate, session_id: ctx.query.get('session_id'), board_id: boardId, metadata, user_id: ctx.user.user_id };
  };
  /** The kind-independent fields of an `ImageRecordChanges` / `VideoRecordChanges` body that have the right type (others are ignored). */
  const recordChanges = (body: Readonly<Record<string, unknown>>): Partial<Pick<MediaRecordDTO, 'session_id' | 'is_intermediate' | 'starred'>> => ({
    ...(typeof body.session_id === 'string' ? { session_id: body.session_id } : {}),
    ...(typeof body.is_intermediate === 'boolean' ? { is_intermediate: body.is_intermediate } : {}),
    ...(typeof body.starred === 'boolean' ? { starred: body.starred } : {}),
  });
  /** `GET .../workflow`: the stored workflow and graph as JSON strings, `null` when not stored. */
  const workflowReply = (m: StoredMedia<unknown>): Reply =>
    json(200, { workflow: m.workflow ? JSON.stringify(m.workflow) : null, graph: m.graph ? JSON.stringify(m.graph) : null });
  /** The list filters of `GET /{kind}s/` and `/{kind}s/names`, as the query gives them. */
  const listFilter = (ctx: Ctx, originParam: 'image_origin' | 'video_origin') => ({
    cats: ctx.query.getAll('categories'),
    inter: queryBool(ctx.query.get('is_intermediate')),
    board: ctx.query.get('board_id'),
    origin: ctx.query.get(originParam),
    search: ctx.query.get('search_term'),
    dir: ctx.query.get('order_dir') ?? 'DESC',
    starredFirst: queryBool(ctx.query.get('starred_first')) ?? true,
  });
  /** The records a list filter keeps that the caller may see, oldest or newest first, starred ones first unless asked otherwise. */
  const selectMedia = <S extends StoredMedia<MediaRecordDTO>>(
    ctx: Ctx,
    records: ReadonlyArray<S>,
    f: ReturnType<typeof listFilter>,
    facts: (record: S) => { readonly name: string; readonly category: string; readonly origin: string },
  ): S[] => {
    const list = records.filter((r) => {
      const { name, category, origin } = facts(r);
      return (
        (f.cats.length === 0 || f.cats.includes(category)) &&
        (f.inter === undefined || r.dto.is_intermediate === f.inter) &&
        (f.board === null || r.dto.board_id === (f.board === 'none' ? null : f.board)) &&
        (f.origin === null || origin === f.origin) &&
        (!f.search || name.includes(f.search)) &&
        canSee(ctx.user, r.user_id)
      );
    });
    const ordered = f.dir === 'ASC' ? list : list.slice().reverse();
    return f.starredFirst ? [...ordered.filter((r) => r.dto.starred), ...ordered.filter((r) => !r.dto.starred)] : ordered;
  };

  // images
  route('POST', '/api/v1/images/upload', async (ctx) => {
    const { form, file, category, intermediate } = await readUpload(ctx, 'image_category');
    if (!file.type.startsWith('image')) return json(415, { detail: 'Not an image' });
    let bytes: Buffer = Buffer.from(await file.arrayBuffer());
    let size = imageSize(bytes);
    if (!size) return json(415, { detail: 'Failed to read image' });
    const resizeRaw = form.get('resize_to');
    if (typeof resizeRaw === 'string' && resizeRaw !== '') {
      let target: unknown;
      try {
        target = JSON.parse(resizeRaw);
      } catch {
        target = undefined;
      }
      const w = isRecord(target) ? target.width : undefined;
      const h = isRecord(target) ? target.height : undefined;
      if (typeof w !== 'number' || typeof h !== 'number' || !Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0 || w * h > 4096 * 4096)
        return json(400, { detail: 'Invalid resize_to format or size' });
      bytes = resizeImage(bytes, w, h, resizeRaw);
      size = { width: w, height: h };
    }
    const dto = images.add({
      // the real server re-encodes every upload as PNG
      image_name: `${randomUUID()}.png`,
      bytes,
      width: size.width,
      height: size.height,
      image_origin: 'external',
      image_category: category,
      ...uploadedRecord(ctx, form, intermediate),
    });
    return json(201, dto, { Location: dto.image_url });
  });
  route('GET', '/api/v1/images/i/{image_name}', (ctx) => json(200, imageOr404(ctx).dto));
  const fullImage: Handler = (ctx) => {
    const img = imageOr404(ctx);
    return {
      status: 200,
      raw: { bytes: img.bytes, contentType: 'image/png' },
      headers: { 'Content-Disposition': `inline; filename="${img.dto.image_name}"`, 'Cache-Control': mediaCacheControl },
    };
  };
  route('GET', '/api/v1/images/i/{image_name}/full', fullImage);
  route('HEAD', '/api/v1/images/i/{image_name}/full', fullImage);
  route('GET', '/api/v1/images/i/{image_name}/thumbnail', (ctx) => {
    const img = imageOr404(ctx);
    // a small flat-colour lossless WebP, so the content type is the real server's and true
    return { status: 200, raw: { bytes: renderWebp(16, 16, img.dto.image_name), contentType: 'image/webp' } };
  });
  route('GET', '/api/v1/images/i/{image_name}/urls', (ctx) => {
    const d = imageOr404(ctx).dto;
    return json(200, { image_name: d.image_name, image_url: d.image_url, thumbnail_url: d.thumbnail_url });
  });
  route('GET', '/api/v1/images/i/{image_name}/metadata', (ctx) => json(200, imageOr404(ctx).metadata ?? null));
  route('GET', '/api/v1/images/i/{image_name}/workflow', (ctx) => workflowReply(imageOr404(ctx)));
  route('PATCH', '/api/v1/images/i/{image_name}', async (ctx) => {
    imageOr404(ctx);
    const body = await ctx.body();
    if (!isRecord(body)) return unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }]);
    const change: ImageChange = {
      ...(typeof body.image_category === 'string' ? { image_category: body.image_category as ImageDTO['image_category'] } : {}),
      ...recordChanges(body),
    };
    return json(200, images.update(ctx.params.image_name ?? '', change));
  });
  const deleteImages = (names: ReadonlyArray<string>): Reply => {
    const deleted: string[] = [];
    const boardsHit = new Set<string>();
    for (const n of names) {
      const img = images.get(n);
      if (!img) continue;
      boardsHit.add(img.dto.board_id ?? 'none');
      images.delete(n);
      deleted.push(n);
    }
    return json(200, { deleted_images: deleted, affected_boards: [...boardsHit] });
  };
  route('DELETE', '/api/v1/images/i/{image_name}', (ctx) => deleteImages([ctx.params.image_name ?? '']));
  const namesBody = async (ctx: Ctx): Promise<string[] | Reply> => {
    const body = await ctx.body();
    if (!isRecord(body) || !Array.isArray(body.image_names)) return unprocessable([fieldRequired(['body', 'image_names'], body)]);
    return body.image_names.filter((n): n is string => typeof n === 'string');
  };
  route('POST', '/api/v1/images/delete', async (ctx) => {
    const names = await namesBody(ctx);
    return Array.isArray(names) ? deleteImages(names) : names;
  });
  route('POST', '/api/v1/images/images_by_names', async (ctx) => {
    const names = await namesBody(ctx);
    if (!Array.isArray(names)) return names;
    return json(200, names.map((n) => images.get(n)?.dto).filter((d): d is ImageDTO => d !== undefined));
  });
  const star = (starred: boolean): Handler => async (ctx) => {
    const names = await namesBody(ctx);
    if (!Array.isArray(names)) return names;
    const changed = names.filter((n) => images.update(n, { starred }) !== undefined);
    const affected = [...new Set(changed.map((n) => images.get(n)?.dto.board_id ?? 'none'))];
    return json(200, { [starred ? 'starred_images' : 'unstarred_images']: changed, affected_boards: affected });
  };
  route('POST', '/api/v1/images/star', star(true));
  route('POST', '/api/v1/images/unstar', star(false));
  const filterImages = (ctx: Ctx): StoredImage[] =>
    selectMedia(ctx, images.all(), listFilter(ctx, 'image_origin'), (i) => ({ name: i.dto.image_name, category: i.dto.image_category, origin: i.dto.image_origin }));
  route('GET', '/api/v1/images/', (ctx) => {
    const all = filterImages(ctx);
    const offset = Number(ctx.query.get('offset') ?? 0);
    const limit = Number(ctx.query.get('limit') ?? 10);
    return json(200, { limit, offset, total: all.length, items: all.slice(offset, offset + limit).map((i) => i.dto) });
  });
  route('GET', '/api/v1/images/names', (ctx) => {
    const all = filterImages(ctx);
    return json(200, { image_names: all.map((i) => i.dto.image_name), starred_count: all.filter((i) => i.dto.starred).length, total_count: all.length });
  });
  route('GET', '/api/v1/images/intermediates', () => json(200, images.all().filter((i) => i.dto.is_intermediate).length));
  route('DELETE', '/api/v1/images/intermediates', () => {
    const names = images.all().filter((i) => i.dto.is_intermediate).map((i) => i.dto.image_name);
    names.forEach((n) => images.delete(n));
    return json(200, names.length);
  });

  // boards
  route('POST', '/api/v1/boards/', (ctx) => {
    const name = ctx.query.get('board_name');
    if (name === null) return unprocessable([fieldRequired(['query', 'board_name'], null)]);
    if (name.length > 300)
      return unprocessable([{ type: 'string_too_long', loc: ['query', 'board_name'], msg: 'String should have at most 300 characters', input: name, ctx: { max_length: 300 } }]);
    return json(201, boardDto(boards.create(randomUUID(), name, ctx.user.user_id)));
  });
  route('GET', '/api/v1/boards/', (ctx) => {
    const all = queryBool(ctx.query.get('all'));
    const offset = ctx.query.get('offset');
    const limit = ctx.query.get('limit');
    const includeArchived = queryBool(ctx.query.get('include_archived')) ?? false;
    const orderBy = ctx.query.get('order_by') ?? 'created_at';
    const dir = ctx.query.get('direction') ?? 'DESC';
    const list = boards
      .all()
      .filter((b) => includeArchived || !b.archived)
      .filter((b) => canSee(ctx.user, b.user_id) || b.board_visibility !== 'private')
      .slice()
      .sort((a, b) => (orderBy === 'board_name' ? a.board_name.localeCompare(b.board_name) : a.created_at.localeCompare(b.created_at)));
    const ordered = dir === 'DESC' ? list.reverse() : list;
    if (all) return json(200, boardDtos(ordered));
    if (offset !== null && limit !== null) {
      const o = Number(offset);
      const l = Number(limit);
      return json(200, { limit: l, offset: o, total: ordered.length, items: boardDtos(ordered.slice(o, o + l)) });
    }
    return json(400, { detail: "Invalid request: Must provide either 'all' or both 'offset' and 'limit'" });
  });
  route('GET', '/api/v1/boards/{board_id}', (ctx) => json(200, boardDto(boardOr404(ctx.params.board_id ?? ''))));
  route('PATCH', '/api/v1/boards/{board_id}', async (ctx) => {
    boardOr404(ctx.params.board_id ?? '');
    const body = await ctx.body();
    if (!isRecord(body)) return unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }]);
    const change: Parameters<BoardStore['update']>[1] = {
      ...(typeof body.board_name === 'string' ? { board_name: body.board_name } : {}),
      ...(typeof body.cover_image_name === 'string' ? { cover_image_name: body.cover_image_name } : {}),
      ...(typeof body.archived === 'boolean' ? { archived: body.archived } : {}),
      ...(body.board_visibility === 'private' || body.board_visibility === 'shared' || body.board_visibility === 'public' ? { board_visibility: body.board_visibility } : {}),
    };
    const rec = boards.update(ctx.params.board_id ?? '', change);
    return json(201, rec ? boardDto(rec) : null);
  });
  route('DELETE', '/api/v1/boards/{board_id}', (ctx) => {
    const id = ctx.params.board_id ?? '';
    boardOr404(id);
    const inBoard = images.all().filter((i) => i.dto.board_id === id).map((i) => i.dto.image_name);
    const videosInBoard = videos.all().filter((v) => v.dto.board_id === id).map((v) => v.dto.video_name);
    const withImages = queryBool(ctx.query.get('include_images')) ?? false;
    if (withImages) {
      inBoard.forEach((n) => images.delete(n));
      videosInBoard.forEach((n) => videos.delete(n));
    } else {
      inBoard.forEach((n) => images.update(n, { board_id: null }));
      videosInBoard.forEach((n) => videos.update(n, { board_id: null }));
    }
    boards.delete(id);
    return json(200, {
      board_id: id,
      deleted_board_images: inBoard,
      deleted_images: withImages ? inBoard : [],
      deleted_board_videos: videosInBoard,
      deleted_videos: withImages ? videosInBoard : [],
    });
  });
  route('GET', '/api/v1/boards/{board_id}/image_names', (ctx) => {
    const id = ctx.params.board_id ?? '';
    if (id !== 'none') boardOr404(id);
    const cats = ctx.query.getAll('categories');
    const inter = queryBool(ctx.query.get('is_intermediate'));
    return json(
      200,
      images
        .all()
        .filter((i) => (id === 'none' ? i.dto.board_id === null : i.dto.board_id === id))
        .filter((i) => cats.length === 0 || cats.includes(i.dto.image_category))
        .filter((i) => inter === undefined || i.dto.is_intermediate === inter)
        .map((i) => i.dto.image_name),
    );
  });
  const addToBoard = (boardId: string, names: ReadonlyArray<string>): Reply => {
    boardOr404(boardId);
    const added: string[] = [];
    const affected = new Set<string>([boardId]);
    for (const n of names) {
      const img = images.get(n);
      if (!img) continue;
      affected.add(img.dto.board_id ?? 'none');
      images.update(n, { board_id: boardId });
      added.push(n);
    }
    return json(201, { added_images: added, affected_boards: [...affected] });
  };
  const removeFromBoard = (names: ReadonlyArray<string>): Reply => {
    const removed: string[] = [];
    const affected = new Set<string>();
    for (const n of names) {
      const img = images.get(n);
      if (!img) continue;
      affected.add(img.dto.board_id ?? 'none');
      images.update(n, { board_id: null });
      removed.push(n);
    }
    if (removed.length) affected.add('none');
    return json(201, { removed_images: removed, affected_boards: [...affected] });
  };
  route('POST', '/api/v1/board_images/', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.board_id !== 'string' || typeof body.image_name !== 'string')
      return unprocessable([fieldRequired(['body', 'image_name'], body)]);
    return addToBoard(body.board_id, [body.image_name]);
  });
  route('DELETE', '/api/v1/board_images/', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.image_name !== 'string') return unprocessable([fieldRequired(['body', 'image_name'], body)]);
    return removeFromBoard([body.image_name]);
  });
  route('POST', '/api/v1/board_images/batch', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.board_id !== 'string' || !Array.isArray(body.image_names))
      return unprocessable([fieldRequired(['body', 'image_names'], body)]);
    return addToBoard(body.board_id, body.image_names.filter((n): n is string => typeof n === 'string'));
  });
  route('POST', '/api/v1/board_images/batch/delete', async (ctx) => {
    const names = await namesBody(ctx);
    return Array.isArray(names) ? removeFromBoard(names) : names;
  });

  // videos (the image routes' counterparts; the names are `<uuid>.mp4`)
  /** The video the route's `{video_name}` names, or a 404. */
  const videoOr404 = (ctx: Ctx): StoredVideo => videos.get(ctx.params.video_name ?? '') ?? notFound();
  // In multi-user mode a user changes only their own videos (admins any); others' count as failed.
  const mayChange = (ctx: Ctx, v: StoredVideo): boolean => canSee(ctx.user, v.user_id);
  /** `VideoNamesBatch` of the body: the names, or the 422 FastAPI gives for it. */
  const videoNamesBody = async (ctx: Ctx): Promise<string[] | Reply> => {
    const body = await ctx.body();
    if (!isRecord(body) || body.video_names === undefined) return unprocessable([fieldRequired(['body', 'video_names'], body ?? null)]);
    const list = body.video_names;
    if (!Array.isArray(list)) return unprocessable([{ type: 'list_type', loc: ['body', 'video_names'], msg: 'Input should be a valid list', input: list }]);
    if (list.length > 1000)
      return unprocessable([
        { type: 'too_long', loc: ['body', 'video_names'], msg: `List should have at most 1000 items after validation, not ${list.length}`, input: list, ctx: { field_type: 'List', max_length: 1000, actual_length: list.length } },
      ]);
    const issues: ValidationIssue[] = list.flatMap((n, i): ValidationIssue[] =>
      typeof n !== 'string'
        ? [{ type: 'string_type', loc: ['body', 'video_names', i], msg: 'Input should be a valid string', input: n }]
        : n.length > 255
          ? [{ type: 'string_too_long', loc: ['body', 'video_names', i], msg: 'String should have at most 255 characters', input: n, ctx: { max_length: 255 } }]
          : [],
    );
    return issues.length ? unprocessable(issues) : (list as string[]);
  };
  const deleteVideos = (ctx: Ctx, names: ReadonlyArray<string>): Reply => {
    const deleted: string[] = [];
    const failed: string[] = [];
    const boardsHit = new Set<string>();
    for (const n of names) {
      const v = videos.get(n);
      if (!v || !mayChange(ctx, v)) {
        failed.push(n);
        continue;
      }
      boardsHit.add(v.dto.board_id ?? 'none');
      videos.delete(n);
      deleted.push(n);
    }
    return json(200, { affected_boards: [...boardsHit], deleted_videos: deleted, failed_videos: failed });
  };
  route('POST', '/api/v1/videos/upload', async (ctx) => {
    const { form, file, category, intermediate } = await readUpload(ctx, 'video_category');
    if (!file.type.startsWith('video')) return json(415, { detail: 'Not a video' });
    const bytes = Buffer.from(await file.arrayBuffer());
    // only ISO-BMFF (MP4/MOV) is read here; its header boxes give the duration and frame size
    const info = mp4Info(bytes);
    if (!info) return json(415, { detail: 'Failed to read video' });
    const dto = videos.add({
      video_name: `${randomUUID()}.mp4`,
      bytes,
      width: info.width ?? 0,
      height: info.height ?? 0,
      duration: info.duration ?? 0,
      // the frame rate needs the sample tables, which this reader does not parse
      fps: null,
      video_origin: 'external',
      video_category: category,
      ...uploadedRecord(ctx, form, intermediate),
    });
    return json(201, dto, { Location: dto.video_url });
  });
  route('GET', '/api/v1/videos/i/{video_name}', (ctx) => json(200, videoOr404(ctx).dto));
  route('PATCH', '/api/v1/videos/i/{video_name}', async (ctx) => {
    videoOr404(ctx);
    const body = await ctx.body();
    if (!isRecord(body)) return unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body ?? null }]);
    if (body.video_category !== undefined && body.video_category !== null && !MEDIA_CATEGORIES.includes(String(body.video_category)))
      return unprocessable([categoryIssue(['body', 'video_category'], body.video_category)]);
    const change: VideoChange = {
      ...(typeof body.video_category === 'string' ? { video_category: body.video_category as VideoDTO['video_category'] } : {}),
      ...recordChanges(body),
    };
    return json(200, videos.update(ctx.params.video_name ?? '', change));
  });
  route('DELETE', '/api/v1/videos/i/{video_name}', (ctx) => deleteVideos(ctx, [ctx.params.video_name ?? '']));
  route('POST', '/api/v1/videos/delete', async (ctx) => {
    const names = await videoNamesBody(ctx);
    return Array.isArray(names) ? deleteVideos(ctx, names) : names;
  });
  route('DELETE', '/api/v1/videos/uncategorized', (ctx) =>
    deleteVideos(
      ctx,
      videos
        .all()
        .filter((v) => v.dto.board_id === null && canSee(ctx.user, v.user_id))
        .map((v) => v.dto.video_name),
    ),
  );
  route('GET', '/api/v1/videos/i/{video_name}/metadata', (ctx) => json(200, videoOr404(ctx).metadata ?? null));
  route('GET', '/api/v1/videos/i/{video_name}/workflow', (ctx) => workflowReply(videoOr404(ctx)));
  const fullVideo: Handler = (ctx) => {
    const v = videoOr404(ctx);
    const headers = {
      'Accept-Ranges': 'bytes',
      'Content-Disposition': `inline; filename="${v.dto.video_name}"`,
      'Cache-Control': mediaCacheControl,
    };
    const total = v.bytes.length;
    const range = /^bytes=(\d*)-(\d*)$/.exec(ctx.req.headers.range ?? '');
    if (ctx.method === 'GET' && range && (range[1] !== '' || range[2] !== '')) {
      // `bytes=a-b`, `bytes=a-` or the suffix form `bytes=-n`, as a browser's <video> asks
      const suffix = range[1] === '';
      const start = suffix ? Math.max(0, total - Number(range[2])) : Number(range[1]);
      const end = suffix || range[2] === '' ? total - 1 : Math.min(total - 1, Number(range[2]));
      if (start >= total || end < start) return { status: 416, body: { detail: 'Requested range not satisfiable' }, headers: { 'Content-Range': `bytes */${total}` } };
      return { status: 206, raw: { bytes: v.bytes.subarray(start, end + 1), contentType: 'video/mp4' }, headers: { ...headers, 'Content-Range': `bytes ${start}-${end}/${total}` } };
    }
    return { status: 200, raw: { bytes: v.bytes, contentType: 'video/mp4' }, headers };
  };
  route('GET', '/api/v1/videos/i/{video_name}/full', fullVideo);
  route('HEAD', '/api/v1/videos/i/{video_name}/full', fullVideo);
  route('GET', '/api/v1/videos/i/{video_name}/thumbnail', (ctx) => {
    const v = videoOr404(ctx);
    // a flat-colour lossless WebP with the aspect ratio of the video, at most 256 pixels a side, as the real thumbnails
    const scale = 256 / Math.max(1, v.dto.width, v.dto.height);
    const bytes = renderWebp(Math.max(1, v.dto.width * scale), Math.max(1, v.dto.height * scale), v.dto.video_name);
    return { status: 200, raw: { bytes, contentType: 'image/webp' }, headers: { 'Cache-Control': mediaCacheControl } };
  });
  route('GET', '/api/v1/videos/i/{video_name}/urls', (ctx) => {
    const d = videoOr404(ctx).dto;
    return json(200, { video_name: d.video_name, video_url: d.video_url, thumbnail_url: d.thumbnail_url });
  });
  /** The videos `GET /videos/` and `/videos/names` answer, in order; or the 422 of a bad query. */
  const filterVideos = (ctx: Ctx): StoredVideo[] | Reply => {
    const f = listFilter(ctx, 'video_origin');
    const issues: ValidationIssue[] = f.cats.flatMap((c, i) => (MEDIA_CATEGORIES.includes(c) ? [] : [categoryIssue(['query', 'categories', i], c)]));
    if (f.dir !== 'ASC' && f.dir !== 'DESC') issues.push(enumIssue(['query', 'order_dir'], ORDER_DIRS, f.dir));
    if (f.origin !== null && f.origin !== 'internal' && f.origin !== 'external')
      issues.push(enumIssue(['query', 'video_origin'], ['internal', 'external'], f.origin));
    if (issues.length) return unprocessable(issues);
    return selectMedia(ctx, videos.all(), f, (v) => ({ name: v.dto.video_name, category: v.dto.video_category, origin: v.dto.video_origin }));
  };
  route('GET', '/api/v1/videos/', (ctx) => {
    const all = filterVideos(ctx);
    if (!Array.isArray(all)) return all;
    const offsetRaw = ctx.query.get('offset') ?? '0';
    const limitRaw = ctx.query.get('limit') ?? '10';
    const offset = Number(offsetRaw);
    const limit = Number(limitRaw);
    const issues: ValidationIssue[] = [];
    if (!Number.isInteger(offset) || offset < 0) issues.push({ type: 'greater_than_equal', loc: ['query', 'offset'], msg: 'Input should be greater than or equal to 0', input: offsetRaw, ctx: { ge: 0 } });
    if (!Number.isInteger(limit) || limit < 0 || limit > 1000)
      issues.push(
        limit > 1000
          ? { type: 'less_than_equal', loc: ['query', 'limit'], msg: 'Input should be less than or equal to 1000', input: limitRaw, ctx: { le: 1000 } }
          : { type: 'greater_than_equal', loc: ['query', 'limit'], msg: 'Input should be greater than or equal to 0', input: limitRaw, ctx: { ge: 0 } },
      );
    if (issues.length) return unprocessable(issues);
    return json(200, { limit, offset, total: all.length, items: all.slice(offset, offset + limit).map((v) => v.dto) });
  });
  route('GET', '/api/v1/videos/names', (ctx) => {
    const all = filterVideos(ctx);
    if (!Array.isArray(all)) return all;
    return json(200, { video_names: all.map((v) => v.dto.video_name), starred_count: all.filter((v) => v.dto.starred).length, total_count: all.length });
  });
  const starVideos = (starred: boolean): Handler => async (ctx) => {
    const names = await videoNamesBody(ctx);
    if (!Array.isArray(names)) return names;
    const changed: string[] = [];
    const failed: string[] = [];
    for (const n of names) {
      const v = videos.get(n);
      if (v && mayChange(ctx, v)) {
        videos.update(n, { starred });
        changed.push(n);
      } else failed.push(n);
    }
    const affected = [...new Set(changed.map((n) => videos.get(n)?.dto.board_id ?? 'none'))];
    return json(200, { affected_boards: affected, [starred ? 'starred_videos' : 'unstarred_videos']: changed, failed_videos: failed });
  };
  route('POST', '/api/v1/videos/star', starVideos(true));
  route('POST', '/api/v1/videos/unstar', starVideos(false));
  route('POST', '/api/v1/videos/board', async (ctx) => {
    const body = await ctx.body();
    const missing = (['board_id', 'video_name'] as const).filter((k) => !isRecord(body) || typeof body[k] !== 'string');
    if (missing.length) return unprocessable(missing.map((k) => fieldRequired(['body', k], body ?? null)));
    const { board_id: boardId, video_name: name } = body as { board_id: string; video_name: string };
    boardOr404(boardId);
    const v = videos.get(name);
    if (!v || !mayChange(ctx, v)) return json(200, { affected_boards: [], added_videos: [] });
    const affected = [...new Set([boardId, v.dto.board_id ?? 'none'])];
    videos.update(name, { board_id: boardId });
    return json(200, { affected_boards: affected, added_videos: [name] });
  });
  route('DELETE', '/api/v1/videos/board', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.video_name !== 'string') return unprocessable([fieldRequired(['body', 'video_name'], body ?? null)]);
    const v = videos.get(body.video_name);
    if (!v || !mayChange(ctx, v)) return json(200, { affected_boards: [], removed_videos: [] });
    const affected = [...new Set([v.dto.board_id ?? 'none', 'none'])];
    videos.update(body.video_name, { board_id: null });
    return json(200, { affected_boards: affected, removed_videos: [body.video_name] });
  });

  // models
  route('GET', '/api/v2/models/', (ctx) =>
    json(200, {
      models: filterModels(models, {
        base_models: ctx.query.getAll('base_models'),
        model_type: ctx.query.get('model_type') ?? undefined,
        model_name: ctx.query.get('model_name') ?? undefined,
        model_format: ctx.query.get('model_format') ?? undefined,
      }),
    }),
  );
  route('GET', '/api/v2/models/i/{key}', (ctx) => json(200, models.find((m) => m.key === ctx.params.key) ?? notFound(`Model with key ${ctx.params.key} not found`)));
  route('GET', '/api/v2/models/get_by_attrs', (ctx) => {
    const name = ctx.query.get('name');
    const type = ctx.query.get('type');
    const base = ctx.query.get('base');
    const missing = (['name', 'type', 'base'] as const).filter((k) => ctx.query.get(k) === null);
    if (missing.length) return unprocessable(missing.map((k) => fieldRequired(['query', k], null)));
    const m = models.find((x) => x.name === name && x.type === type && x.base === base);
    return m ? json(200, m) : json(404, { detail: 'No model found with these attributes' });
  });
  route('GET', '/api/v2/models/missing', () => json(200, { models: [] }));

  // workflows library
  route('GET', '/api/v1/workflows/', (ctx) => {
    const page = Number(ctx.query.get('page') ?? 0);
    const perPageRaw = ctx.query.get('per_page');
    const cats = ctx.query.getAll('categories');
    const q = ctx.query.get('query')?.toLowerCase();
    const list = workflows
      .all()
      .map(workflowListItem)
      .filter((w) => cats.length === 0 || cats.includes(w.category as string))
      .filter((w) => !q || String(w.name).toLowerCase().includes(q) || String(w.description).toLowerCase().includes(q))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
    const perPage = perPageRaw === null ? Math.max(1, list.length) : Number(perPageRaw);
    return json(200, { page, pages: Math.ceil(list.length / perPage), per_page: perPage, total: list.length, items: list.slice(page * perPage, page * perPage + perPage) });
  });
  const workflowDto = (id: string): Record<string, unknown> => {
    const r = workflows.get(id) ?? notFound(`Workflow with id ${id} not found`);
    return { ...r, thumbnail_url: null };
  };
  route('GET', '/api/v1/workflows/i/{workflow_id}', (ctx) => json(200, workflowDto(ctx.params.workflow_id ?? '')));
  route('POST', '/api/v1/workflows/', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || !isRecord(body.workflow)) return unprocessable([fieldRequired(['body', 'workflow'], body)]);
    const { id: _dropped, ...wf } = body.workflow;
    const rec = workflows.create(`${randomUUID()}`, wf, ctx.user.user_id);
    return json(200, { ...rec, thumbnail_url: null });
  });
  route('PATCH', '/api/v1/workflows/i/{workflow_id}', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || !isRecord(body.workflow)) return unprocessable([fieldRequired(['body', 'workflow'], body)]);
    const rec = workflows.update(ctx.params.workflow_id ?? '', body.workflow) ?? notFound(`Workflow with id ${ctx.params.workflow_id} not found`);
    return json(200, { ...rec, thumbnail_url: null });
  });
  route('DELETE', '/api/v1/workflows/i/{workflow_id}', (ctx) => {
    if (!workflows.delete(ctx.params.workflow_id ?? '')) notFound(`Workflow with id ${ctx.params.workflow_id} not found`);
    return json(200, null);
  });

  // ---------- HTTP plumbing ----------
  const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const GZIP_MIN_BYTES = 1000;
  const send = (res: http.ServerResponse, reply: Reply, method: string): void => {
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload: Buffer;
    if (reply.raw) {
      headers['Content-Type'] = reply.raw.contentType;
      payload = reply.raw.bytes;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = Buffer.from(JSON.stringify(reply.body === undefined ? null : reply.body));
    }
    // InvokeAI's GZipMiddleware(minimum_size=1000): JSON and text answers of 1000 bytes or more are
    // gzipped for a client that accepts it (fetch in Node and browsers does, and unpacks them).
    const accepts = String(res.req?.headers['accept-encoding'] ?? '');
    if (payload.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(accepts) && /^(application\/json|text\/)/.test(headers['Content-Type'])) {
      payload = zlib.gzipSync(payload, { level: 9 });
      headers['Content-Encoding'] = 'gzip';
      // CORS may already vary the answer by Origin (set on `res` before the route ran): keep both.
      const varies = [res.getHeader('Vary'), headers['Vary']].filter((v): v is string => typeof v === 'string');
      headers['Vary'] = [...varies, 'Accept-Encoding'].join(', ');
    }
    headers['Content-Length'] = String(payload.length);
    res.writeHead(reply.status, headers);
    res.end(method === 'HEAD' ? undefined : payload);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const time = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sim');
    let path = url.pathname;
    const log = (status: number): void => void requestLog.push({ method, path, status, time });
    // The CORS middleware wraps the whole app: it answers preflights itself and decorates every answer.
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const cors = corsDecision(options.cors ?? {}, {
      method,
      origin: header('origin'),
      requestMethod: header('access-control-request-method'),
      requestHeaders: header('access-control-request-headers'),
      hasCookie: header('cookie') !== undefined,
    });
    for (const [name, value] of Object.entries(cors?.headers ?? {})) res.setHeader(name, value);
    if (cors?.preflight !== undefined) {
      log(cors.preflight.status);
      send(res, { status: cors.preflight.status, raw: { contentType: 'text/plain; charset=utf-8', bytes: Buffer.from(cors.preflight.body) } }, method);
      return;
    }
    if (basePath) {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) {
        log(404);
        send(res, json(404, { detail: 'Not Found' }), method);
        return;
      }
      path = path.slice(basePath.length) || '/';
    }
    const injected = faultState.takeRequestFailure(method, path);
    if (injected) {
      log(injected.status);
      send(res, json(injected.status, injected.body ?? { detail: `Injected failure (${injected.status})` }), method);
      return;
    }
    let matched: { route: Route; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1] ?? '')));
      matched = { route: r, params };
      break;
    }
    if (!matched && !pathMatched) {
      // FastAPI's redirect_slashes: the same path with or without a trailing slash gets a 307
      const alt = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      if (routes.some((r) => r.method === method && r.pattern.test(alt))) {
        log(307);
        send(res, { status: 307, body: null, headers: { Location: `${basePath}${alt}${url.search}` } }, method);
        return;
      }
    }
    if (!matched && !pathMatched && options.staticDir !== undefined && (method === 'GET' || method === 'HEAD')) {
      const file = await staticFile(options.staticDir, path);
      if (file) {
        log(200);
        send(res, { status: 200, raw: file }, method);
        return;
      }
    }
    if (!matched) {
      const status = pathMatched ? 405 : 404;
      log(status);
      send(res, json(status, { detail: pathMatched ? 'Method Not Allowed' : 'Not Found' }), method);
      return;
    }
    let user: Ctx['user'] = SYSTEM_USER;
    let token: string | undefined;
    if (auth && !matched.route.public) {
      const header = req.headers.authorization;
      token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!token && /\/(images|videos)\/i\/[^/]+\/(full|thumbnail)$/.test(path)) {
        token = /(?:^|;\s*)invokeai_media_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      }
      const u = auth.userFor(token);
      if (!u) {
        const reply = json(401, { detail: token ? 'Invalid or expired token' : 'Authentication required' }, { 'WWW-Authenticate': 'Bearer' });
        log(401);
        send(res, reply, method);
        return;
      }
      user = u;
    }
    let bodyBuf: Promise<Buffer> | undefined;
    const rawBody = (): Promise<Buffer> => (bodyBuf ??= readBody(req));
    const ctx: Ctx = {
      method,
      path,
      params: matched.params,
      query: url.searchParams,
      req,
      user,
      rawBody,
      body: async () => {
        const buf = await rawBody();
        if (buf.length === 0) return undefined;
        try {
          return JSON.parse(buf.toString('utf8')) as unknown;
        } catch {
          throw new HttpError(422, [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
        }
      },
    };
    let reply: Reply;
    try {
      reply = await matched.route.handler(ctx);
    } catch (err) {
      reply = err instanceof HttpError ? json(err.status, { detail: err.detail }) : json(500, { detail: err instanceof Error ? err.message : String(err) });
    }
    if (auth && token && reply.status < 400 && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && !/\/auth\/(login|logout|media-cookie)$/.test(path)) {
      const refreshed = auth.refresh(token);
      if (refreshed !== undefined) reply = { ...reply, headers: { ...(reply.headers ?? {}), 'X-Refreshed-Token': refreshed } };
    }
    log(reply.status);
    if (!res.writableEnded) send(res, reply, method);
  };

  const socketPrefix = `${basePath}/ws/socket.io`;
  const server = http.createServer((req, res) => {
    const p = (req.url ?? '').split('?')[0] ?? '';
    if (p === socketPrefix || p.startsWith(`${socketPrefix}/`)) {
      if (!hub.handleRequest(req, res)) {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ detail: 'Socket server restarting' }));
      }
      return;
    }
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, json(500, { detail: err instanceof Error ? err.message : String(err) }), 'GET');
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: import('stream').Duplex, head: Buffer) => {
    const p = (req.url ?? '').split('?')[0] ?? '';
    if (p === socketPrefix || p.startsWith(`${socketPrefix}/`)) hub.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  const sockets = new Set<import('net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  const faults: MockFaults = {
    dropAllSockets: () => hub.dropAllSockets(),
    stallEvents: (ms, then = 'deliver') => hub.stall(ms, then),
    dropEvents: (fraction, seed = 1) => hub.dropFraction(fraction, seed),
    delayEvents: (ms) => hub.delay(ms),
    reorderEvents: (count) => hub.reorder(count),
    eventsBeforeEnqueueResponse: (on) => {
      faultState.eventsBeforeEnqueueResponse = on;
    },
    failRequests: (rule) => void faultState.requestFailures.push({ ...rule, remaining: rule.count ?? 1 }),
    failNodes: (rule) =>
      void faultState.nodeFailures.push({ type: rule.type, errorType: rule.errorType ?? 'Exception', message: rule.message ?? `Simulated failure of ${rule.type}`, remaining: rule.count ?? Infinity }),
    pauseProcessor: () => processor.pause(),
    resumeProcessor: () => processor.resume(),
    holdWaiting: (ms) => void faultState.waitingHolds.push(ms),
    restartSocketServer: (downMs = 0) => hub.restart(downMs),
    stopPings: () => hub.stopPings(),
    resumePings: () => hub.resumePings(),
    clear: () => {
      faultState.clear();
      hub.clearFaults();
      processor.resume();
    },
  };

  const addImage: MockServer['addImage'] = (o = {}) => {
    const name = `${randomUUID()}.png`;
    const bytes = o.bytes ?? renderPng(o.width ?? 64, o.height ?? 64, name);
    const size = imageSize(bytes) ?? { width: o.width ?? 64, height: o.height ?? 64 };
    return images.add({
      image_name: name,
      bytes,
      width: size.width,
      height: size.height,
      image_origin: 'external',
      image_category: o.category ?? 'general',
      is_intermediate: o.isIntermediate ?? false,
      board_id: o.boardId ?? null,
    });
  };

  const addVideo: MockServer['addVideo'] = (o = {}) => {
    const name = `${randomUUID()}.mp4`;
    const width = o.width ?? 64;
    const height = o.height ?? 64;
    const fps = o.fps ?? 16;
    const duration = o.duration ?? 1;
    return videos.add({
      video_name: name,
      bytes: renderMp4({ width, height, duration }, name),
      width,
      height,
      duration,
      fps,
      video_origin: 'external',
      video_category: o.category ?? 'general',
      is_intermediate: o.isIntermediate ?? false,
      board_id: o.boardId ?? null,
    });
  };

  let closed = false;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    port,
    faults,
    get requests() {
      return requestLog;
    },
    get events() {
      return hub.log;
    },
    get socketCount() {
      return hub.connectedCount;
    },
    queueItems: () => queue.list().map((i) => served(itemToJson(i))),
    queueItem: (id) => {
      const i = queue.get(id);
      return i ? served(itemToJson(i)) : undefined;
    },
    images: () => images.all().map((i) => i.dto),
    imageBytes: (name) => images.get(name)?.bytes,
    boards: () => boardDtos(boards.all()),
    models: () => models,
    addModel: (spec) => {
      const m = modelConfig(spec);
      models = [...models.filter((x) => x.key !== m.key), m];
      return m;
    },
    addBoard: (name) => boardDto(boards.create(randomUUID(), name, 'system')),
    addImage,
    videos: () => videos.all().map((v) => v.dto),
    videoBytes: (name) => videos.get(name)?.bytes,
    addVideo,
    close: async () => {
      if (closed) return;
      closed = true;
      processor.close();
      timers.close();
      await hub.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        sockets.forEach((s) => s.destroy());
      });
    },
  };
};
