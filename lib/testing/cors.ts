// Cross-origin rules of the simulated server, as InvokeAI applies them: Starlette's CORSMiddleware
// with InvokeAI's config (`allow_origins`, default none; `allow_credentials`, default true; every
// method and header allowed; `X-Refreshed-Token` exposed). With the defaults a browser page on
// another origin cannot call the server, exactly as with a stock InvokeAI.

/** `MockServerOptions.cors`: InvokeAI's `allow_origins` and `allow_credentials` settings. */
export interface CorsOptions {
  /** Origins allowed to call the REST API from a browser (`['*']` for any). Default: none. */
  readonly allowOrigins?: ReadonlyArray<string>;
  /** Whether credentials (the bearer header, the media cookie) may be sent cross-origin. Default true. */
  readonly allowCredentials?: boolean;
}

/** What the middleware answers a preflight with, or adds to an actual response. */
export interface CorsDecision {
  /** A preflight's own answer (the route is not reached). */
  readonly preflight?: { readonly status: 200 | 400; readonly body: string };
  readonly headers: Readonly<Record<string, string>>;
}

const ALL_METHODS = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';
const EXPOSED = 'X-Refreshed-Token';

/**
 * The CORS outcome of one request: `undefined` when it carries no `Origin` (not a browser's
 * cross-origin call), a preflight answer for `OPTIONS` with `Access-Control-Request-Method`, else
 * the headers to add to the route's response.
 */
export const corsDecision = (
  options: CorsOptions,
  request: { readonly method: string; readonly origin?: string; readonly requestMethod?: string; readonly requestHeaders?: string; readonly hasCookie: boolean },
): CorsDecision | undefined => {
  const origin = request.origin;
  if (origin === undefined) return undefined;
  const origins = options.allowOrigins ?? [];
  const credentials = options.allowCredentials ?? true;
  const anyOrigin = origins.includes('*');
  const allowed = anyOrigin || origins.includes(origin);

  if (request.method === 'OPTIONS' && request.requestMethod !== undefined) {
    const headers: Record<string, string> = {
      ...(anyOrigin && !credentials ? { 'Access-Control-Allow-Origin': '*' } : { Vary: 'Origin' }),
      'Access-Control-Allow-Methods': ALL_METHODS,
      'Access-Control-Max-Age': '600',
      ...(credentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
      // Every header is allowed: the requested ones are echoed back.
      ...(request.requestHeaders !== undefined ? { 'Access-Control-Allow-Headers': request.requestHeaders } : {}),
    };
    if (!allowed) return { preflight: { status: 400, body: 'Disallowed CORS origin' }, headers };
    if (!anyOrigin || credentials) headers['Access-Control-Allow-Origin'] = origin;
    return { preflight: { status: 200, body: 'OK' }, headers };
  }

  // An actual request: the exposed and credentials headers always; the origin only when allowed.
  const headers: Record<string, string> = {
    ...(anyOrigin ? { 'Access-Control-Allow-Origin': '*' } : {}),
    ...(credentials ? { 'Access-Control-Allow-Credentials': 'true' } : {}),
    'Access-Control-Expose-Headers': EXPOSED,
  };
  // With credentials a wildcard is not enough for a request that carries a cookie: echo the origin.
  if ((anyOrigin && request.hasCookie) || (!anyOrigin && allowed)) {
    headers['Access-Control-Allow-Origin'] = origin;
    headers['Vary'] = 'Origin';
  }
  return { headers };
};
