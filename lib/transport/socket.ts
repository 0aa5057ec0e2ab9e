// One shared Socket.IO connection per client, over an injected WebSocket constructor, as Observables.
// Opened by the first subscriber and closed when the last one leaves. Answers server pings (never
// pings itself), treats `pingInterval + pingTimeout` of silence as a dead socket (both clamped to
// sane bounds), reconnects with capped exponential backoff and jitter, re-subscribes to the queue
// after every connect (and announces `connected` once the server acknowledged that), and stops for
// good when the server refuses the connect (an AuthError; no reconnect storm). Frames are bounded by
// the server's own handshake `maxPayload`.
import {
  EMPTY,
  Observable,
  SchedulerLike,
  Subject,
  Subscription,
  asyncScheduler,
  catchError,
  defer,
  endWith,
  filter,
  finalize,
  map,
  merge,
  repeat,
  share,
  startWith,
  takeUntil,
  tap,
  timer,
} from 'rxjs';
import { isLeft } from 'fp-ts/Either';
import { connectFrame, decodeFrame, encodePacket, pongFrame, readEventFrame, type EventArray } from '../protocol/engineio';
import type { ServerEvent } from '../protocol/events';
import { EventDecodeIssue, decodeParsedServerEvent } from '../protocol/events-decode';
import { BackoffPolicy, DEFAULT_RECONNECT_POLICY, backoffDelay } from '../internal/backoff';
import { exceedsDepth, mayExceedDepth } from '../internal/record';
import { AuthError } from './errors';
import { DEFAULT_LIMITS, Logger, TransportLimits, normalizeBaseUrl } from './http';
import { redactError, redactUrl, redactingLogger } from './redact';

/**
 * What the client needs of a WebSocket (the browser's, `ws`, `isomorphic-ws`). The handler slots are
 * typed `unknown` because every implementation types its event objects differently; the client only
 * ever assigns them.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drop the connection at once, without a closing handshake. */
  terminate?: () => void;
  onopen: unknown;
  onmessage: unknown;
  onclose: unknown;
  onerror: unknown;
  /**
   * `ws` only: its EventEmitter side. A listener there gets each message as it arrives, where
   * `onmessage` wraps every one in a MessageEvent first (a tenth of the client's cost per event).
   */
  on?: (event: 'message', listener: (data: unknown, isBinary: boolean) => void) => unknown;
  removeListener?: (event: 'message', listener: (data: unknown, isBinary: boolean) => void) => unknown;
}

/**
 * A WebSocket constructor, e.g. `isomorphic-ws`'s default export or `globalThis.WebSocket`. The
 * client passes `{ maxPayload }` as the third argument: `ws` (Node) refuses larger frames with it,
 * before buffering them; a browser's WebSocket ignores it.
 */
export type WebSocketConstructor = new (url: string, protocols?: string | string[], options?: { readonly maxPayload?: number }) => WebSocketLike;

