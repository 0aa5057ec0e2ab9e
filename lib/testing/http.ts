// The simulator's HTTP vocabulary: the reply a route gives, what a route is handed, FastAPI's error
// answers, and the router that matches a method and a path to a route (path parameters in braces).
import type * as http from 'http';
import type { UserDTO } from './auth';
import type { ValidationIssue } from './validate';

/** An HTTP response to send. */
export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: { readonly bytes: Buffer; readonly contentType: string };
  readonly headers?: Readonly<Record<string, string>>;
}

/** The user single-user mode acts as: an admin, as InvokeAI's own `system` user. */
export type SystemUser = { readonly user_id: string; readonly is_admin: boolean; readonly email: string };

/** Who made a request: a signed-in user (multi-user mode) or the system user. */
export type RequestUser = UserDTO | SystemUser;

/** What a route handler receives. */
export interface RouteContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly req: http.IncomingMessage;
  readonly user: RequestUser;
  body(): Promise<unknown>;
  rawBody(): Promise<Buffer>;
}

/** A route's handler. */
export type Handler = (ctx: RouteContext) => Reply | Promise<Reply>;

/** A route: its method, its path pattern and the names of its parameters. */
export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly keys: ReadonlyArray<string>;
  readonly handler: Handler;
  /** Answered without a token in multi-user mode. */
  readonly public?: boolean;
}

/** An error that turns into an HTTP status with FastAPI's `{detail}` body. */
export class RouteError extends Error {
  constructor(readonly status: number, readonly detail: unknown) {
    super(typeof detail === 'string' ? detail : 'HTTP error');
    this.name = 'RouteError';
  }
}

/** The user of single-user mode. */
export const SYSTEM_USER: SystemUser = { user_id: 'system', is_admin: true, email: 'system@system.invokeai' };

/** A JSON reply. */
export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers });

/** Ends the route with a 404. */
export const notFound = (detail = 'Not Found'): never => {
  throw new RouteError(404, detail);
};

/** FastAPI's 422 with these validation issues. */
export const unprocessable = (issues: ReadonlyArray<ValidationIssue>): Reply => json(422, { detail: issues });

/** The values of an `order_dir` query parameter. */
export const ORDER_DIRS = ['ASC', 'DESC'];

/** A boolean query parameter as FastAPI reads one; `undefined` when absent. */
export const queryBool = (v: string | null): boolean | undefined => (v === null ? undefined : ['true', '1', 'yes', 'on'].includes(v.toLowerCase()));

/** The routes of the server, in the order they were added (the first match wins). */
export interface Router {
  readonly routes: ReadonlyArray<Route>;
  /** Adds a route; `{name}` in the template matches one path segment, handed over as `params.name`. */
  readonly route: (method: string, template: string, handler: Handler, isPublic?: boolean) => void;
}

/** An empty router. */
export const createRouter = (): Router => {
  const routes: Route[] = [];
  const route = (method: string, template: string, handler: Handler, isPublic = false): void => {
    const keys: string[] = [];
    const pattern = new RegExp(
      `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, k: string) => {
        keys.push(k);
        return '([^/]+)';
      })}$`,
    );
    routes.push({ method, pattern, keys, handler, public: isPublic });
  };
  return { routes, route };
};
