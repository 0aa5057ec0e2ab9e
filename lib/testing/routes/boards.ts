// `/api/v1/boards/...` and `/api/v1/board_images/...`: boards (their DTOs counting the media in
// them) and moving images in and out of them.
import { randomUUID } from 'crypto';
import type { MockBoardDTO, BoardRecord, BoardStore } from '../boards';
import { Reply, json, notFound, queryBool, unprocessable, type Router } from '../http';
import type { Sim } from '../sim';
import { fieldRequired, isRecord } from '../validate';
import { imageNamesBody } from './images';

/** A simulator's boards as their DTOs give them, with the counts and covers of the media in them, and the 404 of an unknown board. */
export const boardViews = (sim: Sim) => {
  const { boards, images, videos } = sim;
  /** What a board's DTO says of its non-intermediate media: the newest image and video, and the counts by kind. */
  type BoardTally = { lastImage: string | null; lastVideo: string | null; images: number; assets: number; videos: number };
  /** Every board's tally, from one pass over the images and the videos (a board list would otherwise scan them once per board). */
  const boardTallies = (): Map<string, BoardTally> => {
    const tallies = new Map<string, BoardTally>();
    const tallyOf = (boardId: string): BoardTally => {
      const t = tallies.get(boardId) ?? { lastImage: null, lastVideo: null, images: 0, assets: 0, videos: 0 };
      tallies.set(boardId, t);
      return t;
    };
    for (const { dto } of images.all()) {
      if (dto.board_id === null || dto.is_intermediate) continue;
      const t = tallyOf(dto.board_id);
      t.lastImage = dto.image_name;
      if (dto.image_category === 'general') t.images += 1;
      else t.assets += 1;
    }
    for (const { dto } of videos.all()) {
      if (dto.board_id === null || dto.is_intermediate) continue;
      const t = tallyOf(dto.board_id);
      t.lastVideo = dto.video_name;
      t.videos += 1;
    }
    return tallies;
  };
  const boardDto = (b: BoardRecord, tallies = boardTallies()): MockBoardDTO => {
    const t = tallies.get(b.board_id);
    return {
      ...b,
      cover_image_name: b.cover_image_name ?? t?.lastImage ?? null,
      cover_video_name: t?.lastVideo ?? null,
      image_count: t?.images ?? 0,
      video_count: t?.videos ?? 0,
      asset_count: t?.assets ?? 0,
      owner_username: null,
    };
  };
  /** The DTOs of several boards, tallying the media once. */
  const boardDtos = (records: ReadonlyArray<BoardRecord>): MockBoardDTO[] => {
    const tallies = boardTallies();
    return records.map((b) => boardDto(b, tallies));
  };
  const boardOr404 = (id: string): BoardRecord => boards.get(id) ?? notFound('Board not found');
  return { boardDto, boardDtos, boardOr404 };
};

