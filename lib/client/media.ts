// What `client.images` and `client.videos` share. The server's image and video routes have the same
// form (`/api/v1/images/i/{name}/metadata`, `/api/v1/videos/i/{name}/metadata` ...), and their fields
// differ only by the word (`image_origin`, `video_origin`); what really differs stays in each module.
import * as t from 'io-ts';
import { Workflow } from '../workflow/workflow';
import type { LoadOptions } from '../workflow/types';
import { JsonObject, nullable } from '../protocol/dto';
import { DecodeError } from './errors';
import { HttpClient, MultipartPart, apiPath, bytesCodec } from './http';
import { DiagnosticSink, UnknownArray, decodeItems, notFoundAs, nullOn404 } from './resource';

/** The two kinds of gallery media; the word is the one of their routes and fields. */
export type MediaKind = 'image' | 'video';

/** The record fields images and videos both have, from `created_at` to `has_workflow` (the server's order). */
export const MEDIA_RECORD_PROPS = {
  created_at: t.string,
  updated_at: t.string,
  deleted_at: nullable(t.string),
  is_intermediate: t.boolean,
  session_id: nullable(t.string),
  node_id: nullable(t.string),
  starred: t.boolean,
  has_workflow: t.boolean,
};

/** The most names one `VideoNamesBatch` body may carry (its `maxItems` in InvokeAI's schema; more is a 422). */
export const NAMES_BATCH_MAX = 1000;

/** `names` cut in runs of at most `size`, in order; no names is one empty run, so the server still gives its answer. */
export const nameBatches = (names: ReadonlyArray<string>, size: number = NAMES_BATCH_MAX): ReadonlyArray<ReadonlyArray<string>> => {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`nameBatches: size must be a positive integer, got ${size}`);
  if (names.length === 0) return [[]];
  const batches: ReadonlyArray<string>[] = [];
  for (let start = 0; start < names.length; start += size) batches.push(names.slice(start, start + size));
  return batches;
};

/**
 * Sends `names` in batches of at most `NAMES_BATCH_MAX`, one request after another (in order, so the
 * server sees them as it would one list), and answers each batch's answer, in order. A failed request
 * throws and sends no later batch; what the earlier batches did stays done.
 */
export const sendInBatches = async <R>(names: ReadonlyArray<string>, send: (batch: ReadonlyArray<string>) => Promise<R>): Promise<ReadonlyArray<R>> => {
  const answers: R[] = [];
  for (const batch of nameBatches(names)) answers.push(await send(batch));
  return answers;
};

/** The names of every list, in order, each once (for merging the answers of several batches). */
export const uniqueNames = (lists: ReadonlyArray<ReadonlyArray<string>>): string[] => [...new Set(lists.flat())];

/** Whether `bytes` has `prefix` at offset `at` (for reading magic numbers). */
export const startsWith = (bytes: Uint8Array, prefix: ReadonlyArray<number>, at = 0): boolean =>
  bytes.length >= at + prefix.length && prefix.every((b, i) => bytes[at + i] === b);

const toBytes = async (data: Blob | Uint8Array): Promise<Uint8Array> => (data instanceof Uint8Array ? data : new Uint8Array(await data.arrayBuffer()));

/** The options of an upload that are the same for images and videos. */
export interface MediaUploadOptions {
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly filename?: string;
  readonly contentType?: string;
}

/**
 * The multipart parts of an upload: the file, then the metadata when there is some. The content type
 * is the caller's, else the one `sniff` reads from the bytes, else the Blob's; the file name's extension follows it.
 */
export const uploadParts = async (
  data: Blob | Uint8Array,
  options: MediaUploadOptions,
  sniff: (bytes: Uint8Array) => string | undefined,
  extensions: Readonly<Record<string, string>>,
): Promise<MultipartPart[]> => {
  const bytes = await toBytes(data);
  const blobType = typeof Blob !== 'undefined' && data instanceof Blob && data.type !== '' ? data.type : undefined;
  // A type the bytes do not prove is sent as octet-stream, so the server answers 415 instead of storing garbage.
  const contentType = options.contentType ?? sniff(bytes) ?? blobType ?? 'application/octet-stream';
  const filename = options.filename ?? `upload.${extensions[contentType] ?? 'bin'}`;
  const parts: MultipartPart[] = [{ name: 'file', filename, contentType, data: bytes }];
  if (options.metadata !== undefined) parts.push({ name: 'metadata', value: JSON.stringify(options.metadata) });
  return parts;
};

/** The filters of `list` and `names`, the same for images and videos. */
export interface MediaFilters {
  readonly board?: string;
  readonly categories?: ReadonlyArray<string>;
  readonly intermediate?: boolean;
  readonly origin?: 'internal' | 'external';
  readonly order?: 'ASC' | 'DESC';
  readonly starred_first?: boolean;
  readonly search?: string;
}

