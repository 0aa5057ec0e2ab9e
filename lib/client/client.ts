// createClient: the client's transport core (HTTP and the shared socket). Server resources
// (`queue`, `images`, ...) and `run` are separate modules that take the `ClientContext`.
import crossFetch from 'cross-fetch';
import IsomorphicWebSocket from 'isomorphic-ws';
import { Observable, SchedulerLike, asyncScheduler } from 'rxjs';
import { ServerEvent } from '../protocol/events';
import { BackoffPolicy, RetryPolicy } from './backoff';
import { FetchLike, HttpClient, Logger, TokenStore, TransportLimits, createHttpClient, normalizeBaseUrl, tokenStore } from './http';
import { redactingLogger } from './redact';
import { ConnectionState, SocketConnection, SocketDiagnostic, WebSocketConstructor, createSocketConnection } from './socket';
import type { RunEvent, RunResult } from '../run/events';
import type { Workflow } from '../workflow/types';
import { RunManyEvent, RunManyOptions, RunOptions, RunRequest, runMany, runWorkflow, submitWorkflow } from '../run/run';
import { ClientResources, createResources } from './resources';

/** Options of `createClient`. Only `baseUrl` is required. */
export interface ClientOptions {
  /** The server's URL, with any reverse-proxy path prefix (`https://host/invoke`); REST, v2 and socket URLs derive from it. */
  readonly baseUrl: string;
  /** A bearer token (multi-user InvokeAI); replaced when the server sends `X-Refreshed-Token`. */
  readonly token?: string;
  /** The queue to use and whose socket room to join (default `'default'`). */
  readonly queueId?: string;
  /** A `fetch` to use instead of cross-fetch. */
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
  /** How often runs poll the queue item over REST (used by the run pipeline). */
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

/** The client: its transport, its runs and its server resources (`queue`, `images`, `videos`, `boards`, `models`, `workflows`, `app`). */
export interface InvokeAIClient extends ClientResources {
  /** Every decoded socket event, over one shared connection (opened while anyone listens). */
  readonly events$: Observable<ServerEvent>;
  /** The socket's connection state. */
  readonly connection$: Observable<ConnectionState>;
  /** Socket payloads that did not decode, frames that were ignored. */
  readonly diagnostics$: Observable<SocketDiagnostic>;
  /** Releases the socket and its timers; the streams complete. */
  readonly close: () => void;
  /** The transport, for resource modules and the run pipeline. */
  readonly context: ClientContext;
  /** Runs a workflow: cold; subscribing enqueues; unsubscribing before the end cancels (see `RunOptions`). */
  readonly run: (wf: Workflow, options?: RunOptions) => Observable<RunEvent>;
  /** The same run as a Promise, settled when every item has ended. */
  readonly submit: (wf: Workflow, options?: RunOptions) => Promise<RunResult>;
  /** Many runs, at most `concurrency` at once, their events tagged with the workflow's index. */
  readonly runMany: (workflows: Iterable<Workflow | RunRequest>, options?: RunManyOptions) => Observable<RunManyEvent>;
}

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
    fetch: options.fetch ?? crossFetch,
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

/**
 * Creates a client for one InvokeAI server. Nothing connects until a stream is subscribed or a
 * request is made.
 *
 * @example
 * import { createClient } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const sub = client.events$.subscribe((event) => console.log(event.type));
 * // ...
 * sub.unsubscribe();
 * client.close();
 */
export const createClient = (options: ClientOptions): InvokeAIClient => {
  const context = createClientContext(options);
  return {
    events$: context.socket.events$,
    connection$: context.socket.connection$,
    diagnostics$: context.socket.diagnostics$,
    close: context.socket.close,
    context,
    run: (wf, runOptions) => runWorkflow(context, wf, runOptions),
    submit: (wf, runOptions) => submitWorkflow(context, wf, runOptions),
    runMany: (workflows, manyOptions) => runMany(context, workflows, manyOptions),
    ...createResources(context),
  };
};
