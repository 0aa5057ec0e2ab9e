// The one HTTP request function of the client: URL building under a path prefix, JSON and multipart
// bodies, bearer auth with sliding refresh, per-request timeout and AbortSignal, byte limits on every
// answer, redirects that never carry the token to another origin, typed and redacted errors, io-ts
// decoding, and retries with backoff (or the server's Retry-After) for idempotent requests only.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { Observable, SchedulerLike, asyncScheduler, defer, firstValueFrom, retry, throwError, timer } from 'rxjs';
import { toPathIssues } from '../protocol/issues';
import { MAX_JSON_DEPTH, exceedsDepth, mayExceedDepth } from '../internal/record';
import { BackoffPolicy, DEFAULT_RETRY_POLICY, RetryPolicy, backoffDelay } from '../internal/backoff';
import { BodyLimitExceeded, discardBody, forEachBodyChunk, readBodyBytes, readBodyPrefix, readBodyText } from './body';
import {
  AuthError,
  DecodeError,
  HttpError,
  NetworkError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseLimitKind,
  ResponseTooLargeError,
  UnsafePathError,
} from './errors';
import { isError, redactError, redactUrl, redactingLogger } from './redact';

/** HTTP methods the InvokeAI API uses. */
export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What the client needs of a `fetch` implementation (the global `fetch`, cross-fetch and node-fetch fit). */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** The request init the client passes to `fetch`. */
export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | ArrayBuffer;
  signal?: AbortSignal;
  /** `manual`: the client follows redirects itself, so that the token never goes to another origin. */
  redirect?: 'manual' | 'follow';
}

/** What the client reads of a `fetch` response. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  /** The body stream (a WHATWG `ReadableStream` or a Node stream): read chunk by chunk under the byte limits. Without it, the body is read whole, then checked. */
  readonly body?: unknown;
  /** `opaqueredirect` in browsers, which hide a redirect's target from `redirect: 'manual'`. */
  readonly type?: string;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** Receives the client's log lines; none of them carries the token. */
export interface Logger {
  debug?(message: string, context?: Readonly<Record<string, unknown>>): void;
  warn?(message: string, context?: Readonly<Record<string, unknown>>): void;
}

/** Holds the current bearer token, shared by HTTP and the socket, and replaced when the server refreshes it. */
export interface TokenStore {
  get(): string | undefined;
  set(token: string): void;
  /** The tokens held so far (the last few), which errors and log lines must never show. */
  known?(): ReadonlyArray<string>;
}

// How many past tokens a store remembers for redaction; a refresh every request must not grow it.
const REMEMBERED_TOKENS = 8;

/** A token store over a variable. */
export const tokenStore = (initial?: string): TokenStore => {
  let token = initial;
  const held: string[] = initial ? [initial] : [];
  return {
    get: () => token,
    set: (next) => {
      token = next;
      if (!held.includes(next)) held.push(next);
      if (held.length > REMEMBERED_TOKENS) held.shift();
    },
    known: () => held,
  };
};

/** The byte and depth limits on what a server sends; each has a default (`DEFAULT_LIMITS`). */
export interface TransportLimits {
  /** The most bytes of a JSON or text answer, counted after decompression (default 16 MiB). */
  readonly jsonBytes: number;
  /** The most bytes `images.download` / `videos.download` hold in memory (default 64 MiB); stream larger files to disk with `invokeai-rx/node`'s `downloadTo`. */
  readonly downloadBytes: number;
  /** The most levels of nesting of any JSON answer, socket payload or workflow (default 128). */
  readonly jsonDepth: number;
  /** The most bytes of one socket frame before the server's handshake is known (default 16 MiB); afterwards the handshake's `maxPayload` (at least 1 MiB) bounds it. */
  readonly frameBytes: number;
}

/** The limits a client applies unless told otherwise. */
export const DEFAULT_LIMITS: TransportLimits = {
  jsonBytes: 16 * 1024 * 1024,
  downloadBytes: 64 * 1024 * 1024,
  jsonDepth: MAX_JSON_DEPTH,
  frameBytes: 16 * 1024 * 1024,
};

