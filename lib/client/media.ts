// What `images(client)` and `videos(client)` share. The server's image and video routes have the same
// form (`/api/v1/images/i/{name}/metadata`, `/api/v1/videos/i/{name}/metadata` ...), and their fields
// differ only by the word (`image_origin`, `video_origin`); what really differs stays in each module.
import * as t from 'io-ts';
import { Workflow } from '../workflow/workflow';
import type { LoadOptions } from '../workflow/types';
import { JsonObject, nullable } from '../protocol/dto';
import { DecodeError } from '../transport/errors';
import { HttpClient, MultipartPart, QueryValue, apiPath, bytesCodec } from '../transport/http';
import { DiagnosticSink, UnknownArray, decodeItems, notFoundAs, nullOn404 } from './resource';

/** The two kinds of gallery media; the word is the one of their routes and fields. */
export type MediaKind = 'image' | 'video';

/** Options of `downloadChunks`. */
export interface MediaStreamOptions {
  /** The thumbnail (WebP) instead of the full file. */
  readonly thumbnail?: boolean;
  /** The most bytes to take; more fails with `ResponseTooLargeError` (default: no limit). */
  readonly maxBytes?: number;
  /** Overrides the client's `requestTimeoutMs` for the whole download. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

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

/** The options of an upload that are the same for images and videos; `Category` is the words `category` takes. */
export interface MediaUploadOptions<Category extends string = string> {
  /** Default `user` (the GUI's Assets tab, as the GUI's own uploads). */
  readonly category?: Category;
  /** Default `false`: the record shows in the gallery. */
  readonly intermediate?: boolean;
  /** The board to add it to; omitted or `'none'` leaves it uncategorized (the server is never sent `"none"`). */
  readonly board?: string;
  /** Stored with the record (the server takes a JSON object). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly sessionId?: string;
  /** The file name sent in the multipart part (default `upload` plus an extension from the content: `.png`, `.mp4` ...). */
  readonly filename?: string;
  /** The content type to send; by default it is read from the bytes (images: PNG, JPEG, GIF, WebP, BMP, TIFF; videos: MP4/MOV, WebM). */
  readonly contentType?: string;
}

/**
 * The multipart parts of an upload: the file, then the metadata when there is some. The content type
 * is the caller's, else the one `sniff` reads from the bytes, else the Blob's; the file name's extension follows it.
 */
const uploadParts = async (
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

/** The filters of `list` and `names`, the same for images and videos; `Category` is the words `categories` takes. */
export interface MediaFilters<Category extends string = string> {
  /** A board id, or `'none'` for uncategorized records; omitted: every board. */
  readonly board?: string;
  readonly categories?: ReadonlyArray<Category>;
  readonly intermediate?: boolean;
  readonly origin?: 'internal' | 'external';
  /** By creation time; default `DESC` (newest first). */
  readonly order?: 'ASC' | 'DESC';
  /** Default `true` (the server's). */
  readonly starred_first?: boolean;
  readonly search?: string;
}

/** Filters and paging of `list`, as `ImageListOptions` and `VideoListOptions` are. */
export interface MediaListOptions<Category extends string = string> extends MediaFilters<Category> {
  /** Default 0. */
  readonly offset?: number;
  /** Default 10 (the server's); videos at most 1000. */
  readonly limit?: number;
}

/** A page of `list`, as `ImagePage` and `VideoPage` are. */
export interface MediaPage<DTO> {
  readonly limit: number;
  readonly offset: number;
  readonly total: number;
  readonly items: ReadonlyArray<DTO>;
}

/** What a record was made with, as `ImageWorkflow` and `VideoWorkflow` are: the workflow (decoded to a `Workflow` value) and the graph, each `null` when not stored. */
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

/** What sets one kind apart: its record, the answer of `GET /api/v1/{kind}s/names`, and how its uploads are typed. */
export interface MediaKindSpec<DTO, Names> {
  readonly dto: t.Decoder<unknown, DTO>;
  readonly names: t.Decoder<unknown, Names>;
  /** The content type of some bytes from their magic numbers, or `undefined`. */
  readonly sniff: (bytes: Uint8Array) => string | undefined;
  /** The file extension (without the dot) of each content type `sniff` answers. */
  readonly extensions: Readonly<Record<string, string>>;
}

/** The calls `images(client)` and `videos(client)` both have. Lookups (`get`) answer `null` for an unknown name; calls on a named record throw `NotFoundError`. */
export interface MediaResource<DTO, Names, Category extends string> {
  /** The record, or `null` when the server has no such record. */
  readonly get: (name: string) => Promise<DTO | null>;
  /** The full file or its thumbnail (WebP) as bytes, at most the client's `limits.downloadBytes` of them (else `ResponseTooLargeError`). Throws `NotFoundError`. */
  readonly download: (name: string, options?: { readonly thumbnail?: boolean }) => Promise<Uint8Array>;
  /**
   * The full file or its thumbnail, chunk by chunk: `write` takes each (and is awaited before the
   * next is read), so the file is never held whole. Answers the number of bytes. No byte limit
   * unless `maxBytes` is given. Throws `NotFoundError`; never retried once a chunk was written.
   */
  readonly downloadChunks: (name: string, write: (chunk: Uint8Array) => void | Promise<void>, options?: MediaStreamOptions) => Promise<number>;
  /** The metadata stored with the record, or `null`. Throws `NotFoundError`. */
  readonly metadata: (name: string) => Promise<JsonObject | null>;
  /** The workflow and graph the record was made with, decoded from the server's JSON strings. Throws `NotFoundError`, `DecodeError`, `WorkflowDecodeError`. */
  readonly workflow: (name: string, options?: LoadOptions) => Promise<MediaWorkflow>;
  /** One page of records, newest first by default; records that do not decode are left out and reported on `resourceDiagnostics$`. */
  readonly list: (options?: MediaListOptions<Category>) => Promise<MediaPage<DTO>>;
  /** The names of every record that matches, in the order of `list` (starred first, newest first by default); no paging. */
  readonly names: (options?: MediaFilters<Category>) => Promise<Names>;
}

/** The calls images and videos make alike, and the path of a named record. */
export interface MediaCalls<DTO, Names> extends MediaResource<DTO, Names, string> {
  /** `/api/v1/{kind}s/i/{name}`, each segment encoded. */
  readonly path: (name: string) => string;
  /** Uploads (POST, never retried) with the options both kinds take, plus the kind's own query fields and multipart parts. */
  readonly upload: (
    data: Blob | Uint8Array,
    options?: MediaUploadOptions,
    extra?: { readonly query?: Readonly<Record<string, QueryValue>>; readonly parts?: ReadonlyArray<MultipartPart> },
  ) => Promise<DTO>;
}

/** The calls of `kind` that images and videos make alike, on `http`; list records that do not decode are reported to `sink`. */
export const mediaCalls = <DTO, Names>(http: HttpClient, sink: DiagnosticSink, kind: MediaKind, spec: MediaKindSpec<DTO, Names>): MediaCalls<DTO, Names> => {
  const root = `/api/v1/${kind}s`;
  const path = (name: string) => `${root}${apiPath`/i/${name}`}`;
  const filePath = (name: string, thumbnail: boolean | undefined) => `${path(name)}/${thumbnail === true ? 'thumbnail' : 'full'}`;
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
    upload: async (data, options = {}, extra = {}) => {
      const parts = await uploadParts(data, options, spec.sniff, spec.extensions);
      return http.request({
        method: 'POST',
        path: `${root}/upload`,
        query: {
          [`${kind}_category`]: options.category ?? 'user',
          is_intermediate: options.intermediate ?? false,
          board_id: options.board === undefined || options.board === 'none' ? undefined : options.board,
          session_id: options.sessionId,
          ...extra.query,
        },
        body: { multipart: [...parts, ...(extra.parts ?? [])] },
        decode: spec.dto,
      });
    },
    get: (name) => http.request({ method: 'GET', path: path(name), decode: spec.dto }).catch(nullOn404),
    download: (name, options) =>
      http.request({ method: 'GET', path: filePath(name, options?.thumbnail), decode: bytesCodec, responseType: 'bytes' }).catch(notFoundAs(kind, name)),
    downloadChunks: (name, write, options = {}) =>
      http
        .request({
          method: 'GET',
          path: filePath(name, options.thumbnail),
          decode: t.number,
          responseType: 'stream',
          onChunk: write,
          ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
          ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
          ...(options.signal !== undefined ? { signal: options.signal } : {}),
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
      return { ...page, items: decodeItems(spec.dto, page.items, `GET ${listPath}`, sink.report) };
    },
    names: (options = {}) => http.request({ method: 'GET', path: `${root}/names`, query: filterQuery(options), decode: spec.names }),
  };
};