/** The state of the client's socket connection. */
export type ConnectionState =
  /** Opening a WebSocket; `attempt` is 0 for the first, then the reconnect attempt. */
  | { readonly type: 'connecting'; readonly attempt: number }
  /**
   * The server accepted the Socket.IO connect and acknowledged `subscribe_queue` (so the queue's
   * events reach this socket from now on), or did not answer it within the acknowledgement wait
   * (2 s by default), which logs a warning.
   */
  | { readonly type: 'connected'; readonly sid: string }
  /** The connection was lost; the next attempt starts after `delayMs`. */
  | { readonly type: 'reconnecting'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  /** Stopped for good: closed by the client, or refused by the server (`error` is then an `AuthError`). */
  | { readonly type: 'disconnected'; readonly reason: string; readonly error?: Error };

/** Something the connection met and set aside without stopping. */
export type SocketDiagnostic =
  /** A known event whose payload did not decode. */
  | { readonly type: 'undecodable_event'; readonly issue: EventDecodeIssue }
  /** A frame that was unknown, malformed, binary or unexpected. */
  | { readonly type: 'ignored_frame'; readonly frame: string; readonly reason: string };

/** Options of `createSocketConnection`. */
export interface SocketConnectionOptions {
  /** The client's base URL (http or https, with any path prefix). */
  readonly baseUrl: string;
  readonly WebSocket: WebSocketConstructor;
  /** Read at every connect, so a refreshed token is used on reconnect. */
  readonly token: () => string | undefined;
  /** The queue whose room to join after every connect (`subscribe_queue`). */
  readonly queueId: string;
  readonly reconnect?: Partial<BackoffPolicy>;
  /** How long to wait from opening the WebSocket to the server's Socket.IO connect answer. */
  readonly connectTimeoutMs?: number;
  /**
   * How long to wait for the server to acknowledge `subscribe_queue` before announcing `connected`
   * anyway, with a warning (default `DEFAULT_SUBSCRIBE_ACK_WAIT_MS`).
   */
  readonly subscribeAckWaitMs?: number;
  /**
   * How long the WebSocket stays open after its last subscriber leaves (default 0: closed at once).
   * A program that runs many workflows one after another keeps one connection instead of one per run.
   */
  readonly lingerMs?: number;
  /** `frameBytes` (the frame limit before a handshake is known) and `jsonDepth` of event payloads; defaults: `DEFAULT_LIMITS`. */
  readonly limits?: Partial<TransportLimits>;
  /** Timers of the watchdog, the connect timeout, the subscribe acknowledgement wait and reconnect delays. */
  readonly scheduler?: SchedulerLike;
  /** The source of jitter, 0..1. */
  readonly random?: () => number;
  readonly logger?: Logger;
}

/** The shared connection's streams. Subscribing to any of them holds the connection open. */
export interface SocketConnection {
  /** Every decoded server event. Errors with `AuthError` when the server refuses the connect. */
  readonly events$: Observable<ServerEvent>;
  /** Connection states; a late subscriber first gets the current state. Completes after `disconnected`. */
  readonly connection$: Observable<ConnectionState>;
  /** Payloads that did not decode, frames that were ignored. */
  readonly diagnostics$: Observable<SocketDiagnostic>;
  /** Closes the socket and every timer for good; all streams complete. */
  readonly close: () => void;
}

/** The default time allowed from opening the WebSocket to the server's connect answer. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 20000;

/**
 * The default wait, in milliseconds, for the server's ACK of `subscribe_queue`. InvokeAI's server
 * (python-socketio) acknowledges once its handler has joined the socket to the queue's room, within
 * a round trip; a server that never acknowledges gets `connected` announced after this wait.
 */
export const DEFAULT_SUBSCRIBE_ACK_WAIT_MS = 2000;

// The ack id `subscribe_queue` is sent with. Ack ids are per Socket.IO connection and this client
// asks for one acknowledgement per connection, so one fixed id is enough.
const SUBSCRIBE_ACK_ID = 1;

/**
 * The bounds each of the handshake's `pingInterval` and `pingTimeout` is clamped to. A timer of more
 * than 2^31 ms fires at once in Node and browsers, which would turn the dead-socket watchdog into a
 * busy loop; nothing real waits more than minutes between pings.
 */
export const PING_BOUNDS_MS = { min: 10, max: 5 * 60 * 1000 } as const;

/** The smallest frame limit a handshake's `maxPayload` can set: a server announcing less still gets its usual events through. */
export const MIN_FRAME_LIMIT_BYTES = 1024 * 1024;

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));

/** The silence after which a socket counts as dead: `pingInterval + pingTimeout`, each clamped to `PING_BOUNDS_MS`. */
export const silenceLimit = (handshake: { readonly pingInterval: number; readonly pingTimeout: number }): number =>
  clamp(handshake.pingInterval, PING_BOUNDS_MS.min, PING_BOUNDS_MS.max) + clamp(handshake.pingTimeout, PING_BOUNDS_MS.min, PING_BOUNDS_MS.max);