/** A page of `list`, as `ImagePage` and `VideoPage` are. */
export interface MediaPage<DTO> {
  readonly limit: number;
  readonly offset: number;
  readonly total: number;
  readonly items: ReadonlyArray<DTO>;
}

/** What a record was made with, as `ImageWorkflow` and `VideoWorkflow` are. */
export interface MediaWorkflow {
  readonly workflow: Workflow | null;
  readonly graph: JsonObject | null;
}

const parseJsonString = (text: string, endpoint: string, field: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new DecodeError(endpoint, [{ path: `$.${field}`, message: `expected a JSON string, got text that does not parse (${(error as Error).message})` }]);
  }
};

/** The codecs that set one kind apart: its record and the answer of `GET /api/v1/{kind}s/names`. */
export interface MediaCodecs<DTO, Names> {
  readonly dto: t.Decoder<unknown, DTO>;
  readonly names: t.Decoder<unknown, Names>;
}

/** The calls images and videos make alike: `get` answers `null` for an unknown name, the calls on a named record throw `NotFoundError`. */
export interface MediaCalls<DTO, Names> {
  /** `/api/v1/{kind}s/i/{name}`, each segment encoded. */
  readonly path: (name: string) => string;
  readonly get: (name: string) => Promise<DTO | null>;
  readonly download: (name: string, options?: { readonly thumbnail?: boolean }) => Promise<Uint8Array>;
  readonly metadata: (name: string) => Promise<JsonObject | null>;
  readonly workflow: (name: string, options?: LoadOptions) => Promise<MediaWorkflow>;
  readonly list: (options?: MediaFilters & { readonly offset?: number; readonly limit?: number }) => Promise<MediaPage<DTO>>;
  readonly names: (options?: MediaFilters) => Promise<Names>;
}

/** The calls of `kind` that images and videos make alike, on `http`; list records that do not decode are reported to `sink`. */
export const mediaCalls = <DTO, Names>(http: HttpClient, sink: DiagnosticSink, kind: MediaKind, codecs: MediaCodecs<DTO, Names>): MediaCalls<DTO, Names> => {
  const root = `/api/v1/${kind}s`;
  const path = (name: string) => `${root}${apiPath`/i/${name}`}`;
  const title = kind === 'image' ? 'Image' : 'Video';
  const PageBody = t.type({ limit: t.number, offset: t.number, total: t.number, items: UnknownArray }, `${title}Page`);
  const WorkflowBody = t.type({ workflow: nullable(t.string), graph: nullable(t.string) }, `${title}Workflow`);

  // The filters `list` and `names` share, as the server's query parameters.
  const filterQuery = (options: MediaFilters) => ({
    board_id: options.board,
    categories: options.categories,
    is_intermediate: options.intermediate,
    [`${kind}_origin`]: options.origin,
    order_dir: options.order,
    starred_first: options.starred_first,
    search_term: options.search,
  });

  return {
    path,
    get: (name) => http.request({ method: 'GET', path: path(name), decode: codecs.dto }).catch(nullOn404),
    download: (name, options) =>
      http
        .request({
          method: 'GET',
          path: `${path(name)}/${options?.thumbnail === true ? 'thumbnail' : 'full'}`,
          decode: bytesCodec,
          responseType: 'bytes',
        })
        .catch(notFoundAs(kind, name)),
    metadata: (name) => http.request({ method: 'GET', path: `${path(name)}/metadata`, decode: nullable(JsonObject) }).catch(notFoundAs(kind, name)),
    workflow: async (name, options) => {
      const workflowPath = `${path(name)}/workflow`;
      const body = await http.request({ method: 'GET', path: workflowPath, decode: WorkflowBody }).catch(notFoundAs(kind, name));
      const endpoint = `GET ${workflowPath}`;
      const graph = body.graph === null ? null : parseJsonString(body.graph, endpoint, 'graph');
      if (graph !== null && !JsonObject.is(graph)) throw new DecodeError(endpoint, [{ path: '$.graph', message: 'expected the JSON of a graph object' }]);
      const workflow = body.workflow === null ? null : Workflow.fromObject(parseJsonString(body.workflow, endpoint, 'workflow'), options);
      return { workflow, graph };
    },
    list: async (options = {}) => {
      const listPath = `${root}/`;
      const page = await http.request({ method: 'GET', path: listPath, query: { ...filterQuery(options), offset: options.offset, limit: options.limit }, decode: PageBody });
      return { ...page, items: decodeItems(codecs.dto, page.items, `GET ${listPath}`, sink.report) };
    },
    names: (options = {}) => http.request({ method: 'GET', path: `${root}/names`, query: filterQuery(options), decode: codecs.names }),
  };
};
