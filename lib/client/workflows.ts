// `workflows(client)`: the server's workflow library: `/api/v1/workflows/`, records under
// `/i/{id}`, a paginated list, and bodies wrapped as `{ workflow }`.
import * as t from 'io-ts';
import { JsonObject, nullable } from '../protocol/dto';
import { Workflow } from '../workflow/workflow';
import type { LoadOptions } from '../workflow/types';
import type { ClientContext } from '../transport/context';
import { apiPath } from '../transport/http';
import { DiagnosticSink, UnknownArray, decodeItems, notFoundAs, nullOn404, resourceAccessor } from './resource';

const recordFields = {
  created_at: t.string,
  updated_at: t.string,
  opened_at: nullable(t.string),
  user_id: t.string,
  is_public: t.boolean,
  thumbnail_url: nullable(t.string),
  call_saved_workflow_compatibility: nullable(JsonObject),
};

/** A library record with its workflow (`WorkflowRecordWithThumbnailDTO`); `workflow` is the raw JSON. */
export const WorkflowRecord = /*#__PURE__*/ t.intersection(
  [t.type({ workflow_id: t.string, name: t.string, workflow: JsonObject }), t.partial(recordFields)],
  'WorkflowRecord',
);
/** A library record with its raw workflow JSON. */
export type WorkflowRecord = t.TypeOf<typeof WorkflowRecord>;

/** One entry of the library's list (no workflow body). */
export const WorkflowListItem = /*#__PURE__*/ t.intersection(
  [
    t.type({ workflow_id: t.string, name: t.string }),
    t.partial({ ...recordFields, description: t.string, category: t.string, tags: t.string }),
  ],
  'WorkflowListItem',
);
/** One entry of the library's list. */
export type WorkflowListItem = t.TypeOf<typeof WorkflowListItem>;

/** One page of the library's list; `page` counts from 0. */
export interface WorkflowPage {
  readonly page: number;
  readonly pages: number;
  readonly per_page: number;
  readonly total: number;
  readonly items: ReadonlyArray<WorkflowListItem>;
}

const WorkflowPageBody = /*#__PURE__*/ t.type({ page: t.number, pages: t.number, per_page: t.number, total: t.number, items: UnknownArray }, 'WorkflowPage');

/** Filters and paging of `workflows.list`. */
export interface WorkflowListQuery {
  /** From 0 (default 0). */
  readonly page?: number;
  /** Default: every workflow on one page. */
  readonly perPage?: number;
  /** Default `name`. */
  readonly orderBy?: 'created_at' | 'updated_at' | 'opened_at' | 'name' | 'is_public';
  /** Default `ASC`. */
  readonly direction?: 'ASC' | 'DESC';
  /** `user` (saved by users) and/or `default` (shipped with InvokeAI). */
  readonly categories?: ReadonlyArray<'user' | 'default'>;
  readonly tags?: ReadonlyArray<string>;
  /** Text searched in names and descriptions. */
  readonly query?: string;
  readonly hasBeenOpened?: boolean;
  readonly isPublic?: boolean;
}

/**
 * `workflows(client)`. `get` and `record` answer `null` for an unknown id; `update` and `delete` throw `NotFoundError`.
 *
 * @example
 * import { createClient, workflows } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const page = await workflows(client).list({ categories: ['user'], query: 'portrait' });
 * const wf = page.items[0] && (await workflows(client).get(page.items[0].workflow_id));
 */
export interface WorkflowsResource {
  /** One page of the library; entries that do not decode are left out and reported on `diagnostics$`. */
  readonly list: (query?: WorkflowListQuery) => Promise<WorkflowPage>;
  /** The stored workflow as a `Workflow` value (typed with `options.templates`), or `null`. Throws `WorkflowDecodeError` when it does not load. */
  readonly get: (id: string, options?: LoadOptions) => Promise<Workflow | null>;
  /** The library record (name, owner, dates) with the raw workflow JSON, or `null`. */
  readonly record: (id: string) => Promise<WorkflowRecord | null>;
  /** Saves the workflow as a new library entry (its own id, if any, is not sent); answers the record with the new id. */
  readonly create: (wf: Workflow) => Promise<WorkflowRecord>;
  /** Replaces the stored workflow of an entry. */
  readonly update: (id: string, wf: Workflow) => Promise<WorkflowRecord>;
  readonly delete: (id: string) => Promise<void>;
}

/** Builds a client's workflows resource (for `workflows`). @internal */
export const workflowsResource = (context: ClientContext, sink: DiagnosticSink): WorkflowsResource => {
  const { http } = context;
  const recordPath = (id: string) => apiPath`/api/v1/workflows/i/${id}`;
  const record: WorkflowsResource['record'] = (id) =>
    http.request({ method: 'GET', path: recordPath(id), decode: WorkflowRecord }).catch(nullOn404);
  return {
    list: async (query = {}) => {
      const path = '/api/v1/workflows/';
      const body = await http.request({
        method: 'GET',
        path,
        query: {
          page: query.page,
          per_page: query.perPage,
          order_by: query.orderBy,
          direction: query.direction,
          categories: query.categories,
          tags: query.tags,
          query: query.query,
          has_been_opened: query.hasBeenOpened,
          is_public: query.isPublic,
        },
        decode: WorkflowPageBody,
      });
      return { ...body, items: decodeItems(WorkflowListItem, body.items, `GET ${path}`, sink.report) };
    },
    get: async (id, options) => {
      const found = await record(id);
      return found === null ? null : Workflow.fromObject(found.workflow, options);
    },
    record,
    create: (wf) => {
      // The library makes the id; a workflow loaded from it would otherwise carry the old one.
      const { id: _id, ...workflow } = Workflow.toObject(wf);
      return http.request({ method: 'POST', path: '/api/v1/workflows/', body: { json: { workflow } }, decode: WorkflowRecord });
    },
    update: (id, wf) =>
      http
        .request({
          method: 'PATCH',
          path: recordPath(id),
          body: { json: { workflow: { ...Workflow.toObject(wf), id } } },
          decode: WorkflowRecord,
          idempotent: true,
        })
        .catch(notFoundAs('workflow', id)),
    delete: async (id) => {
      await http.request({ method: 'DELETE', path: recordPath(id), decode: t.unknown, idempotent: true }).catch(notFoundAs('workflow', id));
    },
  };
};

/**
 * The workflow library of a client's server: `await workflows(client).list()`.
 *
 * @example
 * ```ts
 * import { createClient, workflows } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const page = await workflows(client).list({ categories: ['user'] });
 * ```
 */
export const workflows = /*#__PURE__*/ resourceAccessor('workflows', workflowsResource);
