/** The simulated InvokeAI server: its options, what a test can do with it, and its assembly from the stores, the processor, the socket hub, the routes (one file per resource in routes/) and the HTTP plumbing (serve.ts). */
import * as http from 'http';
import { AddressInfo } from 'net';
import { randomUUID } from 'crypto';
import { AuthStore, MockUser, TokenLifetime } from './auth';
import type { CorsOptions } from './cors';
import { BoardStore, type MockBoardDTO } from './boards';
import { Timers, unixNow, type SimClock } from './clock';
import { SocketHub, type EventLogEntry } from './events';
import { FaultState, MockFaults, faultControls } from './faults';
import { createRouter, json } from './http';
import { ImageStore, type MockImageDTO } from './images';
import { MockModelConfig, ModelSpec, defaultModels, modelConfig } from './models';
import { OpenApiDocument, SchemaIndex, indexSchemas, loadDefaultOpenApi } from './openapi';
import { pngjs, socketIo } from './optional-peers';
import { imageSize, renderPng } from './png';
import { Processor } from './processor';
import { QueueStore, itemToJson } from './queue';
import { createQueueEvents } from './queue-events';
import { appRoutes } from './routes/app';
import { authRoutes } from './routes/auth';
import { boardViews, boardRoutes } from './routes/boards';
import { imageRoutes } from './routes/images';
import { mediaRouting } from './routes/media';
import { modelRoutes } from './routes/models';
import { queueRoutes, served } from './routes/queue';
import { utilityRoutes } from './routes/utilities';
import { videoRoutes } from './routes/videos';
import { workflowRoutes } from './routes/workflows';
import { createServe, type RequestLogEntry } from './serve';
import type { Sim } from './sim';
import { VideoStore, renderMp4, type MockVideoDTO } from './videos';
import { WorkflowStore } from './workflows';

/** Options of `startMockServer`. */
export interface MockServerOptions {
  /** TCP port on 127.0.0.1 (default 0: any free port). */
  readonly port?: number;
  /** Path prefix of every route and of the socket path, e.g. `/invoke` (a reverse-proxy sub-path). Default none. */
  readonly basePath?: string;
  /** Milliseconds per denoise step (default 2). */
  readonly stepMs?: number;
  /**
   * The clock of the server's timers: node steps, `holdWaiting`, `stallEvents`, `delayEvents`,
   * `restartSocketServer`'s down time (default real time). A test that passes a `ManualClock` moves
   * time itself, so its timing does not depend on how busy the machine is.
   */
  readonly clock?: SimClock;
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
  readonly models?: ReadonlyArray<ModelSpec | MockModelConfig>;
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
  images(): ReadonlyArray<MockImageDTO>;
  /** PNG bytes of an image. */
  imageBytes(imageName: string): Buffer | undefined;
  /** Video DTOs. */
  videos(): ReadonlyArray<MockVideoDTO>;
  /** MP4 bytes of a video (header boxes only, see `renderMp4`). */
  videoBytes(videoName: string): Buffer | undefined;
  /** Board DTOs. */
  boards(): ReadonlyArray<MockBoardDTO>;
  /** Installed model configs. */
  models(): ReadonlyArray<MockModelConfig>;
  /** Installs a model; returns its config. */
  addModel(spec: ModelSpec): MockModelConfig;
  /** Creates a board; returns its DTO. */
  addBoard(name: string): MockBoardDTO;
  /** Stores an image (a generated PNG when no bytes are given); returns its DTO. */
  addImage(options?: { readonly bytes?: Buffer; readonly width?: number; readonly height?: number; readonly boardId?: string; readonly isIntermediate?: boolean; readonly category?: MockImageDTO['image_category'] }): MockImageDTO;
  /** Stores a video (a generated header-only MP4 of this size and duration); returns its DTO. */
  addVideo(options?: { readonly width?: number; readonly height?: number; readonly fps?: number; readonly duration?: number; readonly boardId?: string; readonly isIntermediate?: boolean; readonly category?: MockVideoDTO['video_category'] }): MockVideoDTO;
  /** Closes the HTTP server, every socket and every timer. */
  close(): Promise<void>;
}

/**
 * Starts the simulated InvokeAI server.
 *
 * @example
 * import { startMockServer } from 'invokeai-rx/testing';
 * const server = await startMockServer({ stepMs: 1 });
 * const res = await fetch(`${server.url}/api/v1/app/version`);
 * await server.close();
 */
export const startMockServer = async (options: MockServerOptions = {}): Promise<MockServer> => {
  // Its optional peer dependencies, before anything starts: a missing one is a MissingPeerError.
  socketIo();
  pngjs();
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const index: SchemaIndex = indexSchemas(options.openapi ?? loadDefaultOpenApi());
  const timers = new Timers(options.clock);
  const queue = new QueueStore(options.firstItemId);
  const images = new ImageStore();
  const videos = new VideoStore();
  const boards = new BoardStore();
  const workflows = new WorkflowStore();
  const auth = options.multiUser ? new AuthStore(options.multiUser.users, options.multiUser.tokenLifetime) : undefined;
  const faultState = new FaultState();
  const requestLog: RequestLogEntry[] = [];
  const models: MockModelConfig[] = (options.models ?? defaultModels()).map((m) => ('hash' in m && 'path' in m ? (m as MockModelConfig) : modelConfig(m)));
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
    clock: options.clock,
    authenticate: auth ? (token) => auth.userFor(token) : undefined,
  });

  const events = createQueueEvents(hub, queue);

  const processor = new Processor({
    index,
    queue,
    images,
    videos,
    timers,
    stepMs: options.stepMs ?? 2,
    steps: options.steps ?? 3,
    models: () => sim.models,
    newId: randomUUID,
    nodeFailures: () => faultState.nodeFailures,
    takeWaitingHold: () => faultState.waitingHolds.shift(),
    emitStatus: events.emitStatus,
    emitInvocation: events.emitInvocation,
    emitModelLoad: (name, item, config, submodelType) =>
      hub.emit({ name, payload: { timestamp: unixNow(), config, submodel_type: submodelType, user_id: item.user_id }, rooms: [`user:${item.user_id}`] }),
  });

  const sim: Sim = {
    basePath,
    index,
    timers,
    queue,
    images,
    videos,
    boards,
    workflows,
    auth,
    multi,
    faultState,
    hub,
    events,
    processor,
    maxQueueSize,
    models,
    canSee: (user, ownerId) => !multi || user.is_admin || user.user_id === ownerId,
  };
  const router = createRouter();
  const media = mediaRouting(sim);
  appRoutes(router, sim);
  authRoutes(router, sim);
  queueRoutes(router, sim);
  utilityRoutes(router);
  imageRoutes(router, sim, media);
  boardRoutes(router, sim);
  videoRoutes(router, sim, media);
  modelRoutes(router, sim);
  workflowRoutes(router, sim);
  const { boardDto, boardDtos } = boardViews(sim);
  const { handle, send } = createServe({ basePath, routes: router.routes, auth, faultState, requestLog, cors: options.cors, staticDir: options.staticDir });

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

  const faults = faultControls(hub, faultState, processor);

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
    models: () => sim.models,
    addModel: (spec) => {
      const m = modelConfig(spec);
      sim.models = [...sim.models.filter((x) => x.key !== m.key), m];
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
