// The one redaction rule of the library: what every error message, error cause and log line goes
// through before anyone can read it. It removes credentials in URLs (`user:pass@`), the values of
// token-like query parameters and JSON fields, `Bearer`/`Basic` credentials (an echoed
// `Authorization` header), JSON Web Tokens, and any secret the caller names (the client's tokens).

/** A log line writer, as the client's `Logger` has (declared here so that this module stands below the HTTP client). */
type LogWrite = (message: string, context?: Readonly<Record<string, unknown>>) => void;

/** What `redactingLogger` wraps: the client's `Logger`. */
export interface LoggerLike {
  debug?(message: string, context?: Readonly<Record<string, unknown>>): void;
  warn?(message: string, context?: Readonly<Record<string, unknown>>): void;
}

/** What a redacted secret is replaced with. */
export const REDACTED = 'REDACTED';

// Secrets shorter than this are not searched for: replacing a two-letter "token" everywhere would
// mangle every message, and a secret that short protects nothing anyway.
const MIN_SECRET_LENGTH = 4;

// `scheme://userinfo@`: the userinfo runs to the last `@` before the path, query, fragment or a space.
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]*@/gi;
// Names that hold a secret, in a query parameter or a JSON field (`access_token`, `api_key`, `password` ...).
const SECRET_WORDS = 'token|passw|pwd|secret|authori[sz]ation|api_?key|access_?key|private_?key|credential|signature';
const QUERY_SECRET = /*#__PURE__*/ new RegExp(`([?&;][^=&#\\s]*(?:${SECRET_WORDS})[^=&#\\s]*=)[^&#;\\s"'<>]*`, 'gi');
const JSON_SECRET = /*#__PURE__*/ new RegExp(`("[^"\\\\]*(?:${SECRET_WORDS})[^"\\\\]*"\\s*:\\s*")(?:[^"\\\\]|\\\\.)*"`, 'gi');
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)[A-Za-z0-9\-._~+/]+=*/gi;
const JWT = /\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;

/** True for an Error of any realm (an `instanceof Error` check misses errors made by Node's internals under a test runner's or a page's other realm). */
export const isError = (value: unknown): value is Error => value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Applies the redaction rule to a text: credentials in URLs, token-like query parameters and JSON
 * fields, `Bearer`/`Basic` credentials, JSON Web Tokens, and each of `secrets` (exact values).
 *
 * @example
 * import { redactText } from 'invokeai-rx';
 * redactText('GET http://me:hunter2@host/x?token=abc failed'); // 'GET http://host/x?token=REDACTED failed'
 */
export const redactText = (text: string, secrets: ReadonlyArray<string> = []): string => {
  let out = text
    .replace(URL_CREDENTIALS, '$1')
    .replace(QUERY_SECRET, `$1${REDACTED}`)
    .replace(JSON_SECRET, `$1${REDACTED}"`)
    .replace(AUTH_SCHEME, `$1$2${REDACTED}`)
    .replace(JWT, REDACTED);
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH && out.includes(secret)) out = out.replace(new RegExp(escapeRegExp(secret), 'g'), REDACTED);
  }
  return out;
};

/** A URL without its credentials and with token-like query values replaced (for messages and logs). */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return redactText(parsed.toString());
  } catch {
    return redactText(url);
  }
};

/** A value read from a server (an error `detail`), with the rule applied to every string in it. */
export const redactValue = (value: unknown, secrets: ReadonlyArray<string> = []): unknown => {
  if (typeof value === 'string') return redactText(value, secrets);
  if (typeof value !== 'object' || value === null) return value;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return '(a value that is not JSON data)';
  }
  if (text === undefined) return value;
  const redacted = redactText(text, secrets);
  if (redacted === text) return value;
  try {
    return JSON.parse(redacted) as unknown;
  } catch {
    return redacted;
  }
};

// How far down a chain of causes redaction goes; deeper causes are cut off.
const MAX_CAUSE_DEPTH = 4;

/**
 * Applies the rule, in place, to an error we own and to the chain of its causes: message, stack,
 * every own string field (node-fetch and undici put the URL in fields such as `message` and `input`)
 * and the strings in its own data fields (an `HttpError`'s `detail`).
 * A cause that is no `Error` is replaced by its redacted text. Answers the same error.
 */
export const redactError = <E>(error: E, secrets: ReadonlyArray<string> = [], depth = 0): E => {
  if (!isError(error)) return error;
  const fields = error as unknown as Record<string, unknown>;
  for (const key of Object.getOwnPropertyNames(error)) {
    const value = fields[key];
    try {
      if (typeof value === 'string') fields[key] = redactText(value, secrets);
      else if (key !== 'cause' && typeof value === 'object' && value !== null && !isError(value)) fields[key] = redactValue(value, secrets);
      else if (key === 'cause' && value !== undefined) {
        fields[key] =
          depth >= MAX_CAUSE_DEPTH
            ? undefined
            : isError(value)
              ? redactError(value, secrets, depth + 1)
              : typeof value === 'object' && value !== null
                ? redactValue(value, secrets)
                : typeof value === 'string'
                  ? redactText(value, secrets)
                  : value;
      }
    } catch {
      // A read-only field stays as it is; the message and stack of our own errors are writable.
    }
  }
  return error;
};

// Marks a logger that redacts already, so that layers which each make sure of it do the work once.
const REDACTING = /*#__PURE__*/ Symbol('invokeai-rx.redactingLogger');

/** A logger whose every message and context pass through the rule first (undefined stays undefined; a redacting logger is returned as it is). */
export const redactingLogger = <L extends LoggerLike>(logger: L | undefined, secrets: () => ReadonlyArray<string> = () => []): L | undefined => {
  if (logger === undefined || (logger as { [REDACTING]?: true })[REDACTING]) return logger;
  const wrap =
    (write: LogWrite | undefined) =>
    (message: string, context?: Readonly<Record<string, unknown>>): void => {
      if (write === undefined) return;
      const known = secrets();
      write.call(logger, redactText(message, known), context === undefined ? undefined : redactContext(context, known));
    };
  return { debug: logger.debug ? wrap(logger.debug) : undefined, warn: logger.warn ? wrap(logger.warn) : undefined, [REDACTING]: true } as unknown as L;
};

const redactContext = (context: Readonly<Record<string, unknown>>, secrets: ReadonlyArray<string>): Readonly<Record<string, unknown>> => {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    out[key] = isError(value) ? redactError(value, secrets) : redactValue(value, secrets);
  }
  return out;
};
