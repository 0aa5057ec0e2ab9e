// `videos(client)`: read, download, star, move, delete, list and upload gallery videos (the
// `/api/v1/videos/*` routes; Wan 2.2 workflows make them). Mirrors `images(client)`.
import * as t from 'io-ts';
import { nullable } from '../protocol/dto';
import type { ClientContext } from '../transport/context';
import type { ImageCategory } from './images';
import { MEDIA_RECORD_PROPS, MediaFilters, MediaListOptions, MediaPage, MediaResource, MediaUploadOptions, MediaWorkflow, mediaCalls, sendInBatches, startsWith, uniqueNames } from './media';
import { DiagnosticSink, notFoundAs, toNames, resourceAccessor } from './resource';

/** A video record (`VideoDTO`). `video_url`/`thumbnail_url` are the server's relative paths; `urls()` gives absolute ones. */
export const VideoDTO = /*#__PURE__*/ t.intersection(
  [
    t.type({
      video_name: t.string,
      video_url: t.string,
      thumbnail_url: t.string,
      video_category: t.string,
      width: t.number,
      height: t.number,
      duration: t.number,
    }),
    t.partial({
      video_origin: t.string,
      fps: nullable(t.number),
      ...MEDIA_RECORD_PROPS,
      video_subfolder: t.string,
      board_id: nullable(t.string),
    }),
  ],
  'VideoDTO',
);
/** A video record (`VideoDTO`). */
export type VideoDTO = t.TypeOf<typeof VideoDTO>;

/** One page of `GET /api/v1/videos/`. */
export type VideoPage = MediaPage<VideoDTO>;

/** `GET /api/v1/videos/i/{name}/urls`. */
export const VideoUrls = /*#__PURE__*/ t.type({ video_name: t.string, video_url: t.string, thumbnail_url: t.string }, 'VideoUrls');
/** A video's URLs. */
export type VideoUrls = t.TypeOf<typeof VideoUrls>;

/** What a delete really deleted, what it could not, and the boards that changed (`"none"` = uncategorized). */
export const DeleteVideosResult = /*#__PURE__*/ t.type(
  { deleted_videos: t.array(t.string), affected_boards: t.array(t.string), failed_videos: t.array(t.string) },
  'DeleteVideosResult',
);
/** What a delete really deleted, what it could not, and the boards that changed. */
export type DeleteVideosResult = t.TypeOf<typeof DeleteVideosResult>;

const StarredVideosResult = /*#__PURE__*/ t.type({ starred_videos: t.array(t.string), affected_boards: t.array(t.string), failed_videos: t.array(t.string) }, 'StarredVideosResult');
const UnstarredVideosResult = /*#__PURE__*/ t.type({ unstarred_videos: t.array(t.string), affected_boards: t.array(t.string), failed_videos: t.array(t.string) }, 'UnstarredVideosResult');

/** Which videos a star or unstar changed, which it could not (unknown, or another user's), and the boards they are on. */
export interface VideoStarResult {
  readonly videos: ReadonlyArray<string>;
  readonly failed: ReadonlyArray<string>;
  readonly affectedBoards: ReadonlyArray<string>;
}

const AddVideosToBoardResult = /*#__PURE__*/ t.type({ added_videos: t.array(t.string), affected_boards: t.array(t.string) }, 'AddVideosToBoardResult');
const RemoveVideosFromBoardResult = /*#__PURE__*/ t.type({ removed_videos: t.array(t.string), affected_boards: t.array(t.string) }, 'RemoveVideosFromBoardResult');

/** Which videos were moved onto the board (unknown names are left out), and the boards that changed. */
export interface AddVideosResult {
  readonly added_videos: ReadonlyArray<string>;
  readonly affected_boards: ReadonlyArray<string>;
}

/** Which videos were taken off their boards, and the boards that changed. */
export interface RemoveVideosResult {
  readonly removed_videos: ReadonlyArray<string>;
  readonly affected_boards: ReadonlyArray<string>;
}

/** What a video was made with: the workflow (decoded to a `Workflow` value) and the graph, each `null` when not stored. */
export type VideoWorkflow = MediaWorkflow;

/** What `videos.update` may change (`VideoRecordChanges`). */
export interface VideoChanges {
  readonly category?: ImageCategory;
  readonly intermediate?: boolean;
  readonly starred?: boolean;
  readonly sessionId?: string;
}

/** Options of `videos.upload` (the file name's default extension is `.mp4`, `.mov` or `.webm`). */
export type VideoUploadOptions = MediaUploadOptions<ImageCategory>;

/** Filters and paging of `videos.list`. */
export type VideoListOptions = MediaListOptions<ImageCategory>;

/** Filters of `videos.names`: those of `list`, without paging. */
export type VideoNamesOptions = MediaFilters<ImageCategory>;

