// `client.images`: upload, read, download, star, delete and list gallery images (API.md §4.2).
import * as t from 'io-ts';
import type { Workflow } from '../workflow/workflow';
import type { LoadOptions } from '../workflow/types';
import { JsonObject, nullable } from '../protocol/dto';
import type { ClientContext } from './client';
import { MEDIA_RECORD_PROPS, mediaCalls, startsWith, uploadParts } from './media';
import { DiagnosticSink, OpenString, UnknownArray, decodeItems, notFoundAs, toNames } from './resource';

/** The image categories of today's server; `user` uploads land in the GUI's Assets tab. */
export type ImageCategory = OpenString<'general' | 'mask' | 'control' | 'user' | 'other'>;

/** An image record (`ImageDTO`). `image_url`/`thumbnail_url` are the server's relative paths; `urls()` gives absolute ones. */
export const ImageDTO = t.intersection(
  [
    t.type({
      image_name: t.string,
      image_url: t.string,
      thumbnail_url: t.string,
      image_category: t.string,
      width: t.number,
      height: t.number,
    }),
    t.partial({
      image_origin: t.string,
      ...MEDIA_RECORD_PROPS,
      image_subfolder: t.string,
      board_id: nullable(t.string),
    }),
  ],
  'ImageDTO',
);
/** An image record (`ImageDTO`). */
export type ImageDTO = t.TypeOf<typeof ImageDTO>;

/** One page of `GET /api/v1/images/`. */
export interface ImagePage {
  readonly limit: number;
  readonly offset: number;
  readonly total: number;
  readonly items: ReadonlyArray<ImageDTO>;
}

/** `GET /api/v1/images/i/{name}/urls`. */
export const ImageUrls = t.type({ image_name: t.string, image_url: t.string, thumbnail_url: t.string }, 'ImageUrls');
/** An image's URLs. */
export type ImageUrls = t.TypeOf<typeof ImageUrls>;

/** The server's confirmation of a delete: what was deleted, and the boards that changed (`"none"` = uncategorized). */
export const DeleteImagesResult = t.intersection(
  [t.type({ deleted_images: t.array(t.string), affected_boards: t.array(t.string) }), t.partial({ failed_images: t.array(t.string) })],
  'DeleteImagesResult',
);
/** The server's confirmation of a delete. */
export type DeleteImagesResult = t.TypeOf<typeof DeleteImagesResult>;

const StarredResult = t.type({ starred_images: t.array(t.string), affected_boards: t.array(t.string) }, 'StarredImagesResult');
const UnstarredResult = t.type({ unstarred_images: t.array(t.string), affected_boards: t.array(t.string) }, 'UnstarredImagesResult');

/** Which images a star or unstar changed, and the boards they are on. */
export interface StarResult {
  readonly images: ReadonlyArray<string>;
  readonly affectedBoards: ReadonlyArray<string>;
}

/** What an image was made with: the workflow (decoded to a `Workflow` value) and the graph, each `null` when not stored. */
export interface ImageWorkflow {
  readonly workflow: Workflow | null;
  readonly graph: JsonObject | null;
}

/** Options of `images.upload`. */
export interface UploadOptions {
  /** Default `user` (the GUI's Assets tab, as the GUI's own uploads). */
  readonly category?: ImageCategory;
  /** Default `false`: the image shows in the gallery. */
  readonly intermediate?: boolean;
  /** The board to add it to; omitted or `'none'` leaves it uncategorized (the server is never sent `"none"`). */
  readonly board?: string;
  /** Stored with the image (the server takes a JSON object). */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** The server resizes the image to exactly this size (width × height at most 4096²). */
  readonly resize?: { readonly width: number; readonly height: number };
  readonly sessionId?: string;
  readonly cropVisible?: boolean;
  /** The file name sent in the multipart part (default `upload` plus an extension from the content). */
  readonly filename?: string;
  /** The content type to send; by default it is read from the bytes (PNG, JPEG, GIF, WebP, BMP, TIFF). */
  readonly contentType?: string;
}

/** Filters and paging of `images.list`. */
export interface ImageListOptions {
  /** A board id, or `'none'` for uncategorized images; omitted: every board. */
  readonly board?: string;
  readonly categories?: ReadonlyArray<ImageCategory>;
  readonly intermediate?: boolean;
  readonly origin?: 'internal' | 'external';
  /** Default 0. */
  readonly offset?: number;
  /** Default 10 (the server's). */
  readonly limit?: number;
  /** By creation time; default `DESC` (newest first). */
  readonly order?: 'ASC' | 'DESC';
  /** Default `true` (the server's). */
  readonly starred_first?: boolean;
  readonly search?: string;
}

/** Filters of `images.names`: those of `list`, without paging (every matching name is answered). */
export type ImageNamesOptions = Omit<ImageListOptions, 'offset' | 'limit'>;

/** `GET /api/v1/images/names`: the names of every matching image, in list order, and how many there are and are starred. */
export const ImageNames = t.type({ image_names: t.array(t.string), starred_count: t.number, total_count: t.number }, 'ImageNamesResult');
/** The names of every matching image, in list order, and how many there are and are starred. */
export type ImageNames = t.TypeOf<typeof ImageNames>;

