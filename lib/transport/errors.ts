// Typed errors of the transport. Each has a stable `name`, carries its context as fields, and says
// in its message what failed and what to try. Every message, URL, detail and cause goes through the
// one redaction rule (redact.ts), so none of them holds a credential or token.
import { PathIssue, formatPathIssues } from '../protocol/issues';
import { isRecord } from '../internal/record';
import { isError, redactError, redactText, redactUrl, redactValue } from './redact';

export { redactUrl } from './redact';

/** One readable problem from a FastAPI 422 answer: `loc` joined with dots, and FastAPI's `msg`. */
export interface RequestIssue {
  readonly loc: string;
  readonly msg: string;
  readonly type?: string;
}

/** Reads FastAPI's validation `detail` list (`[{loc, msg, type}]`) into issues; anything else gives none. */
export const requestIssuesFromDetail = (detail: unknown): ReadonlyArray<RequestIssue> => {
  if (!Array.isArray(detail)) return [];
  return detail.flatMap((entry): RequestIssue[] => {
    if (!isRecord(entry) || typeof entry.msg !== 'string') return [];
    const loc = Array.isArray(entry.loc) ? entry.loc.map(String).join('.') : '';
    return [{ loc, msg: entry.msg, ...(typeof entry.type === 'string' ? { type: entry.type } : {}) }];
  });
};

const describeDetail = (detail: unknown): string => {
  if (detail === undefined || detail === null || detail === '') return '';
  if (typeof detail === 'string') return detail;
  const text = JSON.stringify(detail);
  return text.length > 300 ? `${text.slice(0, 297)}...` : text;
};

const hintFor = (status: number): string => {
  if (status === 404) return 'Check the id or path, and that baseUrl (with any path prefix) points at InvokeAI.';
  if (status === 409) return 'The server is busy with image-storage maintenance; try again when it is done.';
  if (status === 422) return 'The server rejected the request body; fix the fields listed above.';
  if (status === 413 || status === 415) return 'Check the size and content type of the upload.';
  if (status >= 500) return 'The server failed; check its log, and try again if it is overloaded or restarting.';
  return 'Check the request against the server version.';
};

/** A non-2xx answer. `detail` is FastAPI's `detail` (or the body text); `issues` the 422 list made readable. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  /** FastAPI's validation issues (422), empty otherwise. */
  readonly issues: ReadonlyArray<RequestIssue>;
  /** The request's URL, redacted. */
  readonly url: string;
  /** FastAPI's `detail` (or the body text), redacted. */
  readonly detail: unknown;
  constructor(
    readonly status: number,
    readonly method: string,
    url: string,
    detail: unknown,
    message?: string,
    /** How long the server asked to wait before trying again (its `Retry-After`), when it said. */
    readonly retryAfterMs?: number,
  ) {
    const safeDetail = redactValue(detail);
    const issues = requestIssuesFromDetail(safeDetail);
    const what =
      issues.length > 0 ? `:\n${issues.map((i) => `  ${i.loc}: ${i.msg}`).join('\n')}` : safeDetail ? `: ${describeDetail(safeDetail)}` : '';
    super(redactText(message ?? `${method} ${redactUrl(url)} failed with HTTP ${status}${what}\n${hintFor(status)}`));
    this.issues = issues;
    this.url = redactUrl(url);
    this.detail = safeDetail;
  }
}

/** 401/403 from REST, or a socket CONNECT_ERROR: the token is missing, expired, revoked or lacks rights. */
export class AuthError extends HttpError {
  override readonly name: string = 'AuthError';
  constructor(status: number, method: string, url: string, detail: unknown) {
    const reason = describeDetail(isRecord(detail) && 'message' in detail ? detail.message : detail);
    const hint =
      status === 403
        ? 'The token is valid but lacks the rights (admin-only route or another user\'s item); use an admin token or your own items.'
        : 'Pass a valid token to createClient({ token }) (log in with POST /api/v1/auth/login), or check that the server runs in the mode you expect.';
    super(
      status,
      method,
      url,
      detail,
      `${method} ${redactUrl(url)} was refused (${status === 0 ? 'socket connect rejected' : `HTTP ${status}`})${reason ? `: ${reason}` : ''}\n${hint}`,
    );
  }
}

