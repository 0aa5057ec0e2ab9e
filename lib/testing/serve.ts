// Serving one HTTP request as InvokeAI's middleware stack would: CORS first (preflights answered,
// every answer decorated), the base path, injected request failures, routing (FastAPI's trailing
// slash redirect, 405 for a known path), static files, the bearer token (or the media cookie for
// media bytes) in multi-user mode, the route, the refreshed token, and GZip of large JSON and text.
import { promises as fsPromises } from 'fs';
import * as http from 'http';
import * as nodePath from 'path';
import * as zlib from 'zlib';
import type { AuthStore } from './auth';
import { CorsOptions, corsDecision } from './cors';
import type { FaultState } from './faults';
import { Reply, RouteContext, RouteError, Route, SYSTEM_USER, json, type RequestUser } from './http';

/** One HTTP request as the server saw it. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path without the base path, without the query. */
  readonly path: string;
  readonly status: number;
  /** `Date.now()` when the request arrived. */
  readonly time: number;
}

const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** A file of the static folder for a request path, or `undefined`; paths that leave the folder are refused. */
const staticFile = async (dir: string, urlPath: string): Promise<{ bytes: Buffer; contentType: string } | undefined> => {
  const root = nodePath.resolve(dir);
  const wanted = nodePath.resolve(root, `.${decodeURIComponent(urlPath.endsWith('/') ? `${urlPath}index.html` : urlPath)}`);
  if (wanted !== root && !wanted.startsWith(`${root}${nodePath.sep}`)) return undefined;
  try {
    const bytes = await fsPromises.readFile(wanted);
    return { bytes, contentType: STATIC_TYPES[nodePath.extname(wanted).toLowerCase()] ?? 'application/octet-stream' };
  } catch {
    return undefined;
  }
};

/** What serving a request needs. */
export interface ServeOptions {
  readonly basePath: string;
  readonly routes: ReadonlyArray<Route>;
  readonly auth: AuthStore | undefined;
  readonly faultState: FaultState;
  readonly requestLog: RequestLogEntry[];
  readonly cors?: CorsOptions;
  readonly staticDir?: string;
}