/** How much of an error answer's body is read for its `detail`; the rest is left unread. */
export const ERROR_BODY_BYTES = 64 * 1024;

/** The most redirects one request follows, as fetch does. */
export const MAX_REDIRECTS = 20;

/** A value of a query parameter; arrays repeat the key (`?base_models=a&base_models=b`), null/undefined are left out. */
export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

/** One field of a multipart/form-data body: a text field or a file. */
export type MultipartPart =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly filename: string; readonly contentType: string; readonly data: Uint8Array };

/** A request body: JSON (any value, including a bare array) or multipart/form-data. */
export type RequestBody = { readonly json: unknown } | { readonly multipart: ReadonlyArray<MultipartPart> };

/** How the response body is read before it is decoded: JSON (default), text, bytes, streamed to `onChunk` (the decoded value is then the byte count), or not at all. */
export type ResponseType = 'json' | 'text' | 'bytes' | 'stream' | 'none';

/** One request. `decode` checks the body (use `t.unknown` to take it as is, `bytesCodec` for bytes). */
export interface RequestOptions<A> {
  readonly method: HttpMethod;
  /** The path under `baseUrl`, starting with `/`, e.g. `/api/v1/queue/default/status` (build it with `apiPath`). */
  readonly path: string;
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: RequestBody;
  readonly decode: t.Decoder<unknown, A>;
  readonly responseType?: ResponseType;
  /**
   * PUT/DELETE that change nothing when repeated (cancel, delete, clear, prune, pause, resume) may be
   * retried; say so here. GET and HEAD are always idempotent; POST is never retried.
   */
  readonly idempotent?: boolean;
  /** Overrides the client's `requestTimeoutMs` for this request (per attempt). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Overrides the byte limit of this answer (the client's `limits.jsonBytes`, or `limits.downloadBytes` for bytes; none for a stream). */
  readonly maxBytes?: number;
  /** With `responseType: 'stream'`: takes each chunk of the body, awaited before the next is read. A stream is never retried once a chunk was taken. */
  readonly onChunk?: (chunk: Uint8Array) => void | Promise<void>;
}

/** The client's request function, as an Observable (cold; unsubscribing aborts the request). */
export type Request$ = <A>(options: RequestOptions<A>) => Observable<A>;

/** The client's request function, as a Promise. */
export type RequestFn = <A>(options: RequestOptions<A>) => Promise<A>;

/** Everything the later resource modules need from the transport. */
export interface HttpClient {
  readonly request$: Request$;
  readonly request: RequestFn;
  /** The absolute URL of a path under `baseUrl` (for links such as image URLs; never carries the token). */
  readonly url: (path: string, query?: Readonly<Record<string, QueryValue>>) => string;
}

/** Options of `createHttpClient`. */
export interface HttpClientOptions {
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly token: TokenStore;
  readonly requestTimeoutMs?: number;
  readonly retry?: Partial<RetryPolicy> | false;
  readonly logger?: Logger;
  /** Byte and depth limits on answers (defaults: `DEFAULT_LIMITS`). */
  readonly limits?: Partial<TransportLimits>;
  /** Timers of retries and timeouts (tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** The source of jitter, 0..1. */
  readonly random?: () => number;
}