/** The frame limit a handshake sets: its `maxPayload`, but at least `MIN_FRAME_LIMIT_BYTES` and at most the client's `frameBytes`. */
export const frameLimit = (maxPayload: number | undefined, frameBytes: number): number =>
  maxPayload === undefined || !(maxPayload > 0) ? frameBytes : Math.min(frameBytes, Math.max(MIN_FRAME_LIMIT_BYTES, maxPayload));

const frameLength = (data: unknown): number =>
  typeof data === 'string' ? data.length : data instanceof ArrayBuffer || ArrayBuffer.isView(data) ? data.byteLength : 0;

/** The Socket.IO URL of an InvokeAI base URL: `{base}/ws/socket.io/?EIO=4&transport=websocket`, http→ws. */
export const socketUrl = (baseUrl: string): string =>
  `${normalizeBaseUrl(baseUrl).replace(/^http(s?):\/\//i, 'ws$1://')}/ws/socket.io/?EIO=4&transport=websocket`;

// What a connection reports besides events. Events, thousands a second, skip this stream: they go
// straight to the events' own Subject, past the operators that states and diagnostics pass through.
type Signal =
  | { readonly kind: 'state'; readonly state: ConnectionState }
  | { readonly kind: 'diagnostic'; readonly diagnostic: SocketDiagnostic }
  | { readonly kind: 'lost'; readonly reason: string };

const WS_CONNECTING = 0;
const WS_OPEN = 1;
const noop = (): void => undefined;

const describeWsError = (event: unknown): string => {
  if (event instanceof Error) return event.message;
  if (typeof event === 'object' && event !== null) {
    const { message, error } = event as { message?: unknown; error?: unknown };
    if (typeof message === 'string' && message) return message;
    if (error instanceof Error) return error.message;
  }
  return 'unknown error';
};

const connectionErrorMessage = (data: unknown): unknown =>
  typeof data === 'object' && data !== null && 'message' in data ? data : { message: String(data) };

/**
 * Creates the shared socket connection. `createClient` calls this; use it directly only to listen
 * to a server without the rest of the client.
 *
 * @example
 * import WebSocket from 'isomorphic-ws';
 * const socket = createSocketConnection({ baseUrl: 'http://127.0.0.1:9090', WebSocket, token: () => undefined, queueId: 'default' });
 * const sub = socket.events$.subscribe((event) => console.log(event.type));
 * sub.unsubscribe(); // the last subscriber leaving closes the WebSocket
 * @internal
 */
