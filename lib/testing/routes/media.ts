// What the image and video routes share (the video routes mirror the image ones): uploads, record
// changes, the stored workflow, and the list filters.
import type { MediaRecordDTO, NewMediaRecord, StoredMedia } from '../media';
import type { MockImageDTO } from '../images';
import { Reply, RouteContext, RouteError, json, queryBool } from '../http';
import type { Sim } from '../sim';
import { ValidationIssue, enumIssue, fieldRequired } from '../validate';

/** What the image and video routes share, over one simulator. */
export const mediaRouting = (sim: Sim) => {
  const { boards, multi, canSee } = sim;
  const MEDIA_CATEGORIES = ['general', 'mask', 'control', 'user', 'other'];
  const categoryIssue = (loc: ReadonlyArray<string | number>, input: unknown): ValidationIssue => enumIssue(loc, MEDIA_CATEGORIES, input);
  // media bytes never change under a name; in multi-user mode they are private to their owner
  const mediaCacheControl = multi ? 'private, no-store' : 'max-age=31536000';
  const FILE_MISSING: ValidationIssue = fieldRequired(['body', 'file'], null);
  /** An upload's form, file, category (the query's `categoryParam`) and `is_intermediate`; throws the 422 of a missing or bad one. */
  const readUpload = async (ctx: RouteContext, categoryParam: 'image_category' | 'video_category'): Promise<{ form: FormData; file: File; category: MockImageDTO['image_category']; intermediate: boolean }> => {
    const category = ctx.query.get(categoryParam);
    const intermediate = queryBool(ctx.query.get('is_intermediate'));
    const issues: ValidationIssue[] = [];
    if (category === null) issues.push(fieldRequired(['query', categoryParam], null));
    else if (!MEDIA_CATEGORIES.includes(category)) issues.push(categoryIssue(['query', categoryParam], category));
    if (intermediate === undefined) issues.push(fieldRequired(['query', 'is_intermediate'], null));
    const contentType = ctx.req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) issues.push(FILE_MISSING);
    if (issues.length) throw new RouteError(422, issues);
    const raw = await ctx.rawBody();
    let form: FormData;
    try {
      form = await new Request('http://sim/upload', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) }).formData();
    } catch {
      throw new RouteError(422, [FILE_MISSING]);
    }
    const file = form.get('file');
    if (!file || typeof file === 'string') throw new RouteError(422, [FILE_MISSING]);
    return { form, file, category: category as MockImageDTO['image_category'], intermediate: intermediate === true };
  };
  /** The kind-independent fields of an uploaded record: its owner, board, session and metadata; throws 404 for an unknown board, 400 for metadata that is not JSON. */
  const uploadedRecord = (ctx: RouteContext, form: FormData, intermediate: boolean): Omit<NewMediaRecord, 'bytes'> => {
    const boardId = ctx.query.get('board_id');
    if (boardId && !boards.get(boardId)) throw new RouteError(404, 'Board not found');
    const metaRaw = form.get('metadata');
    let metadata: unknown = null;
    try {
      if (typeof metaRaw === 'string') metadata = JSON.parse(metaRaw);
    } catch {
      throw new RouteError(400, 'Invalid metadata JSON');
    }
    return { is_intermediate: intermediate, session_id: ctx.query.get('session_id'), board_id: boardId, metadata, user_id: ctx.user.user_id };
  };
  /** The kind-independent fields of an `ImageRecordChanges` / `VideoRecordChanges` body that have the right type (others are ignored). */
  const recordChanges = (body: Readonly<Record<string, unknown>>): Partial<Pick<MediaRecordDTO, 'session_id' | 'is_intermediate' | 'starred'>> => ({
    ...(typeof body.session_id === 'string' ? { session_id: body.session_id } : {}),
    ...(typeof body.is_intermediate === 'boolean' ? { is_intermediate: body.is_intermediate } : {}),
    ...(typeof body.starred === 'boolean' ? { starred: body.starred } : {}),
  });
  /** `GET .../workflow`: the stored workflow and graph as JSON strings, `null` when not stored. */
  const workflowReply = (m: StoredMedia<unknown>): Reply =>
    json(200, { workflow: m.workflow ? JSON.stringify(m.workflow) : null, graph: m.graph ? JSON.stringify(m.graph) : null });
  /** The list filters of `GET /{kind}s/` and `/{kind}s/names`, as the query gives them. */
  const listFilter = (ctx: RouteContext, originParam: 'image_origin' | 'video_origin') => ({
    cats: ctx.query.getAll('categories'),
    inter: queryBool(ctx.query.get('is_intermediate')),
    board: ctx.query.get('board_id'),
    origin: ctx.query.get(originParam),
    search: ctx.query.get('search_term'),
    dir: ctx.query.get('order_dir') ?? 'DESC',
    starredFirst: queryBool(ctx.query.get('starred_first')) ?? true,
  });
  /** The records a list filter keeps that the caller may see, oldest or newest first, starred ones first unless asked otherwise. */
  const selectMedia = <S extends StoredMedia<MediaRecordDTO>>(
    ctx: RouteContext,
    records: ReadonlyArray<S>,
    f: ReturnType<typeof listFilter>,
    facts: (record: S) => { readonly name: string; readonly category: string; readonly origin: string },
  ): S[] => {
    const list = records.filter((r) => {
      const { name, category, origin } = facts(r);
      return (
        (f.cats.length === 0 || f.cats.includes(category)) &&
        (f.inter === undefined || r.dto.is_intermediate === f.inter) &&
        (f.board === null || r.dto.board_id === (f.board === 'none' ? null : f.board)) &&
        (f.origin === null || origin === f.origin) &&
        (!f.search || name.includes(f.search)) &&
        canSee(ctx.user, r.user_id)
      );
    });
    const ordered = f.dir === 'ASC' ? list : list.slice().reverse();
    return f.starredFirst ? [...ordered.filter((r) => r.dto.starred), ...ordered.filter((r) => !r.dto.starred)] : ordered;
  };


  return { MEDIA_CATEGORIES, categoryIssue, mediaCacheControl, readUpload, uploadedRecord, recordChanges, workflowReply, listFilter, selectMedia };
};

/** What the image and video routes share. */
export type MediaRouting = ReturnType<typeof mediaRouting>;