/** The request handler of the simulator's HTTP server, and how it sends a reply. */
export const createServe = (options: ServeOptions) => {
  const { basePath, routes, auth, faultState, requestLog } = options;
  const readBody = (req: http.IncomingMessage): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
  const GZIP_MIN_BYTES = 1000;
  const send = (res: http.ServerResponse, reply: Reply, method: string): void => {
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    let payload: Buffer;
    if (reply.raw) {
      headers['Content-Type'] = reply.raw.contentType;
      payload = reply.raw.bytes;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = Buffer.from(JSON.stringify(reply.body === undefined ? null : reply.body));
    }
    // InvokeAI's GZipMiddleware(minimum_size=1000): JSON and text answers of 1000 bytes or more are
    // gzipped for a client that accepts it (fetch in Node and browsers does, and unpacks them).
    const accepts = String(res.req?.headers['accept-encoding'] ?? '');
    if (payload.length >= GZIP_MIN_BYTES && /\bgzip\b/.test(accepts) && /^(application\/json|text\/)/.test(headers['Content-Type'])) {
      payload = zlib.gzipSync(payload, { level: 9 });
      headers['Content-Encoding'] = 'gzip';
      // CORS may already vary the answer by Origin (set on `res` before the route ran): keep both.
      const varies = [res.getHeader('Vary'), headers['Vary']].filter((v): v is string => typeof v === 'string');
      headers['Vary'] = [...varies, 'Accept-Encoding'].join(', ');
    }
    headers['Content-Length'] = String(payload.length);
    res.writeHead(reply.status, headers);
    res.end(method === 'HEAD' ? undefined : payload);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const time = Date.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://sim');
    let path = url.pathname;
    const log = (status: number): void => void requestLog.push({ method, path, status, time });
    // The CORS middleware wraps the whole app: it answers preflights itself and decorates every answer.
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const cors = corsDecision(options.cors ?? {}, {
      method,
      origin: header('origin'),
      requestMethod: header('access-control-request-method'),
      requestHeaders: header('access-control-request-headers'),
      hasCookie: header('cookie') !== undefined,
    });
    for (const [name, value] of Object.entries(cors?.headers ?? {})) res.setHeader(name, value);
    if (cors?.preflight !== undefined) {
      log(cors.preflight.status);
      send(res, { status: cors.preflight.status, raw: { contentType: 'text/plain; charset=utf-8', bytes: Buffer.from(cors.preflight.body) } }, method);
      return;
    }
    if (basePath) {
      if (path !== basePath && !path.startsWith(`${basePath}/`)) {
        log(404);
        send(res, json(404, { detail: 'Not Found' }), method);
        return;
      }
      path = path.slice(basePath.length) || '/';
    }
    const injected = faultState.takeRequestFailure(method, path);
    if (injected) {
      log(injected.status);
      send(res, json(injected.status, injected.body ?? { detail: `Injected failure (${injected.status})` }), method);
      return;
    }
    let matched: { route: Route; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1] ?? '')));
      matched = { route: r, params };
      break;
    }
    if (!matched && !pathMatched) {
      // FastAPI's redirect_slashes: the same path with or without a trailing slash gets a 307
      const alt = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
      if (routes.some((r) => r.method === method && r.pattern.test(alt))) {
        log(307);
        send(res, { status: 307, body: null, headers: { Location: `${basePath}${alt}${url.search}` } }, method);
        return;
      }
    }
    if (!matched && !pathMatched && options.staticDir !== undefined && (method === 'GET' || method === 'HEAD')) {
      const file = await staticFile(options.staticDir, path);
      if (file) {
        log(200);
        send(res, { status: 200, raw: file }, method);
        return;
      }
    }
    if (!matched) {
      const status = pathMatched ? 405 : 404;
      log(status);
      send(res, json(status, { detail: pathMatched ? 'Method Not Allowed' : 'Not Found' }), method);
      return;
    }
    let user: RequestUser = SYSTEM_USER;
    let token: string | undefined;
    if (auth && !matched.route.public) {
      const header = req.headers.authorization;
      token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : undefined;
      if (!token && /\/(images|videos)\/i\/[^/]+\/(full|thumbnail)$/.test(path)) {
        token = /(?:^|;\s*)invokeai_media_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      }
      const u = auth.userFor(token);
      if (!u) {
        const reply = json(401, { detail: token ? 'Invalid or expired token' : 'Authentication required' }, { 'WWW-Authenticate': 'Bearer' });
        log(401);
        send(res, reply, method);
        return;
      }
      user = u;
    }
    let bodyBuf: Promise<Buffer> | undefined;
    const rawBody = (): Promise<Buffer> => (bodyBuf ??= readBody(req));
    const ctx: RouteContext = {
      method,
      path,
      params: matched.params,
      query: url.searchParams,
      req,
      user,
      rawBody,
      body: async () => {
        const buf = await rawBody();
        if (buf.length === 0) return undefined;
        try {
          return JSON.parse(buf.toString('utf8')) as unknown;
        } catch {
          throw new RouteError(422, [{ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } }]);
        }
      },
    };
    let reply: Reply;
    try {
      reply = await matched.route.handler(ctx);
    } catch (err) {
      reply = err instanceof RouteError ? json(err.status, { detail: err.detail }) : json(500, { detail: err instanceof Error ? err.message : String(err) });
    }
    if (auth && token && reply.status < 400 && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && !/\/auth\/(login|logout|media-cookie)$/.test(path)) {
      const refreshed = auth.refresh(token);
      if (refreshed !== undefined) reply = { ...reply, headers: { ...(reply.headers ?? {}), 'X-Refreshed-Token': refreshed } };
    }
    log(reply.status);
    if (!res.writableEnded) send(res, reply, method);
  };

  return { handle, send };
};