/** `GET /api/v1/videos/names`: the names of every matching video, in list order, and how many there are and are starred. */
export const VideoNames = /*#__PURE__*/ t.type({ video_names: t.array(t.string), starred_count: t.number, total_count: t.number }, 'VideoNamesResult');
/** The names of every matching video, in list order, and how many there are and are starred. */
export type VideoNames = t.TypeOf<typeof VideoNames>;

/**
 * `videos(client)`. Lookups (`get`) answer `null` for an unknown name; calls on a named video throw `NotFoundError`.
 *
 * @example
 * import { createClient, videos } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const result = await client.submit(wf); // a workflow that saves a video
 * const [video] = result.items[0].outputs[0].videos;
 * const mp4 = await videos(client).download(video.videoName);
 */
export interface VideosResource extends MediaResource<VideoDTO, VideoNames, ImageCategory> {
  /** Uploads a video (POST, never retried). 415 (`HttpError`) when the bytes are not a video the server reads. */
  readonly upload: (data: Blob | Uint8Array, options?: VideoUploadOptions) => Promise<VideoDTO>;
  /** Absolute URLs of the video and its thumbnail. Throws `NotFoundError`. */
  readonly urls: (name: string) => Promise<VideoUrls>;
  /** Applies `VideoRecordChanges` and answers the new record. Throws `NotFoundError`; 422 (`HttpError` with `issues`) for a bad category. */
  readonly update: (name: string, changes: VideoChanges) => Promise<VideoDTO>;
  /**
   * Deletes videos; the answer names what was deleted and what was not (unknown names are not an error).
   * More than 1000 names (the server's limit per request) are sent in batches of 1000, one after
   * another, and the answers merged; if a batch fails, the earlier batches' deletions stand.
   */
  readonly delete: (names: string | ReadonlyArray<string>) => Promise<DeleteVideosResult>;
  /** Deletes every uncategorized video (the caller's own in multi-user mode; all for an admin). */
  readonly deleteUncategorized: () => Promise<DeleteVideosResult>;
  /** Stars videos; unknown names (and, multi-user, others' videos) come back in `failed`. Batched by 1000 as `delete`. */
  readonly star: (names: string | ReadonlyArray<string>) => Promise<VideoStarResult>;
  /** Unstars videos; unknown names (and, multi-user, others' videos) come back in `failed`. Batched by 1000 as `delete`. */
  readonly unstar: (names: string | ReadonlyArray<string>) => Promise<VideoStarResult>;
  /**
   * Moves videos onto a board (from whatever board they were on), like `boards.addImages`; `'none'`
   * makes them uncategorized. One request per video (the server takes one). Throws `NotFoundError` for an unknown board.
   */
  readonly addToBoard: (boardId: string, videoNames: string | ReadonlyArray<string>) => Promise<AddVideosResult>;
  /** Takes videos off their boards (they become uncategorized), like `boards.removeImages`. One request per video. */
  readonly removeFromBoard: (videoNames: string | ReadonlyArray<string>) => Promise<RemoveVideosResult>;
}

/** The video type of some bytes from their magic numbers (`video/mp4`, `video/quicktime`, `video/webm`), or `undefined`. */
export const sniffVideoType = (bytes: Uint8Array): string | undefined => {
  // ISO-BMFF: a box size, then `ftyp`, then the major brand (`qt  ` is QuickTime)
  if (startsWith(bytes, [0x66, 0x74, 0x79, 0x70], 4)) return startsWith(bytes, [0x71, 0x74, 0x20, 0x20], 8) ? 'video/quicktime' : 'video/mp4';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  return undefined;
};

const EXTENSIONS: Readonly<Record<string, string>> = { 'video/mp4': 'mp4', 'video/quicktime': 'mov', 'video/webm': 'webm' };

/** Sends one request per video (the board routes take one) and gathers the videos they name and the boards they changed. */
const perVideo = async (
  value: string | ReadonlyArray<string>,
  request: (name: string) => Promise<{ readonly videos: ReadonlyArray<string>; readonly affectedBoards: ReadonlyArray<string> }>,
): Promise<{ readonly videos: ReadonlyArray<string>; readonly affectedBoards: ReadonlyArray<string> }> => {
  const videos: string[] = [];
  const affected = new Set<string>();
  for (const name of toNames(value)) {
    const r = await request(name);
    videos.push(...r.videos);
    r.affectedBoards.forEach((b) => affected.add(b));
  }
  return { videos, affectedBoards: [...affected] };
};

