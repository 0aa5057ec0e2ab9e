// `app(client)`: the server's version, a health check built on it, and the auth mode.
import * as t from 'io-ts';
import type { ClientContext } from '../transport/context';
import { resourceAccessor } from './resource';

/** `GET /api/v1/app/version`. */
export const AppVersion = /*#__PURE__*/ t.type({ version: t.string }, 'AppVersion');
/** `GET /api/v1/app/version`. */
export type AppVersion = t.TypeOf<typeof AppVersion>;

/** `GET /api/v1/auth/status`: whether the server runs in multi-user mode and needs setting up. */
export const AuthStatus = /*#__PURE__*/ t.intersection(
  [
    t.type({ multiuser_enabled: t.boolean }),
    t.partial({ setup_required: t.boolean, strict_password_checking: t.boolean, admin_email: t.union([t.string, t.null]) }),
  ],
  'AuthStatus',
);
/** `GET /api/v1/auth/status`. */
export type AuthStatus = t.TypeOf<typeof AuthStatus>;

/** The answer of `health()`: never a thrown error, so it fits a readiness probe. */
export type Health =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly error: Error };

/** Options of `health()`. */
export interface HealthOptions {
  /** Per-attempt timeout (default: the client's `requestTimeoutMs`). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * `app(client)`.
 *
 * @example
 * import { createClient, app } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const health = await app(client).health();
 * if (!health.ok) console.error(health.error.message);
 */
export interface AppResource {
  /** The InvokeAI version, e.g. `6.14.0-alpha` (public route: no token needed). */
  readonly version: () => Promise<string>;
  /**
   * Whether the server answers: InvokeAI has no `/health` route, so this reads the version. It never
   * throws; a failure is `{ ok: false, error }` with the typed error of the request.
   */
  readonly health: (options?: HealthOptions) => Promise<Health>;
  /** The auth mode (public route): `multiuser_enabled` says whether a token is needed. */
  readonly authStatus: () => Promise<AuthStatus>;
}

const VERSION_PATH = '/api/v1/app/version';

/** Builds a client's app resource (for `app`). @internal */
export const appResource = (context: ClientContext): AppResource => {
  const version = async (options?: HealthOptions): Promise<string> =>
    (
      await context.http.request({
        method: 'GET',
        path: VERSION_PATH,
        decode: AppVersion,
        timeoutMs: options?.timeoutMs,
        signal: options?.signal,
      })
    ).version;
  return {
    version: () => version(),
    health: (options) =>
      version(options).then(
        (v): Health => ({ ok: true, version: v }),
        (error: unknown): Health => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }),
      ),
    authStatus: () => context.http.request({ method: 'GET', path: '/api/v1/auth/status', decode: AuthStatus }),
  };
};

/**
 * The server as an application (its version, health and auth status): `await app(client).version()`.
 *
 * @example
 * ```ts
 * import { createClient, app } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const version = await app(client).version();
 * ```
 */
export const app = /*#__PURE__*/ resourceAccessor('app', appResource);