/** `client.images`. Lookups (`get`) answer `null` for an unknown name; calls on a named image throw `NotFoundError`. */
export interface ImagesResource {
  /** Uploads an image (POST, never retried). 415 (`HttpError`) when the bytes are not an image. */
  readonly upload: (data: Blob | Uint8Array, options?: UploadOptions) => Promise<ImageDTO>;
  /** The image record, or `null` when the server has no such image. */
  readonly get: (name: string) => Promise<ImageDTO | null>;
  /** The full image (PNG) or its thumbnail (WebP) as bytes; no board needed. Throws `NotFoundError`. */
  readonly download: (name: string, options?: { readonly thumbnail?: boolean }) => Promise<Uint8Array>;
  /** Absolute URLs of the image and its thumbnail (multi-user servers want the token or media cookie on them). Throws `NotFoundError`. */
  readonly urls: (name: string) => Promise<ImageUrls>;
  /** The metadata stored with the image, or `null`. Throws `NotFoundError`. */
  readonly metadata: (name: string) => Promise<JsonObject | null>;
  /** The workflow and graph the image was made with, decoded from the server's JSON strings. Throws `NotFoundError`, `DecodeError`, `WorkflowDecodeError`. */
  readonly workflow: (name: string, options?: LoadOptions) => Promise<ImageWorkflow>;
  /** Deletes images; the answer names what was really deleted (unknown names are not an error). */
  readonly delete: (names: string | ReadonlyArray<string>) => Promise<DeleteImagesResult>;
  readonly star: (names: string | ReadonlyArray<string>) => Promise<StarResult>;
  readonly unstar: (names: string | ReadonlyArray<string>) => Promise<StarResult>;
  /** One page of images, newest first by default; records that do not decode are left out and reported on `resourceDiagnostics$`. */
  readonly list: (options?: ImageListOptions) => Promise<ImagePage>;
  /** The names of every image that matches, in the order of `list` (starred first, newest first by default); no paging. */
  readonly names: (options?: ImageNamesOptions) => Promise<ImageNames>;
  /** Image records by name, in the order asked; unknown names are left out, as are records that do not decode (reported on `resourceDiagnostics$`). */
  readonly getMany: (names: ReadonlyArray<string>) => Promise<ReadonlyArray<ImageDTO>>;
  /** How many intermediate images the server keeps (intermediate node outputs, hidden from the gallery). */
  readonly intermediatesCount: () => Promise<number>;
  /** Deletes every intermediate image; answers how many. */
  readonly clearIntermediates: () => Promise<number>;
}

/** The image type of some bytes from their magic numbers (`image/png` ...), or `undefined` when they are not a known image. */
export const sniffImageType = (bytes: Uint8Array): string | undefined => {
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'image/gif';
  if (startsWith(bytes, [0x52, 0x49, 0x46, 0x46]) && startsWith(bytes, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  if (startsWith(bytes, [0x42, 0x4d])) return 'image/bmp';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  return undefined;
};

const EXTENSIONS: Readonly<Record<string, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
};

/**
 * Builds `client.images`.
 *
 * @example
 * import { createClient } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const image = await client.images.upload(pngBytes, { board: boardId });
 * const bytes = await client.images.download(image.image_name);
 */
export const imagesResource = (context: ClientContext, sink: DiagnosticSink): ImagesResource => {
  const { http } = context;
  const media = mediaCalls(http, sink, 'image', { dto: ImageDTO, names: ImageNames });

  const upload: ImagesResource['upload'] = async (data, options = {}) => {
    const parts = await uploadParts(data, options, sniffImageType, EXTENSIONS);
    if (options.resize !== undefined) {
      // The server reads an object, whatever its OpenAPI text says about a tuple.
      parts.push({ name: 'resize_to', value: JSON.stringify({ width: options.resize.width, height: options.resize.height }) });
    }
    return http.request({
      method: 'POST',
      path: '/api/v1/images/upload',
      query: {
        image_category: options.category ?? 'user',
        is_intermediate: options.intermediate ?? false,
        board_id: options.board === undefined || options.board === 'none' ? undefined : options.board,
        session_id: options.sessionId,
        crop_visible: options.cropVisible,
      },
      body: { multipart: parts },
      decode: ImageDTO,
    });
  };

  const starRequest = async (starred: boolean, value: string | ReadonlyArray<string>): Promise<StarResult> => {
    const body = { json: { image_names: toNames(value) } };
    if (starred) {
      const r = await http.request({ method: 'POST', path: '/api/v1/images/star', body, decode: StarredResult });
      return { images: r.starred_images, affectedBoards: r.affected_boards };
    }
    const r = await http.request({ method: 'POST', path: '/api/v1/images/unstar', body, decode: UnstarredResult });
    return { images: r.unstarred_images, affectedBoards: r.affected_boards };
  };

  return {
    upload,
    get: media.get,
    download: media.download,
    urls: async (name) => {
      const urls = await http.request({ method: 'GET', path: `${media.path(name)}/urls`, decode: ImageUrls }).catch(notFoundAs('image', name));
      // The server's URLs are relative without a leading slash; resolve them under baseUrl (and its prefix).
      return { image_name: urls.image_name, image_url: http.url(urls.image_url), thumbnail_url: http.url(urls.thumbnail_url) };
    },
    metadata: media.metadata,
    workflow: media.workflow,
    delete: (value) =>
      http.request({ method: 'POST', path: '/api/v1/images/delete', body: { json: { image_names: toNames(value) } }, decode: DeleteImagesResult }),
    star: (value) => starRequest(true, value),
    unstar: (value) => starRequest(false, value),
    list: media.list,
    names: media.names,
    getMany: async (value) => {
      const path = '/api/v1/images/images_by_names';
      const raw = await http.request({ method: 'POST', path, body: { json: { image_names: value } }, decode: UnknownArray });
      return decodeItems(ImageDTO, raw, `POST ${path}`, sink.report);
    },
    intermediatesCount: () => http.request({ method: 'GET', path: '/api/v1/images/intermediates', decode: t.number }),
    // Repeating it deletes nothing more (what was intermediate is gone), so a lost answer may be asked again.
    clearIntermediates: () => http.request({ method: 'DELETE', path: '/api/v1/images/intermediates', decode: t.number, idempotent: true }),
  };
};