/** Builds a client's videos resource (for `videos`). @internal */
export const videosResource = (context: ClientContext, sink: DiagnosticSink): VideosResource => {
  const { http } = context;
  const { path: videoPath, upload: mediaUpload, ...shared } = mediaCalls(http, sink, 'video', { dto: VideoDTO, names: VideoNames, sniff: sniffVideoType, extensions: EXTENSIONS });

  const starBatch = async (starred: boolean, names: ReadonlyArray<string>): Promise<VideoStarResult> => {
    const body = { json: { video_names: names } };
    if (starred) {
      const r = await http.request({ method: 'POST', path: '/api/v1/videos/star', body, decode: StarredVideosResult });
      return { videos: r.starred_videos, failed: r.failed_videos, affectedBoards: r.affected_boards };
    }
    const r = await http.request({ method: 'POST', path: '/api/v1/videos/unstar', body, decode: UnstarredVideosResult });
    return { videos: r.unstarred_videos, failed: r.failed_videos, affectedBoards: r.affected_boards };
  };

  // `VideoNamesBatch` takes at most 1000 names: longer lists go in batches, whose answers are merged.
  const starRequest = async (starred: boolean, value: string | ReadonlyArray<string>): Promise<VideoStarResult> => {
    const answers = await sendInBatches(toNames(value), (batch) => starBatch(starred, batch));
    return {
      videos: uniqueNames(answers.map((a) => a.videos)),
      failed: uniqueNames(answers.map((a) => a.failed)),
      affectedBoards: uniqueNames(answers.map((a) => a.affectedBoards)),
    };
  };

  const deleteVideos: VideosResource['delete'] = async (value) => {
    const answers = await sendInBatches(toNames(value), (batch) =>
      http.request({ method: 'POST', path: '/api/v1/videos/delete', body: { json: { video_names: batch } }, decode: DeleteVideosResult }),
    );
    return {
      deleted_videos: uniqueNames(answers.map((a) => a.deleted_videos)),
      affected_boards: uniqueNames(answers.map((a) => a.affected_boards)),
      failed_videos: uniqueNames(answers.map((a) => a.failed_videos)),
    };
  };

  const removeFromBoard: VideosResource['removeFromBoard'] = async (value) => {
    const r = await perVideo(value, async (name) => {
      const removed = await http.request({
        method: 'DELETE',
        path: '/api/v1/videos/board',
        body: { json: { video_name: name } },
        decode: RemoveVideosFromBoardResult,
        // taking a video off its board twice leaves it uncategorized all the same
        idempotent: true,
      });
      return { videos: removed.removed_videos, affectedBoards: removed.affected_boards };
    });
    return { removed_videos: r.videos, affected_boards: r.affectedBoards };
  };

  const addToBoard: VideosResource['addToBoard'] = async (boardId, value) => {
    if (boardId === 'none') {
      // "Adding" to uncategorized is taking the videos off their boards; the server has no board "none".
      const r = await removeFromBoard(value);
      return { added_videos: r.removed_videos, affected_boards: r.affected_boards };
    }
    const r = await perVideo(value, async (name) => {
      const added = await http
        .request({ method: 'POST', path: '/api/v1/videos/board', body: { json: { board_id: boardId, video_name: name } }, decode: AddVideosToBoardResult })
        .catch(notFoundAs('board', boardId));
      return { videos: added.added_videos, affectedBoards: added.affected_boards };
    });
    return { added_videos: r.videos, affected_boards: r.affectedBoards };
  };

  return {
    // The calls images and videos share: get, download, metadata, workflow, list, names.
    ...shared,
    upload: mediaUpload,
    urls: async (name) => {
      const urls = await http.request({ method: 'GET', path: `${videoPath(name)}/urls`, decode: VideoUrls }).catch(notFoundAs('video', name));
      // The server's URLs are relative without a leading slash; resolve them under baseUrl (and its prefix).
      return { video_name: urls.video_name, video_url: http.url(urls.video_url), thumbnail_url: http.url(urls.thumbnail_url) };
    },
    update: (name, changes) =>
      http
        .request({
          method: 'PATCH',
          path: videoPath(name),
          // JSON leaves out the fields that are undefined: only the changes given are sent.
          body: {
            json: { video_category: changes.category, is_intermediate: changes.intermediate, starred: changes.starred, session_id: changes.sessionId },
          },
          decode: VideoDTO,
          // The same changes applied twice leave the same record.
          idempotent: true,
        })
        .catch(notFoundAs('video', name)),
    delete: deleteVideos,
    // Repeating it deletes nothing more (what was uncategorized is gone), so a lost answer may be asked again.
    deleteUncategorized: () => http.request({ method: 'DELETE', path: '/api/v1/videos/uncategorized', decode: DeleteVideosResult, idempotent: true }),
    star: (value) => starRequest(true, value),
    unstar: (value) => starRequest(false, value),
    addToBoard,
    removeFromBoard,
  };
};

/**
 * The videos of a client's server: `await videos(client).list()`.
 *
 * @example
 * ```ts
 * import { createClient, videos } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const page = await videos(client).list({ limit: 20 });
 * ```
 */
export const videos = /*#__PURE__*/ resourceAccessor('videos', videosResource);
