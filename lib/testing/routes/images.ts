// `/api/v1/images/...`: uploads (re-encoded as PNG, optionally resized), records, bytes and
// thumbnails, stars, deletes and the lists.
import { randomUUID } from 'crypto';
import { Handler, Reply, RouteContext, json, notFound, unprocessable, type Router } from '../http';
import type { ImageChange, MockImageDTO, StoredImage } from '../images';
import { imageSize, resizeImage } from '../png';
import type { Sim } from '../sim';
import { fieldRequired, isRecord } from '../validate';
import { renderWebp } from '../videos';
import type { MediaRouting } from './media';

/** `{image_names}` of a body: the names, or the 422 FastAPI gives for it. */
export const imageNamesBody = async (ctx: RouteContext): Promise<string[] | Reply> => {
  const body = await ctx.body();
  if (!isRecord(body) || !Array.isArray(body.image_names)) return unprocessable([fieldRequired(['body', 'image_names'], body)]);
  return body.image_names.filter((n): n is string => typeof n === 'string');
};

/** The image routes. */
export const imageRoutes = ({ route }: Router, sim: Sim, media: MediaRouting): void => {
  const { images } = sim;
  const { mediaCacheControl, readUpload, uploadedRecord, recordChanges, workflowReply, listFilter, selectMedia } = media;
  /** The image the route's `{image_name}` names, or a 404. */
  const imageOr404 = (ctx: RouteContext): StoredImage => images.get(ctx.params.image_name ?? '') ?? notFound();
  route('POST', '/api/v1/images/upload', async (ctx) => {
    const { form, file, category, intermediate } = await readUpload(ctx, 'image_category');
    if (!file.type.startsWith('image')) return json(415, { detail: 'Not an image' });
    let bytes: Buffer = Buffer.from(await file.arrayBuffer());
    let size = imageSize(bytes);
    if (!size) return json(415, { detail: 'Failed to read image' });
    const resizeRaw = form.get('resize_to');
    if (typeof resizeRaw === 'string' && resizeRaw !== '') {
      let target: unknown;
      try {
        target = JSON.parse(resizeRaw);
      } catch {
        target = undefined;
      }
      const w = isRecord(target) ? target.width : undefined;
      const h = isRecord(target) ? target.height : undefined;
      if (typeof w !== 'number' || typeof h !== 'number' || !Number.isInteger(w) || !Number.isInteger(h) || w <= 0 || h <= 0 || w * h > 4096 * 4096)
        return json(400, { detail: 'Invalid resize_to format or size' });
      bytes = resizeImage(bytes, w, h, resizeRaw);
      size = { width: w, height: h };
    }
    const dto = images.add({
      // the real server re-encodes every upload as PNG
      image_name: `${randomUUID()}.png`,
      bytes,
      width: size.width,
      height: size.height,
      image_origin: 'external',
      image_category: category,
      ...uploadedRecord(ctx, form, intermediate),
    });
    return json(201, dto, { Location: dto.image_url });
  });
  route('GET', '/api/v1/images/i/{image_name}', (ctx) => json(200, imageOr404(ctx).dto));
  const fullImage: Handler = (ctx) => {
    const img = imageOr404(ctx);
    return {
      status: 200,
      raw: { bytes: img.bytes, contentType: 'image/png' },
      headers: { 'Content-Disposition': `inline; filename="${img.dto.image_name}"`, 'Cache-Control': mediaCacheControl },
    };
  };
  route('GET', '/api/v1/images/i/{image_name}/full', fullImage);
  route('HEAD', '/api/v1/images/i/{image_name}/full', fullImage);
  route('GET', '/api/v1/images/i/{image_name}/thumbnail', (ctx) => {
    const img = imageOr404(ctx);
    // a small flat-colour lossless WebP, so the content type is the real server's and true
    return { status: 200, raw: { bytes: renderWebp(16, 16, img.dto.image_name), contentType: 'image/webp' } };
  });
  route('GET', '/api/v1/images/i/{image_name}/urls', (ctx) => {
    const d = imageOr404(ctx).dto;
    return json(200, { image_name: d.image_name, image_url: d.image_url, thumbnail_url: d.thumbnail_url });
  });
  route('GET', '/api/v1/images/i/{image_name}/metadata', (ctx) => json(200, imageOr404(ctx).metadata ?? null));
  route('GET', '/api/v1/images/i/{image_name}/workflow', (ctx) => workflowReply(imageOr404(ctx)));
  route('PATCH', '/api/v1/images/i/{image_name}', async (ctx) => {
    imageOr404(ctx);
    const body = await ctx.body();
    if (!isRecord(body)) return unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }]);
    const change: ImageChange = {
      ...(typeof body.image_category === 'string' ? { image_category: body.image_category as MockImageDTO['image_category'] } : {}),
      ...recordChanges(body),
    };
    return json(200, images.update(ctx.params.image_name ?? '', change));
  });
  const deleteImages = (names: ReadonlyArray<string>): Reply => {
    const deleted: string[] = [];
    const boardsHit = new Set<string>();
    for (const n of names) {
      const img = images.get(n);
      if (!img) continue;
      boardsHit.add(img.dto.board_id ?? 'none');
      images.delete(n);
      deleted.push(n);
    }
    return json(200, { deleted_images: deleted, affected_boards: [...boardsHit] });
  };
  route('DELETE', '/api/v1/images/i/{image_name}', (ctx) => deleteImages([ctx.params.image_name ?? '']));
  route('POST', '/api/v1/images/delete', async (ctx) => {
    const names = await imageNamesBody(ctx);
    return Array.isArray(names) ? deleteImages(names) : names;
  });
  route('POST', '/api/v1/images/images_by_names', async (ctx) => {
    const names = await imageNamesBody(ctx);
    if (!Array.isArray(names)) return names;
    return json(200, names.map((n) => images.get(n)?.dto).filter((d): d is MockImageDTO => d !== undefined));
  });
  const star = (starred: boolean): Handler => async (ctx) => {
    const names = await imageNamesBody(ctx);
    if (!Array.isArray(names)) return names;
    const changed = names.filter((n) => images.update(n, { starred }) !== undefined);
    const affected = [...new Set(changed.map((n) => images.get(n)?.dto.board_id ?? 'none'))];
    return json(200, { [starred ? 'starred_images' : 'unstarred_images']: changed, affected_boards: affected });
  };
  route('POST', '/api/v1/images/star', star(true));
  route('POST', '/api/v1/images/unstar', star(false));
  const filterImages = (ctx: RouteContext): StoredImage[] =>
    selectMedia(ctx, images.all(), listFilter(ctx, 'image_origin'), (i) => ({ name: i.dto.image_name, category: i.dto.image_category, origin: i.dto.image_origin }));
  route('GET', '/api/v1/images/', (ctx) => {
    const all = filterImages(ctx);
    const offset = Number(ctx.query.get('offset') ?? 0);
    const limit = Number(ctx.query.get('limit') ?? 10);
    return json(200, { limit, offset, total: all.length, items: all.slice(offset, offset + limit).map((i) => i.dto) });
  });
  route('GET', '/api/v1/images/names', (ctx) => {
    const all = filterImages(ctx);
    return json(200, { image_names: all.map((i) => i.dto.image_name), starred_count: all.filter((i) => i.dto.starred).length, total_count: all.length });
  });
  route('GET', '/api/v1/images/intermediates', () => json(200, images.all().filter((i) => i.dto.is_intermediate).length));
  route('DELETE', '/api/v1/images/intermediates', () => {
    const names = images.all().filter((i) => i.dto.is_intermediate).map((i) => i.dto.image_name);
    names.forEach((n) => images.delete(n));
    return json(200, names.length);
  });

};