/** The default per-attempt request timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60000;

/** A codec that accepts the bytes of a `responseType: 'bytes'` answer. */
export const bytesCodec = /*#__PURE__*/ new t.Type<Uint8Array, Uint8Array, unknown>(
  'Uint8Array',
  (u): u is Uint8Array => u instanceof Uint8Array,
  (u, c) => (u instanceof Uint8Array ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** Strips trailing slashes, so `http://h/prefix/` and `http://h/prefix` give the same URLs. */
export const normalizeBaseUrl = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');

/** One path segment, encoded; a name of dots only keeps its dots encoded, so that it reads as a name, not a step. */
export const encodeSegment = (segment: string): string => (/^\.+$/.test(segment) ? segment.replace(/\./g, '%2E') : encodeURIComponent(segment));

/**
 * Builds a path with its interpolated segments URL-encoded.
 *
 * @example
 * const queueId = 'default';
 * const itemId = 7;
 * apiPath`/api/v1/queue/${queueId}/i/${itemId}/cancel`; // '/api/v1/queue/default/i/7/cancel'
 * @internal
 */
export const apiPath = (strings: TemplateStringsArray, ...segments: ReadonlyArray<string | number>): string =>
  strings.reduce((path, text, i) => path + text + (i < segments.length ? encodeSegment(String(segments[i])) : ''), '');

// A segment URL parsers resolve as a step: `.`, `..`, or either with its dots percent-encoded.
// One regex over the path, where splitting it into segments would cost every request allocations.
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?=$|[/?#])/i;

/** True when URL parsing would resolve a segment of `path` (before any `?`) as `.` or `..`, so the request would reach another route. */
export const hasDotSegment = (path: string): boolean => DOT_SEGMENT.test(path.split(/[?#]/, 1)[0]);

/** Encodes query parameters; arrays repeat the key. */
export const encodeQuery = (query: Readonly<Record<string, QueryValue>> | undefined): string => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === null || value === undefined) continue;
    const values: ReadonlyArray<string | number | boolean> = Array.isArray(value) ? value : [value as string | number | boolean];
    for (const item of values) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
};

/**
 * A base URL's user and password (`https://me:secret@proxy/invoke`, a proxy's basic auth) taken out
 * of it: fetch refuses URLs that carry them (the Fetch standard), so they go as an `Authorization:
 * Basic` header instead, as Node's http sent them.
 */
export const splitCredentials = (baseUrl: string): { readonly baseUrl: string; readonly basicAuth?: string } => {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i.exec(baseUrl);
  if (match === null) return { baseUrl };
  const colon = match[2].indexOf(':');
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  };
  const user = decode(colon === -1 ? match[2] : match[2].slice(0, colon));
  const password = colon === -1 ? '' : decode(match[2].slice(colon + 1));
  let binary = '';
  for (const byte of new TextEncoder().encode(`${user}:${password}`)) binary += String.fromCharCode(byte);
  return { baseUrl: match[1] + baseUrl.slice(match[0].length), basicAuth: `Basic ${btoa(binary)}` };
};

/** The absolute URL of `path` under `baseUrl` (which may carry a path prefix). */
export const resolveUrl = (baseUrl: string, path: string, query?: Readonly<Record<string, QueryValue>>): string =>
  `${normalizeBaseUrl(baseUrl)}${path.startsWith('/') ? path : `/${path}`}${encodeQuery(query)}`;

const escapeFieldName = (name: string): string => name.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** Encodes a multipart/form-data body (any fetch accepts the bytes, unlike a FormData object on node-fetch), in a buffer of its own. */
export const encodeMultipart = (parts: ReadonlyArray<MultipartPart>, boundary: string): Uint8Array => {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const part of parts) {
    const disposition = `Content-Disposition: form-data; name="${escapeFieldName(part.name)}"`;
    if ('data' in part) {
      chunks.push(
        encoder.encode(
          `--${boundary}\r\n${disposition}; filename="${escapeFieldName(part.filename)}"\r\nContent-Type: ${part.contentType}\r\n\r\n`,
        ),
        part.data,
        encoder.encode('\r\n'),
      );
    } else {
      chunks.push(encoder.encode(`--${boundary}\r\n${disposition}\r\n\r\n${part.value}\r\n`));
    }
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
};

/** True when a failed request may be sent again: idempotent, and a network error or 502/503/504. */
export const isRetryable = (method: HttpMethod, idempotent: boolean | undefined, error: unknown): boolean => {
  const repeatable = method === 'GET' || method === 'HEAD' || (method !== 'POST' && idempotent === true);
  if (!repeatable) return false;
  if (error instanceof NetworkError) return true;
  return error instanceof HttpError && !(error instanceof AuthError) && [502, 503, 504].includes(error.status);
};

const readDetail = (text: string): unknown => {
  if (text === '') return undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (exceedsDepth(body, MAX_JSON_DEPTH)) return `${text.slice(0, 497)}...`;
    return typeof body === 'object' && body !== null && 'detail' in body ? (body as { detail: unknown }).detail : body;
  } catch {
    return text.length > 500 ? `${text.slice(0, 497)}...` : text;
  }
};

/**
 * Reads a `Retry-After` header (delay-seconds or an HTTP date) as milliseconds from `nowMs`; a date
 * in the past gives 0, an absent or unreadable header `undefined`.
 */
export const parseRetryAfter = (value: string | null, nowMs: number): number | undefined => {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its weekday and month; without letters V8's lenient Date.parse would read `-3` as a year.
  const date = /[A-Za-z]/.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};

const makeBoundary = (random: () => number): string =>
  `----invokeai-rx-${Math.floor(random() * 2 ** 48).toString(36)}${Date.now().toString(36)}`;

/** A body read past its limit as the typed error that names the request; any other error as it is. */
const typedLimitError = (error: unknown, method: string, url: string, limitBytes: number, kind: ResponseLimitKind): unknown =>
  error instanceof BodyLimitExceeded ? new ResponseTooLargeError(method, url, limitBytes, kind) : error;

/** True for the statuses a redirect is answered with. */
const isRedirect = (status: number): boolean => status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

const originOf = (url: string): string | undefined => {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
};

/** The request after one redirect: fetch's rules for the method and body, and the token only to the same origin (scheme, host and port). */
interface OutgoingRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string | ArrayBuffer;
}

const redirected = (from: OutgoingRequest, status: number, location: string): OutgoingRequest => {
  const url = new URL(location, from.url).toString();
  const headers = { ...from.headers };
  if (originOf(url) !== originOf(from.url)) delete headers.authorization;
  const toGet = status === 303 ? from.method !== 'HEAD' : (status === 301 || status === 302) && from.method === 'POST';
  if (!toGet) return { url, method: from.method, headers, body: from.body };
  delete headers['content-type'];
  return { url, method: 'GET', headers };
};

/**
 * Creates the client's HTTP layer. Resource modules take the returned `request$`/`request`.
 *
 * @example
 * import * as t from 'io-ts';
 * const http = createHttpClient({ baseUrl: 'http://127.0.0.1:9090', fetch, token: tokenStore() });
 * const status = await http.request({ method: 'GET', path: '/api/v1/queue/default/status', decode: t.unknown });
 * @internal
 */
export const createHttpClient = (options: HttpClientOptions): HttpClient => {
  const scheduler = options.scheduler ?? asyncScheduler;
  const random = options.random ?? Math.random;
  const retryPolicy: RetryPolicy | undefined =
    options.retry === false ? undefined : { ...DEFAULT_RETRY_POLICY, ...(options.retry ?? {}) };
  const limits: TransportLimits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
  const secrets = (): ReadonlyArray<string> => options.token.known?.() ?? [options.token.get() ?? ''];
  const logger = redactingLogger(options.logger, secrets);
  const { baseUrl, basicAuth } = splitCredentials(options.baseUrl);
  const url = (path: string, query?: Readonly<Record<string, QueryValue>>) => resolveUrl(baseUrl, path, query);

  /** Sends the request, following redirects itself: the token goes only to the origin it was meant for. */
  /** Follows a redirect answer itself (until an answer that is none): the token goes only to the origin it was meant for. */
  const follow = async (first: OutgoingRequest, answer: FetchResponse, signal: AbortSignal): Promise<{ response: FetchResponse; url: string }> => {
    let current = first;
    let response = answer;
    for (let hops = 0; ; hops++) {
      // A browser hides where a redirect goes; its own fetch drops the Authorization header on a
      // cross-origin redirect (the Fetch standard), so the request is sent again for it to follow.
      if (response.type === 'opaqueredirect') {
        const { url: target, ...init } = current;
        return { response: await options.fetch(target, { ...init, signal, redirect: 'follow' }), url: target };
      }
      const location = isRedirect(response.status) ? response.headers.get('location') : null;
      if (location === null) return { response, url: current.url };
      await discardBody(response.body);
      if (hops >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      const next = redirected(current, response.status, location);
      logger?.debug?.(`${current.method} ${redactUrl(current.url)} -> ${response.status}, to ${redactUrl(next.url)}${next.headers.authorization === undefined && current.headers.authorization !== undefined ? ' (another origin: without the token)' : ''}`);
      current = next;
      response = await options.fetch(next.url, { method: next.method, headers: next.headers, body: next.body, signal, redirect: 'manual' });
    }
  };

  const attempt = <A>(request: RequestOptions<A>, delivered: { chunks: boolean }): Observable<A> =>
    new Observable<A>((subscriber) => {
      const target = url(request.path, request.query);
      const endpoint = `${request.method} ${request.path}`;
      const fail = (error: unknown) => subscriber.error(redactError(error, secrets()));
      if (hasDotSegment(request.path)) {
        fail(new UnsafePathError(request.method, request.path));
        return;
      }
      const controller = new AbortController();
      let outcome: 'pending' | 'timeout' | 'aborted' | 'done' = 'pending';
      const onCallerAbort = () => {
        if (outcome !== 'pending') return;
        outcome = 'aborted';
        controller.abort();
        fail(new RequestAbortedError(request.method, target));
      };
      if (request.signal?.aborted) {
        fail(new RequestAbortedError(request.method, target));
        return;
      }
      request.signal?.addEventListener('abort', onCallerAbort);
      const timeoutMs = request.timeoutMs ?? options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const timeout = scheduler.schedule(() => {
        if (outcome !== 'pending') return;
        outcome = 'timeout';
        controller.abort();
        fail(new RequestTimeoutError(request.method, target, timeoutMs));
      }, timeoutMs);

      const headers: Record<string, string> = {};
      const responseType = request.responseType ?? 'json';
      if (responseType === 'json') headers.accept = 'application/json';
      const token = options.token.get();
      // A token wins over the base URL's user and password, as Node's http let an explicit header win.
      if (token) headers.authorization = `Bearer ${token}`;
      else if (basicAuth !== undefined) headers.authorization = basicAuth;
      let body: string | ArrayBuffer | undefined;
      if (request.body && 'json' in request.body) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(request.body.json);
      } else if (request.body) {
        const boundary = makeBoundary(random);
        headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
        // An ArrayBuffer is a body every fetch accepts (and the DOM typings allow). encodeMultipart's
        // answer fills its own buffer, so it is sent as it is: no second copy of a large upload.
        body = encodeMultipart(request.body.multipart, boundary).buffer as ArrayBuffer;
      }

      const tooLarge = (limitBytes: number, kind: ResponseLimitKind) => (error: unknown): never => {
        throw typedLimitError(error, request.method, target, limitBytes, kind);
      };

      const run = async (): Promise<A> => {
        let response: FetchResponse;
        let answeredBy = target;
        try {
          response = await options.fetch(target, { method: request.method, headers, body, signal: controller.signal, redirect: 'manual' });
          if (isRedirect(response.status) || response.type === 'opaqueredirect') {
            ({ response, url: answeredBy } = await follow({ url: target, method: request.method, headers, body }, response, controller.signal));
          }
        } catch (error) {
          throw new NetworkError(request.method, target, error);
        }
        // Only the origin the token was meant for may replace it.
        const refreshed = response.headers.get('x-refreshed-token');
        if (refreshed && (answeredBy === target || originOf(answeredBy) === originOf(target))) options.token.set(refreshed);
        logger?.debug?.(`${request.method} ${redactUrl(target)} -> ${response.status}`);
        if (response.status < 200 || response.status > 299) {
          const detail = readDetail(await readBodyPrefix(response, ERROR_BODY_BYTES).catch(() => ''));
          if (response.status === 401 || response.status === 403) {
            throw new AuthError(response.status, request.method, target, detail);
          }
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), scheduler.now());
          throw new HttpError(response.status, request.method, target, detail, undefined, retryAfterMs);
        }
        let raw: unknown;
        if (responseType === 'bytes') {
          const limit = request.maxBytes ?? limits.downloadBytes;
          raw = await readBodyBytes(response, limit).catch(tooLarge(limit, 'bytes'));
        } else if (responseType === 'stream') {
          const limit = request.maxBytes ?? Number.MAX_SAFE_INTEGER;
          const onChunk = request.onChunk ?? (() => undefined);
          raw = await forEachBodyChunk(response, limit, (chunk) => {
            delivered.chunks = true;
            return onChunk(chunk);
          }).catch(tooLarge(limit, 'stream'));
        } else if (responseType === 'text' || responseType === 'json') {
          const limit = request.maxBytes ?? limits.jsonBytes;
          const text = await readBodyText(response, limit).catch(tooLarge(limit, responseType));
          if (responseType === 'text') raw = text;
          else {
            try {
              raw = text === '' ? null : (JSON.parse(text) as unknown);
            } catch {
              throw new DecodeError(endpoint, [{ path: '$', message: `expected JSON, got text starting ${JSON.stringify(text.slice(0, 40))}` }]);
            }
            if (mayExceedDepth(text, limits.jsonDepth) && exceedsDepth(raw, limits.jsonDepth)) {
              throw new DecodeError(endpoint, [{ path: '$', message: `the JSON nests more than ${limits.jsonDepth} levels deep (limits.jsonDepth)` }]);
            }
          }
        } else {
          await discardBody(response.body);
        }
        const decoded = request.decode.decode(raw);
        if (isLeft(decoded)) throw new DecodeError(endpoint, toPathIssues(decoded.left));
        return decoded.right;
      };

      run().then(
        (value) => {
          if (outcome !== 'pending') return;
          outcome = 'done';
          subscriber.next(value);
          subscriber.complete();
        },
        (error: unknown) => {
          if (outcome !== 'pending') return;
          outcome = 'done';
          // Whatever is left of the answer (past a byte limit, after a failed decode) is not read: drop the connection.
          controller.abort();
          // A body read that the abort broke is still a network failure.
          fail(isError(error) && error.name === 'AbortError' ? new NetworkError(request.method, target, error) : error);
        },
      );

      return () => {
        timeout.unsubscribe();
        request.signal?.removeEventListener('abort', onCallerAbort);
        if (outcome === 'pending') {
          outcome = 'aborted';
          controller.abort();
        }
      };
    });

  const request$: Request$ = <A>(request: RequestOptions<A>) => {
    const delivered = { chunks: false };
    const once = defer(() => attempt(request, delivered));
    if (!retryPolicy || retryPolicy.maxRetries <= 0) return once;
    const policy: BackoffPolicy = retryPolicy;
    return once.pipe(
      retry({
        count: retryPolicy.maxRetries,
        delay: (error: unknown, retryCount: number) => {
          // A stream whose chunks were taken cannot be taken again from the start.
          if (delivered.chunks || !isRetryable(request.method, request.idempotent, error)) return throwError(() => error);
          // The server's own estimate (a 503 during a restart or model load) beats our guess, within the policy's cap.
          const delayMs =
            error instanceof HttpError && error.retryAfterMs !== undefined
              ? Math.min(policy.maxDelayMs, error.retryAfterMs)
              : backoffDelay(retryCount, policy, random());
          logger?.warn?.(`${request.method} ${request.path} failed (${(error as Error).message.split('\n')[0]}); retry ${retryCount} in ${delayMs} ms`);
          return timer(delayMs, scheduler);
        },
      }),
    );
  };

  const request: RequestFn = (req) => firstValueFrom(request$(req));

  return { request$, request, url };
};
