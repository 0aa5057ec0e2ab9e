// `images(client)`: upload, read, download, star, delete and list gallery images.
import * as t from 'io-ts';
import { nullable } from '../protocol/dto';
import type { ClientContext } from '../transport/context';
import { MEDIA_RECORD_PROPS, MediaFilters, MediaListOptions, MediaPage, MediaResource, MediaUploadOptions, MediaWorkflow, mediaCalls, startsWith } from './media';
import { DiagnosticSink, OpenString, UnknownArray, decodeItems, notFoundAs, toNames, resourceAccessor } from './resource';

/** The image categories of today's server; `user` uploads land in the GUI's Assets tab. */
export type ImageCategory = OpenString<'general' | 'mask' | 'control' | 'user' | 'other'>;

/** An image record (`ImageDTO`). `image_url`/`thumbnail_url` are the server's relative paths; `urls()` gives absolute ones. */
export const ImageDTO = /*#__PURE__*/ t.intersection(
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
export type ImagePage = MediaPage<ImageDTO>;

/** `GET /api/v1/images/i/{name}/urls`. */
export const ImageUrls = /*#__PURE__*/ t.type({ image_name: t.string, image_url: t.string, thumbnail_url: t.string }, 'ImageUrls');
/** An image's URLs. */
export type ImageUrls = t.TypeOf<typeof ImageUrls>;

/** The server's confirmation of a delete: what was deleted, and the boards that changed (`"none"` = uncategorized). */
export const DeleteImagesResult = /*#__PURE__*/ t.intersection(
  [t.type({ deleted_images: t.array(t.string), affected_boards: t.array(t.string) }), t.partial({ failed_images: t.array(t.string) })],
  'DeleteImagesResult',
);
/** The server's confirmation of a delete. */
export type DeleteImagesResult = t.TypeOf<typeof DeleteImagesResult>;

const StarredResult = /*#__PURE__*/ t.type({ starred_images: t.array(t.string), affected_boards: t.array(t.string) }, 'StarredImagesResult');
const UnstarredResult = /*#__PURE__*/ t.type({ unstarred_images: t.array(t.string), affected_boards: t.array(t.string) }, 'UnstarredImagesResult');

/** Which images a star or unstar changed, and the boards they are on. */
export interface StarResult {
  readonly images: ReadonlyArray<string>;
  readonly affectedBoards: ReadonlyArray<string>;
}

/** What an image was made with: the workflow (decoded to a `Workflow` value) and the graph, each `null` when not stored. */
export type ImageWorkflow = MediaWorkflow;

/** Options of `images.upload`. */
export interface UploadOptions extends MediaUploadOptions<ImageCategory> {
  /** The server resizes the image to exactly this size (width × height at most 4096²). */
  readonly resize?: { readonly width: number; readonly height: number };
  readonly cropVisible?: boolean;
}

/** Filters and paging of `images.list`. */
export type ImageListOptions = MediaListOptions<ImageCategory>;

/** Filters of `images.names`: those of `list`, without paging (every matching name is answered). */
export type ImageNamesOptions = MediaFilters<ImageCategory>;

/** `GET /api/v1/images/names`: the names of every matching image, in list order, and how many there are and are starred. */
export const ImageNames = /*#__PURE__*/ t.type({ image_names: t.array(t.string), starred_count: t.number, total_count: t.number }, 'ImageNamesResult');
/** The names of every matching image, in list order, and how many there are and are starred. */
export type ImageNames = t.TypeOf<typeof ImageNames>;

/**
 * `images(client)`. Lookups (`get`) answer `null` for an unknown name; calls on a named image throw `NotFoundError`.
 *
 * @example
 * import { createClient, images, boards } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const [board] = await boards(client).findByName('renders');
 * const image = await images(client).upload(new Uint8Array(await (await fetch('https://example.com/cat.png')).arrayBuffer()), { board: board?.board_id });
 * const bytes = await images(client).download(image.image_name);
 */
export interface ImagesResource extends MediaResource<ImageDTO, ImageNames, ImageCategory> {
  /** Uploads an image (POST, never retried). 415 (`HttpError`) when the bytes are not an image. */
  readonly upload: (data: Blob | Uint8Array, options?: UploadOptions) => Promise<ImageDTO>;
  /** Absolute URLs of the image and its thumbnail (multi-user servers want the token or media cookie on them). Throws `NotFoundError`. */
  readonly urls: (name: string) => Promise<ImageUrls>;
  /** Deletes images; the answer names what was really deleted (unknown names are not an error). */
  readonly delete: (names: string | ReadonlyArray<string>) => Promise<DeleteImagesResult>;
  readonly star: (names: string | ReadonlyArray<string>) => Promise<StarResult>;
  readonly unstar: (names: string | ReadonlyArray<string>) => Promise<StarResult>;
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

/** Builds a client's images resource (for `images`). @internal */
export const imagesResource = (context: ClientContext, sink: DiagnosticSink): ImagesResource => {
  const { http } = context;
  const { path: imagePath, upload: mediaUpload, ...shared } = mediaCalls(http, sink, 'image', { dto: ImageDTO, names: ImageNames, sniff: sniffImageType, extensions: EXTENSIONS });

  const upload: ImagesResource['upload'] = (data, options = {}) =>
    mediaUpload(data, options, {
      query: { crop_visible: options.cropVisible },
      // The server reads an object, whatever its OpenAPI text says about a tuple.
      parts: options.resize === undefined ? [] : [{ name: 'resize_to', value: JSON.stringify({ width: options.resize.width, height: options.resize.height }) }],
    });

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
    // The calls images and videos share: get, download, metadata, workflow, list, names.
    ...shared,
    upload,
    urls: async (name) => {
      const urls = await http.request({ method: 'GET', path: `${imagePath(name)}/urls`, decode: ImageUrls }).catch(notFoundAs('image', name));
      // The server's URLs are relative without a leading slash; resolve them under baseUrl (and its prefix).
      return { image_name: urls.image_name, image_url: http.url(urls.image_url), thumbnail_url: http.url(urls.thumbnail_url) };
    },
    delete: (value) =>
      http.request({ method: 'POST', path: '/api/v1/images/delete', body: { json: { image_names: toNames(value) } }, decode: DeleteImagesResult }),
    star: (value) => starRequest(true, value),
    unstar: (value) => starRequest(false, value),
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

/**
 * The images of a client's server: `await images(client).upload(bytes)`.
 *
 * @example
 * ```ts
 * import { createClient, images } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const page = await images(client).list({ board: 'none', limit: 20 });
 * ```
 */
export const images = /*#__PURE__*/ resourceAccessor('images', imagesResource);