/** The board routes. */
export const boardRoutes = ({ route }: Router, sim: Sim): void => {
  const { boards, images, videos, canSee } = sim;
  const { boardDto, boardDtos, boardOr404 } = boardViews(sim);
  route('POST', '/api/v1/boards/', (ctx) => {
    const name = ctx.query.get('board_name');
    if (name === null) return unprocessable([fieldRequired(['query', 'board_name'], null)]);
    if (name.length > 300)
      return unprocessable([{ type: 'string_too_long', loc: ['query', 'board_name'], msg: 'String should have at most 300 characters', input: name, ctx: { max_length: 300 } }]);
    return json(201, boardDto(boards.create(randomUUID(), name, ctx.user.user_id)));
  });
  route('GET', '/api/v1/boards/', (ctx) => {
    const all = queryBool(ctx.query.get('all'));
    const offset = ctx.query.get('offset');
    const limit = ctx.query.get('limit');
    const includeArchived = queryBool(ctx.query.get('include_archived')) ?? false;
    const orderBy = ctx.query.get('order_by') ?? 'created_at';
    const dir = ctx.query.get('direction') ?? 'DESC';
    const list = boards
      .all()
      .filter((b) => includeArchived || !b.archived)
      .filter((b) => canSee(ctx.user, b.user_id) || b.board_visibility !== 'private')
      .slice()
      .sort((a, b) => (orderBy === 'board_name' ? a.board_name.localeCompare(b.board_name) : a.created_at.localeCompare(b.created_at)));
    const ordered = dir === 'DESC' ? list.reverse() : list;
    if (all) return json(200, boardDtos(ordered));
    if (offset !== null && limit !== null) {
      const o = Number(offset);
      const l = Number(limit);
      return json(200, { limit: l, offset: o, total: ordered.length, items: boardDtos(ordered.slice(o, o + l)) });
    }
    return json(400, { detail: "Invalid request: Must provide either 'all' or both 'offset' and 'limit'" });
  });
  route('GET', '/api/v1/boards/{board_id}', (ctx) => json(200, boardDto(boardOr404(ctx.params.board_id ?? ''))));
  route('PATCH', '/api/v1/boards/{board_id}', async (ctx) => {
    boardOr404(ctx.params.board_id ?? '');
    const body = await ctx.body();
    if (!isRecord(body)) return unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }]);
    const change: Parameters<BoardStore['update']>[1] = {
      ...(typeof body.board_name === 'string' ? { board_name: body.board_name } : {}),
      ...(typeof body.cover_image_name === 'string' ? { cover_image_name: body.cover_image_name } : {}),
      ...(typeof body.archived === 'boolean' ? { archived: body.archived } : {}),
      ...(body.board_visibility === 'private' || body.board_visibility === 'shared' || body.board_visibility === 'public' ? { board_visibility: body.board_visibility } : {}),
    };
    const rec = boards.update(ctx.params.board_id ?? '', change);
    return json(201, rec ? boardDto(rec) : null);
  });
  route('DELETE', '/api/v1/boards/{board_id}', (ctx) => {
    const id = ctx.params.board_id ?? '';
    boardOr404(id);
    const inBoard = images.all().filter((i) => i.dto.board_id === id).map((i) => i.dto.image_name);
    const videosInBoard = videos.all().filter((v) => v.dto.board_id === id).map((v) => v.dto.video_name);
    const withImages = queryBool(ctx.query.get('include_images')) ?? false;
    if (withImages) {
      inBoard.forEach((n) => images.delete(n));
      videosInBoard.forEach((n) => videos.delete(n));
    } else {
      inBoard.forEach((n) => images.update(n, { board_id: null }));
      videosInBoard.forEach((n) => videos.update(n, { board_id: null }));
    }
    boards.delete(id);
    return json(200, {
      board_id: id,
      deleted_board_images: inBoard,
      deleted_images: withImages ? inBoard : [],
      deleted_board_videos: videosInBoard,
      deleted_videos: withImages ? videosInBoard : [],
    });
  });
  route('GET', '/api/v1/boards/{board_id}/image_names', (ctx) => {
    const id = ctx.params.board_id ?? '';
    if (id !== 'none') boardOr404(id);
    const cats = ctx.query.getAll('categories');
    const inter = queryBool(ctx.query.get('is_intermediate'));
    return json(
      200,
      images
        .all()
        .filter((i) => (id === 'none' ? i.dto.board_id === null : i.dto.board_id === id))
        .filter((i) => cats.length === 0 || cats.includes(i.dto.image_category))
        .filter((i) => inter === undefined || i.dto.is_intermediate === inter)
        .map((i) => i.dto.image_name),
    );
  });
  const addToBoard = (boardId: string, names: ReadonlyArray<string>): Reply => {
    boardOr404(boardId);
    const added: string[] = [];
    const affected = new Set<string>([boardId]);
    for (const n of names) {
      const img = images.get(n);
      if (!img) continue;
      affected.add(img.dto.board_id ?? 'none');
      images.update(n, { board_id: boardId });
      added.push(n);
    }
    return json(201, { added_images: added, affected_boards: [...affected] });
  };
  const removeFromBoard = (names: ReadonlyArray<string>): Reply => {
    const removed: string[] = [];
    const affected = new Set<string>();
    for (const n of names) {
      const img = images.get(n);
      if (!img) continue;
      affected.add(img.dto.board_id ?? 'none');
      images.update(n, { board_id: null });
      removed.push(n);
    }
    if (removed.length) affected.add('none');
    return json(201, { removed_images: removed, affected_boards: [...affected] });
  };
  route('POST', '/api/v1/board_images/', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.board_id !== 'string' || typeof body.image_name !== 'string')
      return unprocessable([fieldRequired(['body', 'image_name'], body)]);
    return addToBoard(body.board_id, [body.image_name]);
  });
  route('DELETE', '/api/v1/board_images/', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.image_name !== 'string') return unprocessable([fieldRequired(['body', 'image_name'], body)]);
    return removeFromBoard([body.image_name]);
  });
  route('POST', '/api/v1/board_images/batch', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.board_id !== 'string' || !Array.isArray(body.image_names))
      return unprocessable([fieldRequired(['body', 'image_names'], body)]);
    return addToBoard(body.board_id, body.image_names.filter((n): n is string => typeof n === 'string'));
  });
  route('POST', '/api/v1/board_images/batch/delete', async (ctx) => {
    const names = await imageNamesBody(ctx);
    return Array.isArray(names) ? removeFromBoard(names) : names;
  });

};
