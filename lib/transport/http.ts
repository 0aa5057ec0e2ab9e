// The one HTTP request function of the client: URL building under a path prefix, JSON and multipart
// bodies, bearer auth with sliding refresh, per-request timeout and AbortSignal, typed errors,
// io-ts decoding, and retries with backoff (or the server's Retry-After) for idempotent requests only.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { Observable, SchedulerLike, asyncScheduler, defer, firstValueFrom, retry, throwError, timer } from 'rxjs';
import { toPathIssues } from '../protocol/issues';
import { BackoffPolicy, DEFAULT_RETRY_POLICY, RetryPolicy, backoffDelay } from '../internal/backoff';
import {
  AuthError,
  DecodeError,
  HttpError,
  NetworkError,
  RequestAbortedError,
  RequestTimeoutError,
  redactUrl,
} from './errors';

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
}

/** What the client reads of a `fetch` response. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
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
}

/** A token store over a variable. */
export const tokenStore = (initial?: string): TokenStore => {
  let token = initial;
  return {
    get: () => token,
    set: (next) => {
      token = next;
    },
  };
};

/** A value of a query parameter; arrays repeat the key (`?base_models=a&base_models=b`), null/undefined are left out. */
export type QueryValue = string | number | boolean | null | undefined | ReadonlyArray<string | number | boolean>;

/** One field of a multipart/form-data body: a text field or a file. */
export type MultipartPart =
  | { readonly name: string; readonly value: string }
  | { readonly name: string; readonly filename: string; readonly contentType: string; readonly data: Uint8Array };

/** A request body: JSON (any value, including a bare array) or multipart/form-data. */
export type RequestBody = { readonly json: unknown } | { readonly multipart: ReadonlyArray<MultipartPart> };

/** How the response body is read before it is decoded: JSON (default), text, bytes, or not at all. */
export type ResponseType = 'json' | 'text' | 'bytes' | 'none';

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
  /** Timers of retries and timeouts (tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** The source of jitter, 0..1. */
  readonly random?: () => number;
}

/** The default per-attempt request timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 60000;

/** A codec that accepts the bytes of a `responseType: 'bytes'` answer. */
export const bytesCodec = new t.Type<Uint8Array, Uint8Array, unknown>(
  'Uint8Array',
  (u): u is Uint8Array => u instanceof Uint8Array,
  (u, c) => (u instanceof Uint8Array ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** Strips trailing slashes, so `http://h/prefix/` and `http://h/prefix` give the same URLs. */
export const normalizeBaseUrl = (baseUrl: string): string => baseUrl.replace(/\/+$/, '');

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
  strings.reduce((path, text, i) => path + text + (i < segments.length ? encodeURIComponent(String(segments[i])) : ''), '');

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
  const url = (path: string, query?: Readonly<Record<string, QueryValue>>) => resolveUrl(options.baseUrl, path, query);

  const attempt = <A>(request: RequestOptions<A>): Observable<A> =>
    new Observable<A>((subscriber) => {
      const target = url(request.path, request.query);
      const endpoint = `${request.method} ${request.path}`;
      const controller = new AbortController();
      let outcome: 'pending' | 'timeout' | 'aborted' | 'done' = 'pending';
      const onCallerAbort = () => {
        if (outcome !== 'pending') return;
        outcome = 'aborted';
        controller.abort();
        subscriber.error(new RequestAbortedError(request.method, target));
      };
      if (request.signal?.aborted) {
        subscriber.error(new RequestAbortedError(request.method, target));
        return;
      }
      request.signal?.addEventListener('abort', onCallerAbort);
      const timeoutMs = request.timeoutMs ?? options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
      const timeout = scheduler.schedule(() => {
        if (outcome !== 'pending') return;
        outcome = 'timeout';
        controller.abort();
        subscriber.error(new RequestTimeoutError(request.method, target, timeoutMs));
      }, timeoutMs);

      const headers: Record<string, string> = {};
      const responseType = request.responseType ?? 'json';
      if (responseType === 'json') headers.accept = 'application/json';
      const token = options.token.get();
      if (token) headers.authorization = `Bearer ${token}`;
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

      const run = async (): Promise<A> => {
        let response: FetchResponse;
        try {
          response = await options.fetch(target, { method: request.method, headers, body, signal: controller.signal });
        } catch (error) {
          throw new NetworkError(request.method, target, error);
        }
        const refreshed = response.headers.get('x-refreshed-token');
        if (refreshed) options.token.set(refreshed);
        options.logger?.debug?.(`${request.method} ${redactUrl(target)} -> ${response.status}`);
        if (response.status < 200 || response.status > 299) {
          const detail = readDetail(await response.text().catch(() => ''));
          if (response.status === 401 || response.status === 403) {
            throw new AuthError(response.status, request.method, target, detail);
          }
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), scheduler.now());
          throw new HttpError(response.status, request.method, target, detail, undefined, retryAfterMs);
        }
        let raw: unknown;
        if (responseType === 'bytes') raw = new Uint8Array(await response.arrayBuffer());
        else if (responseType === 'text') raw = await response.text();
        else if (responseType === 'json') {
          const text = await response.text();
          try {
            raw = text === '' ? null : (JSON.parse(text) as unknown);
          } catch {
            throw new DecodeError(endpoint, [{ path: '$', message: `expected JSON, got text starting ${JSON.stringify(text.slice(0, 40))}` }]);
          }
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
          // A body read that the abort broke is still a network failure.
          subscriber.error(error instanceof Error && error.name === 'AbortError' ? new NetworkError(request.method, target, error) : error);
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
    const once = defer(() => attempt(request));
    if (!retryPolicy || retryPolicy.maxRetries <= 0) return once;
    const policy: BackoffPolicy = retryPolicy;
    return once.pipe(
      retry({
        count: retryPolicy.maxRetries,
        delay: (error: unknown, retryCount: number) => {
          if (!isRetryable(request.method, request.idempotent, error)) return throwError(() => error);
          // The server's own estimate (a 503 during a restart or model load) beats our guess, within the policy's cap.
          const delayMs =
            error instanceof HttpError && error.retryAfterMs !== undefined
              ? Math.min(policy.maxDelayMs, error.retryAfterMs)
              : backoffDelay(retryCount, policy, random());
          options.logger?.warn?.(`${request.method} ${request.path} failed (${(error as Error).message.split('\n')[0]}); retry ${retryCount} in ${delayMs} ms`);
          return timer(delayMs, scheduler);
        },
      }),
    );
  };

  const request: RequestFn = (req) => firstValueFrom(request$(req));

  return { request$, request, url };
};
