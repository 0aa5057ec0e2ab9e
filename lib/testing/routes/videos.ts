// `/api/v1/videos/...`, the image routes' counterparts: uploads (MP4 headers read for size and
// duration), records, byte ranges, thumbnails, stars, boards, deletes and the lists; the names are
// `<uuid>.mp4`.
import { randomUUID } from 'crypto';
import { Handler, Reply, RouteContext, json, notFound, unprocessable, ORDER_DIRS, type Router } from '../http';
import type { Sim } from '../sim';
import { ValidationIssue, enumIssue, fieldRequired, isRecord } from '../validate';
import { StoredVideo, VideoChange, MockVideoDTO, mp4Info, renderWebp } from '../videos';
import { boardViews } from './boards';
import type { MediaRouting } from './media';

/** The video routes. */
export const videoRoutes = ({ route }: Router, sim: Sim, media: MediaRouting): void => {
  const { videos, canSee } = sim;
  const { boardOr404 } = boardViews(sim);
  const { MEDIA_CATEGORIES, categoryIssue, mediaCacheControl, readUpload, uploadedRecord, recordChanges, workflowReply, listFilter, selectMedia } = media;
  /** The video the route's `{video_name}` names, or a 404. */
  const videoOr404 = (ctx: RouteContext): StoredVideo => videos.get(ctx.params.video_name ?? '') ?? notFound();
  // In multi-user mode a user changes only their own videos (admins any); others' count as failed.
  const mayChange = (ctx: RouteContext, v: StoredVideo): boolean => canSee(ctx.user, v.user_id);
  /** `VideoNamesBatch` of the body: the names, or the 422 FastAPI gives for it. */
  const videoNamesBody = async (ctx: RouteContext): Promise<string[] | Reply> => {
    const body = await ctx.body();
    if (!isRecord(body) || body.video_names === undefined) return unprocessable([fieldRequired(['body', 'video_names'], body ?? null)]);
    const list = body.video_names;
    if (!Array.isArray(list)) return unprocessable([{ type: 'list_type', loc: ['body', 'video_names'], msg: 'Input should be a valid list', input: list }]);
    if (list.length > 1000)
      return unprocessable([
        { type: 'too_long', loc: ['body', 'video_names'], msg: `List should have at most 1000 items after validation, not ${list.length}`, input: list, ctx: { field_type: 'List', max_length: 1000, actual_length: list.length } },
      ]);
    const issues: ValidationIssue[] = list.flatMap((n, i): ValidationIssue[] =>
      typeof n !== 'string'
        ? [{ type: 'string_type', loc: ['body', 'video_names', i], msg: 'Input should be a valid string', input: n }]
        : n.length > 255
          ? [{ type: 'string_too_long', loc: ['body', 'video_names', i], msg: 'String should have at most 255 characters', input: n, ctx: { max_length: 255 } }]
          : [],
    );
    return issues.length ? unprocessable(issues) : (list as string[]);
  };
  const deleteVideos = (ctx: RouteContext, names: ReadonlyArray<string>): Reply => {
    const deleted: string[] = [];
    const failed: string[] = [];
    const boardsHit = new Set<string>();
    for (const n of names) {
      const v = videos.get(n);
      if (!v || !mayChange(ctx, v)) {
        failed.push(n);
        continue;
      }
      boardsHit.add(v.dto.board_id ?? 'none');
      videos.delete(n);
      deleted.push(n);
    }
    return json(200, { affected_boards: [...boardsHit], deleted_videos: deleted, failed_videos: failed });
  };
  route('POST', '/api/v1/videos/upload', async (ctx) => {
    const { form, file, category, intermediate } = await readUpload(ctx, 'video_category');
    if (!file.type.startsWith('video')) return json(415, { detail: 'Not a video' });
    const bytes = Buffer.from(await file.arrayBuffer());
    // only ISO-BMFF (MP4/MOV) is read here; its header boxes give the duration and frame size
    const info = mp4Info(bytes);
    if (!info) return json(415, { detail: 'Failed to read video' });
    const dto = videos.add({
      video_name: `${randomUUID()}.mp4`,
      bytes,
      width: info.width ?? 0,
      height: info.height ?? 0,
      duration: info.duration ?? 0,
      // the frame rate needs the sample tables, which this reader does not parse
      fps: null,
      video_origin: 'external',
      video_category: category,
      ...uploadedRecord(ctx, form, intermediate),
    });
    return json(201, dto, { Location: dto.video_url });
  });
  route('GET', '/api/v1/videos/i/{video_name}', (ctx) => json(200, videoOr404(ctx).dto));
  route('PATCH', '/api/v1/videos/i/{video_name}', async (ctx) => {
    videoOr404(ctx);
    const body = await ctx.body();
    if (!isRecord(body)) return unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body ?? null }]);
    if (body.video_category !== undefined && body.video_category !== null && !MEDIA_CATEGORIES.includes(String(body.video_category)))
      return unprocessable([categoryIssue(['body', 'video_category'], body.video_category)]);
    const change: VideoChange = {
      ...(typeof body.video_category === 'string' ? { video_category: body.video_category as MockVideoDTO['video_category'] } : {}),
      ...recordChanges(body),
    };
    return json(200, videos.update(ctx.params.video_name ?? '', change));
  });
  route('DELETE', '/api/v1/videos/i/{video_name}', (ctx) => deleteVideos(ctx, [ctx.params.video_name ?? '']));
  route('POST', '/api/v1/videos/delete', async (ctx) => {
    const names = await videoNamesBody(ctx);
    return Array.isArray(names) ? deleteVideos(ctx, names) : names;
  });
  route('DELETE', '/api/v1/videos/uncategorized', (ctx) =>
    deleteVideos(
      ctx,
      videos
        .all()
        .filter((v) => v.dto.board_id === null && canSee(ctx.user, v.user_id))
        .map((v) => v.dto.video_name),
    ),
  );
  route('GET', '/api/v1/videos/i/{video_name}/metadata', (ctx) => json(200, videoOr404(ctx).metadata ?? null));
  route('GET', '/api/v1/videos/i/{video_name}/workflow', (ctx) => workflowReply(videoOr404(ctx)));
  const fullVideo: Handler = (ctx) => {
    const v = videoOr404(ctx);
    const headers = {
      'Accept-Ranges': 'bytes',
      'Content-Disposition': `inline; filename="${v.dto.video_name}"`,
      'Cache-Control': mediaCacheControl,
    };
    const total = v.bytes.length;
    const range = /^bytes=(\d*)-(\d*)$/.exec(ctx.req.headers.range ?? '');
    if (ctx.method === 'GET' && range && (range[1] !== '' || range[2] !== '')) {
      // `bytes=a-b`, `bytes=a-` or the suffix form `bytes=-n`, as a browser's <video> asks
      const suffix = range[1] === '';
      const start = suffix ? Math.max(0, total - Number(range[2])) : Number(range[1]);
      const end = suffix || range[2] === '' ? total - 1 : Math.min(total - 1, Number(range[2]));
      if (start >= total || end < start) return { status: 416, body: { detail: 'Requested range not satisfiable' }, headers: { 'Content-Range': `bytes */${total}` } };
      return { status: 206, raw: { bytes: v.bytes.subarray(start, end + 1), contentType: 'video/mp4' }, headers: { ...headers, 'Content-Range': `bytes ${start}-${end}/${total}` } };
    }
    return { status: 200, raw: { bytes: v.bytes, contentType: 'video/mp4' }, headers };
  };
  route('GET', '/api/v1/videos/i/{video_name}/full', fullVideo);
  route('HEAD', '/api/v1/videos/i/{video_name}/full', fullVideo);
  route('GET', '/api/v1/videos/i/{video_name}/thumbnail', (ctx) => {
    const v = videoOr404(ctx);
    // a flat-colour lossless WebP with the aspect ratio of the video, at most 256 pixels a side, as the real thumbnails
    const scale = 256 / Math.max(1, v.dto.width, v.dto.height);
    const bytes = renderWebp(Math.max(1, v.dto.width * scale), Math.max(1, v.dto.height * scale), v.dto.video_name);
    return { status: 200, raw: { bytes, contentType: 'image/webp' }, headers: { 'Cache-Control': mediaCacheControl } };
  });
  route('GET', '/api/v1/videos/i/{video_name}/urls', (ctx) => {
    const d = videoOr404(ctx).dto;
    return json(200, { video_name: d.video_name, video_url: d.video_url, thumbnail_url: d.thumbnail_url });
  });
  /** The videos `GET /videos/` and `/videos/names` answer, in order; or the 422 of a bad query. */
  const filterVideos = (ctx: RouteContext): StoredVideo[] | Reply => {
    const f = listFilter(ctx, 'video_origin');
    const issues: ValidationIssue[] = f.cats.flatMap((c, i) => (MEDIA_CATEGORIES.includes(c) ? [] : [categoryIssue(['query', 'categories', i], c)]));
    if (f.dir !== 'ASC' && f.dir !== 'DESC') issues.push(enumIssue(['query', 'order_dir'], ORDER_DIRS, f.dir));
    if (f.origin !== null && f.origin !== 'internal' && f.origin !== 'external')
      issues.push(enumIssue(['query', 'video_origin'], ['internal', 'external'], f.origin));
    if (issues.length) return unprocessable(issues);
    return selectMedia(ctx, videos.all(), f, (v) => ({ name: v.dto.video_name, category: v.dto.video_category, origin: v.dto.video_origin }));
  };
  route('GET', '/api/v1/videos/', (ctx) => {
    const all = filterVideos(ctx);
    if (!Array.isArray(all)) return all;
    const offsetRaw = ctx.query.get('offset') ?? '0';
    const limitRaw = ctx.query.get('limit') ?? '10';
    const offset = Number(offsetRaw);
    const limit = Number(limitRaw);
    const issues: ValidationIssue[] = [];
    if (!Number.isInteger(offset) || offset < 0) issues.push({ type: 'greater_than_equal', loc: ['query', 'offset'], msg: 'Input should be greater than or equal to 0', input: offsetRaw, ctx: { ge: 0 } });
    if (!Number.isInteger(limit) || limit < 0 || limit > 1000)
      issues.push(
        limit > 1000
          ? { type: 'less_than_equal', loc: ['query', 'limit'], msg: 'Input should be less than or equal to 1000', input: limitRaw, ctx: { le: 1000 } }
          : { type: 'greater_than_equal', loc: ['query', 'limit'], msg: 'Input should be greater than or equal to 0', input: limitRaw, ctx: { ge: 0 } },
      );
    if (issues.length) return unprocessable(issues);
    return json(200, { limit, offset, total: all.length, items: all.slice(offset, offset + limit).map((v) => v.dto) });
  });
  route('GET', '/api/v1/videos/names', (ctx) => {
    const all = filterVideos(ctx);
    if (!Array.isArray(all)) return all;
    return json(200, { video_names: all.map((v) => v.dto.video_name), starred_count: all.filter((v) => v.dto.starred).length, total_count: all.length });
  });
  const starVideos = (starred: boolean): Handler => async (ctx) => {
    const names = await videoNamesBody(ctx);
    if (!Array.isArray(names)) return names;
    const changed: string[] = [];
    const failed: string[] = [];
    for (const n of names) {
      const v = videos.get(n);
      if (v && mayChange(ctx, v)) {
        videos.update(n, { starred });
        changed.push(n);
      } else failed.push(n);
    }
    const affected = [...new Set(changed.map((n) => videos.get(n)?.dto.board_id ?? 'none'))];
    return json(200, { affected_boards: affected, [starred ? 'starred_videos' : 'unstarred_videos']: changed, failed_videos: failed });
  };
  route('POST', '/api/v1/videos/star', starVideos(true));
  route('POST', '/api/v1/videos/unstar', starVideos(false));
  route('POST', '/api/v1/videos/board', async (ctx) => {
    const body = await ctx.body();
    const missing = (['board_id', 'video_name'] as const).filter((k) => !isRecord(body) || typeof body[k] !== 'string');
    if (missing.length) return unprocessable(missing.map((k) => fieldRequired(['body', k], body ?? null)));
    const { board_id: boardId, video_name: name } = body as { board_id: string; video_name: string };
    boardOr404(boardId);
    const v = videos.get(name);
    if (!v || !mayChange(ctx, v)) return json(200, { affected_boards: [], added_videos: [] });
    const affected = [...new Set([boardId, v.dto.board_id ?? 'none'])];
    videos.update(name, { board_id: boardId });
    return json(200, { affected_boards: affected, added_videos: [name] });
  });
  route('DELETE', '/api/v1/videos/board', async (ctx) => {
    const body = await ctx.body();
    if (!isRecord(body) || typeof body.video_name !== 'string') return unprocessable([fieldRequired(['body', 'video_name'], body ?? null)]);
    const v = videos.get(body.video_name);
    if (!v || !mayChange(ctx, v)) return json(200, { affected_boards: [], removed_videos: [] });
    const affected = [...new Set([v.dto.board_id ?? 'none', 'none'])];
    videos.update(body.video_name, { board_id: null });
    return json(200, { affected_boards: affected, removed_videos: [body.video_name] });
  });

};