export const createSocketConnection = (options: SocketConnectionOptions): SocketConnection => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const policy: BackoffPolicy = { ...DEFAULT_RECONNECT_POLICY, ...(options.reconnect ?? {}) };
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const subscribeAckWaitMs = options.subscribeAckWaitMs ?? DEFAULT_SUBSCRIBE_ACK_WAIT_MS;
  const subscribeFrame = encodePacket({
    type: 'event',
    namespace: '/',
    ackId: SUBSCRIBE_ACK_ID,
    name: 'subscribe_queue',
    args: [{ queue_id: options.queueId }],
  });
  const lingerMs = options.lingerMs ?? 0;
  const limits: TransportLimits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const logger = redactingLogger(options.logger, () => [options.token() ?? '']);
  const url = socketUrl(options.baseUrl);
  const safeUrl = redactUrl(url);
  // Until a handshake names the server's maxPayload, frames are bounded by the client's own limit;
  // every later WebSocket is opened with the limit the last handshake set.
  let maxFrameBytes = limits.frameBytes;
  const close$ = new Subject<void>();
  // Every decoded event of every connection; `events$` subscribers listen here while they hold the session open.
  const decodedEvents = new Subject<ServerEvent>();
  let closed = false;
  let currentState: ConnectionState | undefined;

  // One WebSocket, from open to loss. Completes after a `lost` signal; errors only on CONNECT_ERROR.
  const connectOnce = (attempt: number): Observable<Signal> =>
    new Observable<Signal>((subscriber) => {
      let done = false;
      let watchdog: Subscription | undefined;
      let silenceLimitMs: number | undefined;
      let connected = false;
      // The sid of an accepted connect whose `subscribe_queue` is not yet acknowledged.
      let awaitingAck: string | undefined;
      let ackWait: Subscription | undefined;
      let ws: WebSocketLike | undefined;
      let onWsMessage: (data: unknown, isBinary: boolean) => void = noop;

      const release = (graceful: boolean) => {
        watchdog?.unsubscribe();
        connectTimer.unsubscribe();
        ackWait?.unsubscribe();
        if (!ws) return;
        // Handlers stay as no-ops: `ws` throws on an 'error' event that nobody listens to.
        ws.onopen = noop;
        ws.onmessage = noop;
        ws.removeListener?.('message', onWsMessage);
        ws.onclose = noop;
        ws.onerror = noop;
        if (ws.readyState === WS_CONNECTING || ws.readyState === WS_OPEN) {
          try {
            // A dead peer never answers a closing handshake; `terminate` frees the socket at once.
            if (!graceful && ws.terminate) ws.terminate();
            else ws.close(1000);
          } catch {
            // Closing is best effort; the socket is abandoned either way.
          }
        }
      };
      const lose = (reason: string) => {
        if (done) return;
        done = true;
        release(false);
        logger?.debug?.(`socket ${safeUrl}: connection lost (${reason})`);
        subscriber.next({ kind: 'lost', reason });
        subscriber.complete();
      };
      const send = (frame: string) => {
        try {
          ws?.send(frame);
        } catch (error) {
          lose(`sending failed: ${describeWsError(error)}`);
        }
      };
      // Re-arming a timer on every frame cost more than decoding the frame. Instead a frame only
      // notes the time; the one timer, when it fires, re-arms itself for what is left of the limit.
      let lastHeardAt = 0;
      const armWatchdog = (delayMs: number) => {
        watchdog?.unsubscribe();
        watchdog = scheduler.schedule(checkSilence, delayMs);
      };
      const checkSilence = () => {
        if (silenceLimitMs === undefined) return;
        const silentForMs = scheduler.now() - lastHeardAt;
        if (silentForMs >= silenceLimitMs) lose(`the server sent nothing for ${silenceLimitMs} ms (pingInterval + pingTimeout)`);
        else armWatchdog(silenceLimitMs - silentForMs);
      };
      const ignore = (frame: string, reason: string) =>
        subscriber.next({ kind: 'diagnostic', diagnostic: { type: 'ignored_frame', frame, reason } });
      const announceConnected = () => {
        const sid = awaitingAck;
        if (sid === undefined || done) return;
        awaitingAck = undefined;
        ackWait?.unsubscribe();
        subscriber.next({ kind: 'state', state: { type: 'connected', sid } });
      };

      const connectTimer = scheduler.schedule(
        () => lose(`the server did not accept the Socket.IO connect within ${connectTimeoutMs} ms`),
        connectTimeoutMs,
      );
      subscriber.next({ kind: 'state', state: { type: 'connecting', attempt } });
      if (subscriber.closed) {
        connectTimer.unsubscribe();
        return;
      }

      try {
        ws = new options.WebSocket(url, undefined, { maxPayload: maxFrameBytes });
      } catch (error) {
        lose(`the WebSocket could not be created: ${describeWsError(error)}`);
        return () => release(true);
      }

      // An event's JSON array (name first), parsed from `frame` and going nowhere else: decoded without a copy.
      const onEvent = (items: EventArray, frame: string): void => {
        const name = items[0];
        // Only text with enough brackets can hide a payload too deep.
        if (mayExceedDepth(frame, limits.jsonDepth + 1) && exceedsDepth(items, limits.jsonDepth + 1)) {
          ignore(`42["${name.slice(0, 100)}",...]`, `its payload nests more than ${limits.jsonDepth} levels deep`);
          return;
        }
        const decoded = decodeParsedServerEvent(name, items[1]);
        if (isLeft(decoded)) {
          logger?.warn?.(`socket event ${name} did not decode`, { issues: decoded.left.issues });
          subscriber.next({ kind: 'diagnostic', diagnostic: { type: 'undecodable_event', issue: decoded.left } });
        } else {
          decodedEvents.next(decoded.right);
        }
      };
      const onFrame = (frame: unknown): void => {
        if (done) return;
        if (silenceLimitMs !== undefined) lastHeardAt = scheduler.now();
        // A WebSocket that cannot refuse large frames itself (a browser's, or the first one, opened
        // before the handshake was known) still drops the connection on one over the limit.
        const length = frameLength(frame);
        if (length > maxFrameBytes) {
          lose(`a frame of ${length} bytes is over the limit of ${maxFrameBytes} (the server's maxPayload)`);
          return;
        }
        // Events, thousands a second, are read without building the packet; every other frame is decoded whole.
        const plain = readEventFrame(frame);
        if (plain !== undefined) {
          onEvent(plain, frame as string);
          return;
        }
        const packet = decodeFrame(frame);
        switch (packet.type) {
          case 'open':
            maxFrameBytes = frameLimit(packet.handshake.maxPayload, limits.frameBytes);
            silenceLimitMs = silenceLimit(packet.handshake);
            lastHeardAt = scheduler.now();
            armWatchdog(silenceLimitMs);
            {
              const token = options.token();
              send(connectFrame(token ? { token } : undefined));
            }
            return;
          case 'ping':
            send(pongFrame(packet.data));
            return;
          case 'connect': {
            const sid = typeof packet.data === 'object' && packet.data !== null ? (packet.data as { sid?: unknown }).sid : undefined;
            if (packet.namespace !== '/' || typeof sid !== 'string' || connected) {
              ignore(JSON.stringify(packet), 'an unexpected CONNECT packet');
              return;
            }
            connected = true;
            connectTimer.unsubscribe();
            // `connected` waits for the server's ACK of the subscribe: the server joins the socket to
            // the queue's room before it acknowledges, so whoever reacts to `connected` (a run that
            // trusts the socket to carry every event of its batch) knows no event can be missed. The
            // wait is bounded: a server that never acknowledges still gets `connected`.
            awaitingAck = sid;
            ackWait = scheduler.schedule(() => {
              logger?.warn?.(
                `socket ${safeUrl}: the server did not acknowledge subscribe_queue within ${subscribeAckWaitMs} ms; ` +
                  'events sent before it joined the queue room may be missed',
              );
              announceConnected();
            }, subscribeAckWaitMs);
            send(subscribeFrame);
            return;
          }
          case 'connect_error': {
            done = true;
            // The server's refusal may echo what it was sent: the token is no part of the error.
            const error = redactError(new AuthError(0, 'CONNECT', url, connectionErrorMessage(packet.data)), [options.token() ?? '']);
            // Both servers keep the Engine.IO session open after a refused connect: close it here.
            release(true);
            subscriber.next({ kind: 'state', state: { type: 'disconnected', reason: 'the server refused the connection', error } });
            subscriber.error(error);
            return;
          }
          case 'event':
            // An event with a namespace or an ack id (readEventFrame reads the others).
            onEvent([packet.name, ...packet.args], frame as string);
            return;
          case 'disconnect':
            lose('the server disconnected this client');
            return;
          case 'close':
            lose('the server closed the Engine.IO session');
            return;
          case 'noop':
          case 'upgrade':
            return;
          case 'pong':
            ignore('3', 'a pong, although this client never pings');
            return;
          case 'ack':
            if (packet.namespace === '/' && packet.ackId === SUBSCRIBE_ACK_ID && awaitingAck !== undefined) {
              announceConnected();
              return;
            }
            ignore(`43${packet.ackId}`, 'an ACK this client did not ask for');
            return;
          case 'unknown':
          case 'malformed':
            logger?.warn?.(`socket frame ignored: ${packet.reason}`);
            ignore(packet.frame, packet.reason);
            return;
        }
      };
      // A text message reaches `ws` listeners as a Buffer (decoded here, as `onmessage` would); binary stays binary.
      onWsMessage = (data, isBinary) => onFrame(isBinary ? data : String(data));
      if (typeof ws.on === 'function' && typeof ws.removeListener === 'function') ws.on('message', onWsMessage);
      else ws.onmessage = (event: { data: unknown }) => onFrame(event.data);
      ws.onclose = (event: { code?: number; reason?: string }) =>
        lose(`the WebSocket closed (code ${event?.code ?? 'unknown'}${event?.reason ? `: ${event.reason}` : ''})`);
      ws.onerror = (event: unknown) => lose(`the WebSocket failed: ${describeWsError(event)}`);

      return () => {
        if (done) return;
        done = true;
        release(true);
      };
    });

  const session$: Observable<Signal> = defer(() => {
    if (closed) return EMPTY;
    const reconnecting$ = new Subject<Signal>();
    let failures = 0;
    let lastLoss = '';
    const attempts$ = defer(() => connectOnce(failures)).pipe(
      tap((signal) => {
        if (signal.kind === 'state' && signal.state.type === 'connected') failures = 0;
        if (signal.kind === 'lost') lastLoss = signal.reason;
      }),
      repeat({
        delay: () => {
          failures += 1;
          const delayMs = backoffDelay(failures, policy, random());
          reconnecting$.next({ kind: 'state', state: { type: 'reconnecting', attempt: failures, delayMs, reason: lastLoss } });
          return timer(delayMs, scheduler);
        },
      }),
    );
    return merge(reconnecting$, attempts$).pipe(
      takeUntil(close$),
      endWith<Signal>({ kind: 'state', state: { type: 'disconnected', reason: 'the client was closed' } }),
    );
  }).pipe(
    tap((signal) => {
      if (signal.kind !== 'state') return;
      currentState = signal.state;
      logger?.debug?.(`socket ${safeUrl}: ${signal.state.type}`);
    }),
    finalize(() => {
      currentState = undefined;
    }),
    // While lingering, close() must still end the connection at once, hence the close$ in the notifier.
    share({ resetOnRefCountZero: lingerMs > 0 ? () => merge(timer(lingerMs, scheduler), close$) : true, resetOnError: true, resetOnComplete: true }),
  );

  // The session's lifetime (it opens the socket, ends with close, errors with AuthError) carried onto
  // the events, which come from their own Subject: subscribed first, so none is missed.
  const events$ = new Observable<ServerEvent>((subscriber) => {
    const events = decodedEvents.subscribe(subscriber);
    const lifetime = session$.subscribe({ error: (error: unknown) => subscriber.error(error), complete: () => subscriber.complete() });
    return () => {
      events.unsubscribe();
      lifetime.unsubscribe();
    };
  });
  const connection$ = defer(() => {
    const states$ = session$.pipe(
      filter((s): s is Extract<Signal, { kind: 'state' }> => s.kind === 'state'),
      map((s) => s.state),
      catchError(() => EMPTY),
    );
    return currentState ? states$.pipe(startWith(currentState)) : states$;
  });
  const diagnostics$ = session$.pipe(
    filter((s): s is Extract<Signal, { kind: 'diagnostic' }> => s.kind === 'diagnostic'),
    map((s) => s.diagnostic),
    catchError(() => EMPTY),
  );
  const close = () => {
    if (closed) return;
    closed = true;
    close$.next();
    close$.complete();
  };
  return { events$, connection$, diagnostics$, close };
};
