// `boards(client)`: boards and which images they hold. The uncategorized "board" is
// `'none'`: it has no record, but its image names can be listed and images moved out of boards.
import * as t from 'io-ts';
import { nullable } from '../protocol/dto';
import type { ClientContext } from '../transport/context';
import { apiPath } from '../transport/http';
import { DiagnosticSink, OpenString, UnknownArray, decodeItems, notFoundAs, nullOn404, toNames, resourceAccessor } from './resource';
import type { ImageCategory } from './images';

/** The id that names the uncategorized images in board calls. */
export const UNCATEGORIZED = 'none';

/** Who can see a board in multi-user mode. */
export type BoardVisibility = OpenString<'private' | 'shared' | 'public'>;

/** A board record (`BoardDTO`). */
export const BoardDTO = /*#__PURE__*/ t.intersection(
  [
    t.type({ board_id: t.string, board_name: t.string }),
    t.partial({
      user_id: t.string,
      created_at: t.string,
      updated_at: t.string,
      deleted_at: nullable(t.string),
      cover_image_name: nullable(t.string),
      archived: t.boolean,
      board_visibility: t.string,
      cover_video_name: nullable(t.string),
      image_count: t.number,
      video_count: t.number,
      asset_count: t.number,
      owner_username: nullable(t.string),
    }),
  ],
  'BoardDTO',
);
/** A board record (`BoardDTO`). */
export type BoardDTO = t.TypeOf<typeof BoardDTO>;

/** What `boards.delete` removed; without `includeImages` the board's images become uncategorized. */
export const DeleteBoardResult = /*#__PURE__*/ t.intersection(
  [
    t.type({ board_id: t.string, deleted_board_images: t.array(t.string), deleted_images: t.array(t.string) }),
    t.partial({
      deleted_board_videos: t.array(t.string),
      deleted_videos: t.array(t.string),
      failed_images: t.array(t.string),
      failed_videos: t.array(t.string),
    }),
  ],
  'DeleteBoardResult',
);
/** What `boards.delete` removed. */
export type DeleteBoardResult = t.TypeOf<typeof DeleteBoardResult>;

/** `POST /api/v1/board_images/batch`. */
export const AddImagesResult = /*#__PURE__*/ t.type({ added_images: t.array(t.string), affected_boards: t.array(t.string) }, 'AddImagesToBoardResult');
/** Which images were added, and the boards that changed (`"none"` = uncategorized). */
export type AddImagesResult = t.TypeOf<typeof AddImagesResult>;

/** `POST /api/v1/board_images/batch/delete`. */
export const RemoveImagesResult = /*#__PURE__*/ t.type({ removed_images: t.array(t.string), affected_boards: t.array(t.string) }, 'RemoveImagesFromBoardResult');
/** Which images were taken off their boards, and the boards that changed. */
export type RemoveImagesResult = t.TypeOf<typeof RemoveImagesResult>;

/** Options of `boards.list`. */
export interface BoardListOptions {
  /** Also list archived boards (default `false`, as the server). */
  readonly archived?: boolean;
  /** Default `created_at`. */
  readonly orderBy?: 'created_at' | 'board_name';
  /** Default `DESC` (the server's). */
  readonly direction?: 'ASC' | 'DESC';
}

/** What `boards.update` may change. */
export interface BoardChanges {
  readonly name?: string;
  readonly coverImageName?: string;
  readonly archived?: boolean;
  readonly visibility?: BoardVisibility;
}

/**
 * `boards(client)`. `get` answers `null` for an unknown id; calls on a named board throw `NotFoundError`.
 *
 * @example
 * import { createClient, boards } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const [board] = await boards(client).findByName('renders');
 * const id = board?.board_id ?? (await boards(client).create('renders')).board_id;
 */
