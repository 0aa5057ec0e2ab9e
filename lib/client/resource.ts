// What the server-resource modules share: how a resource is reached from a client (an accessor per
// resource, so that an app bundles only those it imports), a typed not-found error, `null` for
// lookups that miss, and list decoding item by item, so that one odd record from a newer server
// never hides the others.
import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { Observable, Subject } from 'rxjs';
import { PathIssue, toPathIssues } from '../protocol/issues';
import type { ClientContext } from '../transport/context';
import { HttpError } from '../transport/errors';
import { Logger } from '../transport/http';

/** The kinds of server records the resource modules address by id or name. */
export type ResourceKind = 'image' | 'video' | 'board' | 'model' | 'queue item' | 'workflow';

/**
 * A 404 for a named record (an image, board, model, queue item or workflow). It is an `HttpError`
 * with status 404, so code that checks `instanceof HttpError` keeps working.
 */
export class NotFoundError extends HttpError {
  override readonly name: string = 'NotFoundError';
  constructor(
    readonly resource: ResourceKind,
    readonly id: string,
    cause: HttpError,
  ) {
    super(
      404,
      cause.method,
      cause.url,
      cause.detail,
      `The server has no ${resource} "${id}" (${cause.method} ${cause.url} gave HTTP 404).\n` +
        `Check the ${resource === 'queue item' ? 'item id and the client\'s queueId' : `${resource} id or name`}; it may have been deleted, or belong to another server.`,
    );
  }
}

/** A list record that did not decode and was left out of the answer. */
export interface ResourceDiagnostic {
  readonly type: 'undecodable_item';
  /** `METHOD /path` of the request. */
  readonly endpoint: string;
  /** The record's position in the server's list. */
  readonly index: number;
  readonly issues: ReadonlyArray<PathIssue>;
  /** The record as the server sent it. */
  readonly item: unknown;
}

/** Where resource modules report what they set aside; `diagnostics$` is hot and never completes. */
export interface DiagnosticSink {
  readonly diagnostics$: Observable<ResourceDiagnostic>;
  readonly report: (diagnostic: ResourceDiagnostic) => void;
}

/** A sink that also logs each diagnostic as a warning. */
export const diagnosticSink = (logger?: Logger): DiagnosticSink => {
  const subject = new Subject<ResourceDiagnostic>();
  return {
    diagnostics$: subject.asObservable(),
    report: (diagnostic) => {
      logger?.warn?.(`${diagnostic.endpoint}: record #${diagnostic.index} left out (it does not decode)`, {
        issues: diagnostic.issues,
      });
      subject.next(diagnostic);
    },
  };
};

/** What a resource accessor takes: a client, or anything that carries a client's transport. */
export interface ResourceHost {
  readonly context: ClientContext;
}

const sinks = /*#__PURE__*/ new WeakMap<ClientContext, DiagnosticSink>();

/** The one diagnostic sink of a client's resources (`client.resourceDiagnostics$`), made on first use. */
export const diagnosticsOf = (context: ClientContext): DiagnosticSink => {
  let sink = sinks.get(context);
  if (sink === undefined) {
    sink = diagnosticSink(context.options.logger);
    sinks.set(context, sink);
  }
  return sink;
};

/**
 * Makes the accessor of one server resource (`images`, `queue` ...): `images(client)` builds the
 * client's images resource on first use and returns that one ever after. Each accessor is an
 * import of its own, so an app's bundle holds the resources it uses and no other. A host that
 * carries a resource of that name itself (a test's stand-in client: `{ context, queue }`) gets its own.
 */
export const resourceAccessor = <R>(name: string, build: (context: ClientContext, sink: DiagnosticSink) => R): ((client: ResourceHost) => R) => {
  const built = new WeakMap<ClientContext, R>();
  return (client) => {
    const own = (client as unknown as Readonly<Record<string, R | undefined>>)[name];
    if (own !== undefined) return own;
    let resource = built.get(client.context);
    if (resource === undefined) {
      resource = build(client.context, diagnosticsOf(client.context));
      built.set(client.context, resource);
    }
    return resource;
  };
};

/**
 * Decodes an array item by item: records that do not fit are reported and left out, the others kept.
 * Anything that is not an array is a whole-answer failure (the caller's codec reports it).
 */
export const decodeItems = <A>(
  codec: t.Decoder<unknown, A>,
  raw: ReadonlyArray<unknown>,
  endpoint: string,
  report: (diagnostic: ResourceDiagnostic) => void,
): A[] =>
  raw.flatMap((item, index) => {
    const decoded = codec.decode(item);
    if (isLeft(decoded)) {
      report({ type: 'undecodable_item', endpoint, index, issues: toPathIssues(decoded.left), item });
      return [];
    }
    return [decoded.right];
  });

/** An array whose items stay unchecked (for `decodeItems`). */
export const UnknownArray = t.UnknownArray;

/** Turns a 404 into `NotFoundError`; other failures pass through. */
export const notFoundAs = (resource: ResourceKind, id: string | number) => (error: unknown): never => {
  if (error instanceof HttpError && error.status === 404) throw new NotFoundError(resource, String(id), error);
  throw error;
};

/** One name or many, as a list (the server's batch bodies take a list). */
export const toNames = (value: string | ReadonlyArray<string>): ReadonlyArray<string> => (typeof value === 'string' ? [value] : value);

/** Turns a 404 into `null`, for lookups whose documented answer to "no such record" is `null`. */
export const nullOn404 = (error: unknown): null => {
  if (error instanceof HttpError && error.status === 404) return null;
  throw error;
};

/** A string type that names the values today's server sends (for editor completion) and still admits any other. */
export type OpenString<Known extends string> = Known | (string & { readonly __open?: never });