/** The request never got an HTTP answer: DNS, refused connection, reset, TLS. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  readonly url: string;
  /** What the fetch implementation threw, redacted. */
  readonly cause: unknown;
  constructor(
    readonly method: string,
    url: string,
    cause: unknown,
  ) {
    const safeCause = isError(cause) ? redactError(cause) : typeof cause === 'string' ? redactText(cause) : redactValue(cause);
    const reason = isError(safeCause) ? safeCause.message : String(safeCause);
    super(
      redactText(`${method} ${redactUrl(url)} got no answer (${reason}).\nCheck that InvokeAI is running and that baseUrl is right, including any path prefix.`),
    );
    this.url = redactUrl(url);
    this.cause = safeCause;
  }
}

/** The server did not answer within the request's timeout. */
export class RequestTimeoutError extends Error {
  override readonly name = 'RequestTimeoutError';
  readonly url: string;
  constructor(
    readonly method: string,
    url: string,
    readonly timeoutMs: number,
  ) {
    super(
      `${method} ${redactUrl(url)} did not answer within ${timeoutMs} ms.\nThe server may be busy (a model load blocks it for a while): raise requestTimeoutMs or the request's timeoutMs.`,
    );
    this.url = redactUrl(url);
  }
}

/** The caller aborted the request through its `AbortSignal` (or unsubscribed). */
export class RequestAbortedError extends Error {
  override readonly name = 'RequestAbortedError';
  readonly url: string;
  constructor(
    readonly method: string,
    url: string,
  ) {
    super(`${method} ${redactUrl(url)} was aborted by the caller.`);
    this.url = redactUrl(url);
  }
}

/** A 2xx answer whose body does not have the expected shape; names the endpoint and each wrong path. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  constructor(
    /** `METHOD /path` of the request. */
    readonly endpoint: string,
    readonly issues: ReadonlyArray<PathIssue>,
  ) {
    // The first problem is on the first line too: that line is what logs and wrapping errors show.
    const first = issues.length === 0 ? '' : ` (${issues[0].path}: ${issues[0].message.split('\n')[0]}${issues.length > 1 ? `, and ${issues.length - 1} more` : ''})`;
    super(
      redactText(
        `The answer of ${endpoint} does not have the expected shape${first}:\n${formatPathIssues(issues)}\nThe server may be a different InvokeAI version than this library supports; report it with the server version.`,
      ),
    );
  }
}

/** What a byte limit was counting when an answer ran over it. */
export type ResponseLimitKind = 'json' | 'text' | 'bytes' | 'stream';

/** An answer ran over its byte limit (counted after decompression); reading stopped there and the request was aborted. */
export class ResponseTooLargeError extends Error {
  override readonly name = 'ResponseTooLargeError';
  readonly url: string;
  constructor(
    readonly method: string,
    url: string,
    /** The limit, in bytes. */
    readonly limitBytes: number,
    /** Which limit: `json` and `text` answers (`limits.jsonBytes`), `bytes` downloads (`limits.downloadBytes`), `stream` (a streamed download's own `maxBytes`). */
    readonly kind: ResponseLimitKind,
  ) {
    const setting = kind === 'bytes' ? 'limits.downloadBytes' : kind === 'stream' ? 'the maxBytes of the download' : 'limits.jsonBytes';
    super(
      redactText(
        `${method} ${redactUrl(url)} answered more than ${limitBytes} bytes (${kind === 'bytes' || kind === 'stream' ? 'a download' : 'a JSON or text answer'}, counted after decompression); reading stopped there.\n` +
          `If the server is trusted and the answer really is that large, raise ${setting} in createClient${kind === 'bytes' ? ', or stream it to disk with downloadTo / saveOutputs from invokeai-rx/node' : ''}.`,
      ),
    );
    this.url = redactUrl(url);
  }
}

/**
 * A path segment (an image or video name, an id) that is `.` or `..`: URL parsers (fetch, browsers)
 * resolve such a segment as a step up the path, so the request would reach another route. Nothing was sent.
 */
export class UnsafePathError extends Error {
  override readonly name = 'UnsafePathError';
  constructor(
    readonly method: string,
    /** The path as built, its segments encoded. */
    readonly path: string,
  ) {
    super(
      redactText(
        `${method} ${path} was not sent: one of its segments is "." or ".." (or their percent-encoded form), which every URL parser resolves as a step up the path, so the request would reach another route.\n` +
          'A record whose name or id is "." or ".." cannot be addressed over HTTP; check where the name came from.',
      ),
    );
  }
}