export interface BoardsResource {
  /** Every board (one `all=true` request; the bare listing the server refuses with 400 is never sent). */
  readonly list: (options?: BoardListOptions) => Promise<ReadonlyArray<BoardDTO>>;
  /** The board, or `null` (also for `'none'`, which has no record). */
  readonly get: (id: string) => Promise<BoardDTO | null>;
  readonly create: (name: string) => Promise<BoardDTO>;
  readonly update: (id: string, changes: BoardChanges) => Promise<BoardDTO>;
  /** Deletes the board; its images are deleted with `includeImages`, else they become uncategorized. */
  readonly delete: (id: string, options?: { readonly includeImages?: boolean }) => Promise<DeleteBoardResult>;
  /** The names of the board's images (`'none'`: uncategorized ones). */
  readonly imageNames: (
    id: string,
    options?: { readonly categories?: ReadonlyArray<ImageCategory>; readonly intermediate?: boolean },
  ) => Promise<ReadonlyArray<string>>;
  /** Moves images onto the board (from whatever board they were on); `'none'` makes them uncategorized. */
  readonly addImages: (id: string, imageNames: string | ReadonlyArray<string>) => Promise<AddImagesResult>;
  /** Takes images off their boards (they become uncategorized). */
  readonly removeImages: (imageNames: string | ReadonlyArray<string>) => Promise<RemoveImagesResult>;
  /** Every board with exactly this name, archived ones included (names are not unique). */
  readonly findByName: (name: string) => Promise<ReadonlyArray<BoardDTO>>;
}

const BoardListBody = /*#__PURE__*/ t.union([UnknownArray, t.type({ items: UnknownArray })]);

/** Builds a client's boards resource (for `boards`). @internal */
export const boardsResource = (context: ClientContext, sink: DiagnosticSink): BoardsResource => {
  const { http } = context;
  const board = (id: string) => apiPath`/api/v1/boards/${id}`;

  const list: BoardsResource['list'] = async (options = {}) => {
    const path = '/api/v1/boards/';
    const body = await http.request({
      method: 'GET',
      path,
      query: {
        all: true,
        include_archived: options.archived ?? false,
        order_by: options.orderBy,
        direction: options.direction,
      },
      decode: BoardListBody,
    });
    // `all=true` answers a bare list; a paged shape is read too, in case a server answers with one.
    return decodeItems(BoardDTO, Array.isArray(body) ? body : body.items, `GET ${path}`, sink.report);
  };

  const removeImages: BoardsResource['removeImages'] = (imageNames) =>
    http.request({
      method: 'POST',
      path: '/api/v1/board_images/batch/delete',
      body: { json: { image_names: toNames(imageNames) } },
      decode: RemoveImagesResult,
    });

  return {
    list,
    get: (id) => http.request({ method: 'GET', path: board(id), decode: BoardDTO }).catch(nullOn404),
    create: (name) => http.request({ method: 'POST', path: '/api/v1/boards/', query: { board_name: name }, decode: BoardDTO }),
    update: (id, changes) =>
      http
        .request({
          method: 'PATCH',
          path: board(id),
          // JSON leaves out the fields that are undefined: only the changes given are sent.
          body: {
            json: { board_name: changes.name, cover_image_name: changes.coverImageName, archived: changes.archived, board_visibility: changes.visibility },
          },
          decode: BoardDTO,
          // The same changes applied twice leave the same board.
          idempotent: true,
        })
        .catch(notFoundAs('board', id)),
    delete: (id, options) =>
      http
        .request({
          method: 'DELETE',
          path: board(id),
          query: { include_images: options?.includeImages ?? false },
          decode: DeleteBoardResult,
          idempotent: true,
        })
        .catch(notFoundAs('board', id)),
    imageNames: (id, options) =>
      http
        .request({
          method: 'GET',
          path: `${board(id)}/image_names`,
          query: { categories: options?.categories, is_intermediate: options?.intermediate },
          decode: t.array(t.string),
        })
        .catch(notFoundAs('board', id)),
    addImages: async (id, imageNames) => {
      if (id === UNCATEGORIZED) {
        // "Adding" to uncategorized is taking the images off their boards; the server has no board "none".
        const removed = await removeImages(imageNames);
        return { added_images: removed.removed_images, affected_boards: removed.affected_boards };
      }
      return http
        .request({
          method: 'POST',
          path: '/api/v1/board_images/batch',
          body: { json: { board_id: id, image_names: toNames(imageNames) } },
          decode: AddImagesResult,
        })
        .catch(notFoundAs('board', id));
    },
    removeImages,
    findByName: async (name) => (await list({ archived: true })).filter((b) => b.board_name === name),
  };
};

/**
 * The boards of a client's server: `await boards(client).create('renders')`.
 *
 * @example
 * ```ts
 * import { createClient, boards } from 'invokeai-rx';
 * const client = createClient({ baseUrl: 'http://127.0.0.1:9090' });
 * const board = await boards(client).create('renders');
 * ```
 */
export const boards = /*#__PURE__*/ resourceAccessor('boards', boardsResource);
