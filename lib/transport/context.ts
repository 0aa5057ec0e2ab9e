// The transport of one client: its options, and the HTTP client and shared socket built from them.
// Server resources and the run pipeline take this context; `createClient` wraps it in the client.
import IsomorphicWebSocket from 'isomorphic-ws';
import { SchedulerLike, asyncScheduler } from 'rxjs';
import { BackoffPolicy, RetryPolicy } from '../internal/backoff';
import { FetchLike, HttpClient, Logger, TokenStore, TransportLimits, createHttpClient, normalizeBaseUrl, tokenStore } from './http';
import { redactingLogger } from './redact';
import { SocketConnection, WebSocketConstructor, createSocketConnection } from './socket';

/** How often the queue item (runs) and the queue status (`queue.status$`) are read over REST while the socket cannot be trusted, unless `pollIntervalMs` says otherwise. */
export const DEFAULT_POLL_INTERVAL_MS = 1000;

/** Options of `createClient`. Only `baseUrl` is required. */
export interface ClientOptions {
  /** The server's URL, with any reverse-proxy path prefix (`https://host/invoke`); REST, v2 and socket URLs derive from it. */
  readonly baseUrl: string;
  /** A bearer token (multi-user InvokeAI); replaced when the server sends `X-Refreshed-Token`. */
  readonly token?: string;
  /** The queue to use and whose socket room to join (default `'default'`). */
  readonly queueId?: string;
  /** A `fetch` to use instead of the platform's (`globalThis.fetch`; cross-fetch where a platform has none). */
  readonly fetch?: FetchLike;
  /** A WebSocket constructor to use instead of isomorphic-ws. */
  readonly WebSocket?: WebSocketConstructor;
  /** Per-attempt HTTP timeout (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Retry policy of idempotent requests (`false` disables retries). */
  readonly retry?: Partial<RetryPolicy> | false;
  /** Reconnect backoff of the socket. */
  readonly reconnect?: Partial<BackoffPolicy>;
  /** Time allowed from opening the socket to the server's connect answer (default 20 s). */
  readonly connectTimeoutMs?: number;
  /**
   * How long the socket stays open after its last listener leaves (default 0: closed at once). Set
   * it (e.g. 2000) when running many workflows one after another, so they share one connection.
   */
  readonly socketLingerMs?: number;
  /** How often runs poll their queue items, and `queue.status$` the queue, over REST while the socket is down (default 1 s). */
  readonly pollIntervalMs?: number;
  /**
   * Byte and depth limits on what the server sends (defaults: `DEFAULT_LIMITS`): `jsonBytes` 16 MiB
   * per JSON or text answer and `downloadBytes` 64 MiB per `download`, both counted after
   * decompression; `jsonDepth` 128 levels; `frameBytes` 16 MiB per socket frame until the server's
   * handshake names its own `maxPayload`. An answer over a limit fails with `ResponseTooLargeError`.
   */
  readonly limits?: Partial<TransportLimits>;
  /** Receives the client's log lines, every one redacted (no credentials, no tokens). */
  readonly logger?: Logger;
  /** Timers of retries, timeouts, watchdog and reconnects (tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Where the jitter of retries and reconnects comes from (default `Math.random`); a seeded one makes a run under faults repeat exactly. */
  readonly random?: () => number;
}

/** What resource modules and the run pipeline build on: one per client. */
export interface ClientContext {
  readonly options: ClientOptions;
  readonly baseUrl: string;
  readonly queueId: string;
  readonly http: HttpClient;
  readonly socket: SocketConnection;
  readonly token: TokenStore;
  readonly scheduler: SchedulerLike;
  /** The client's source of jitter (see `ClientOptions.random`). */
  readonly random: () => number;
}

/**
 * The platform's `fetch` (Node 18+, browsers, Deno, Bun), looked up at each call; where a platform has
 * none, cross-fetch, loaded on first use, so that bundles for platforms with `fetch` never carry it.
 */
export const platformFetch: FetchLike = (url, init) => {
  const own = (globalThis as { fetch?: FetchLike }).fetch;
  return typeof own === 'function' ? own(url, init) : import('cross-fetch').then((m) => (m.default as unknown as FetchLike)(url, init));
};

/** Builds the shared transport of one client (for resource modules; most users call `createClient`). */
export const createClientContext = (given: ClientOptions): ClientContext => {
  const token = tokenStore(given.token);
  // Every module logs through `options.logger`: redacted once here, so none of them can leak a token.
  const options: ClientOptions = { ...given, logger: redactingLogger(given.logger, () => token.known?.() ?? []) };
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const queueId = options.queueId ?? 'default';
  const http = createHttpClient({
    baseUrl: options.baseUrl,
    fetch: options.fetch ?? platformFetch,
    token,
    requestTimeoutMs: options.requestTimeoutMs,
    retry: options.retry,
    logger: options.logger,
    limits: options.limits,
    scheduler,
    random,
  });
  const socket = createSocketConnection({
    baseUrl: options.baseUrl,
    WebSocket: options.WebSocket ?? IsomorphicWebSocket,
    token: token.get,
    queueId,
    reconnect: options.reconnect,
    connectTimeoutMs: options.connectTimeoutMs,
    lingerMs: options.socketLingerMs,
    limits: options.limits,
    scheduler,
    logger: options.logger,
    random,
  });
  return { options, baseUrl: normalizeBaseUrl(options.baseUrl), queueId, http, socket, token, scheduler, random };
};
