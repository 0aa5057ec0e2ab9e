import { HttpError } from '../../lib/transport/errors';
import { sniffImageType, images } from '../../lib/client/images';
import { NotFoundError } from '../../lib/client/resource';
import { SimClient, png, requestsTo, startSim } from './sim-helpers';
import { boards } from '../../lib/client/boards';

describe('images(client)', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('uploads bytes with category, board, metadata and resize, and the server stores them as sent', async () => {
    const board = sim.server.addBoard('uploads');
    const dto = await images(sim.client).upload(png(32, 16), {
      category: 'control',
      intermediate: true,
      board: board.board_id,
      metadata: { source: 'spec', n: 1 },
      resize: { width: 8, height: 4 },
    });
    expect(dto).toMatchObject({ image_category: 'control', is_intermediate: true, board_id: board.board_id, width: 8, height: 4 });
    const stored = sim.server.images().find((i) => i.image_name === dto.image_name);
    expect(stored).toMatchObject({ board_id: board.board_id, width: 8, height: 4 });
    await expect(images(sim.client).metadata(dto.image_name)).resolves.toEqual({ source: 'spec', n: 1 });
  });

  it('uploads to uncategorized by default, as a user asset, never sending board_id "none"', async () => {
    const plain = await images(sim.client).upload(png());
    const none = await images(sim.client).upload(png(), { board: 'none' });
    expect(plain).toMatchObject({ image_category: 'user', is_intermediate: false, board_id: null });
    expect(none.board_id).toBeNull();
    const names = await boards(sim.client).imageNames('none');
    expect(names).toEqual(expect.arrayContaining([plain.image_name, none.image_name]));
  });

  it('accepts a Blob and reads the content type from the bytes, not the Blob type', async () => {
    const dto = await images(sim.client).upload(new Blob([Buffer.from(png(4, 4))], { type: 'text/plain' }));
    expect(dto).toMatchObject({ width: 4, height: 4 });
  });

  it('rejects bytes that are not an image with the server\'s 415, and stores nothing', async () => {
    const text = new TextEncoder().encode('definitely not a picture');
    const error = await images(sim.client).upload(text).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(415);
    expect((error as HttpError).detail).toBe('Not an image');
    expect(sim.server.images()).toHaveLength(0);
    // POST is never retried
    expect(requestsTo(sim.server, 'POST', '/api/v1/images/upload')).toHaveLength(1);
  });

  it('get() answers null for an unknown image; calls on a named image throw NotFoundError', async () => {
    await expect(images(sim.client).get('nope.png')).resolves.toBeNull();
    for (const call of [
      () => images(sim.client).download('nope.png'),
      () => images(sim.client).urls('nope.png'),
      () => images(sim.client).metadata('nope.png'),
      () => images(sim.client).workflow('nope.png'),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toBeInstanceOf(HttpError);
      expect((error as NotFoundError).status).toBe(404);
      expect((error as Error).message).toContain('nope.png');
    }
  });

  it('downloads the full image byte for byte, and the thumbnail, without knowing the board', async () => {
    const board = sim.server.addBoard('b');
    const image = sim.server.addImage({ width: 40, height: 24, boardId: board.board_id });
    const full = await images(sim.client).download(image.image_name);
    expect(Buffer.from(full).equals(sim.server.imageBytes(image.image_name)!)).toBe(true);
    const thumb = await images(sim.client).download(image.image_name, { thumbnail: true });
    expect(thumb.byteLength).toBeGreaterThan(0);
    expect(Buffer.from(thumb).equals(Buffer.from(full))).toBe(false);
    // no board listing was needed
    expect(requestsTo(sim.server, 'GET', '/api/v1/boards')).toHaveLength(0);
  });

  it('urls() resolves the server\'s relative URLs to absolute ones that serve the image', async () => {
    const image = sim.server.addImage();
    const urls = await images(sim.client).urls(image.image_name);
    expect(urls.image_url).toBe(`${sim.server.url}/api/v1/images/i/${image.image_name}/full`);
    expect(urls.thumbnail_url).toBe(`${sim.server.url}/api/v1/images/i/${image.image_name}/thumbnail`);
    const res = await fetch(urls.image_url);
    expect(Buffer.from(await res.arrayBuffer()).equals(sim.server.imageBytes(image.image_name)!)).toBe(true);
  });

  it('get() and metadata() of an uploaded image', async () => {
    const dto = await images(sim.client).upload(png());
    await expect(images(sim.client).get(dto.image_name)).resolves.toMatchObject({ image_name: dto.image_name, width: 8 });
    await expect(images(sim.client).metadata(dto.image_name)).resolves.toBeNull();
    await expect(images(sim.client).workflow(dto.image_name)).resolves.toEqual({ workflow: null, graph: null });
  });

  it('deletes and answers what was really deleted (unknown names are not an error)', async () => {
    const a = sim.server.addImage();
    const board = sim.server.addBoard('b');
    const b = sim.server.addImage({ boardId: board.board_id });
    const result = await images(sim.client).delete([a.image_name, b.image_name, 'ghost.png']);
    expect(result.deleted_images.sort()).toEqual([a.image_name, b.image_name].sort());
    expect(result.affected_boards.sort()).toEqual([board.board_id, 'none'].sort());
    expect(sim.server.images()).toHaveLength(0);
    await expect(images(sim.client).delete('ghost.png')).resolves.toMatchObject({ deleted_images: [] });
  });

  it('stars and unstars, and starred images list first', async () => {
    const [a, b] = [sim.server.addImage(), sim.server.addImage()];
    await expect(images(sim.client).star(a.image_name)).resolves.toEqual({ images: [a.image_name], affectedBoards: ['none'] });
    expect((await images(sim.client).get(a.image_name))?.starred).toBe(true);
    const page = await images(sim.client).list();
    expect(page.items[0].image_name).toBe(a.image_name);
    await expect(images(sim.client).unstar([a.image_name])).resolves.toMatchObject({ images: [a.image_name] });
    const unstarredFirst = await images(sim.client).list({ order: 'DESC' });
    expect(unstarredFirst.items[0].image_name).toBe(b.image_name);
  });

  it('lists with the server\'s filters and paging', async () => {
    const board = sim.server.addBoard('b');
    const onBoard = sim.server.addImage({ boardId: board.board_id, category: 'general' });
    const masks = [sim.server.addImage({ category: 'mask' }), sim.server.addImage({ category: 'mask' })];
    sim.server.addImage({ category: 'general' });
    const byBoard = await images(sim.client).list({ board: board.board_id });
    expect(byBoard.items.map((i) => i.image_name)).toEqual([onBoard.image_name]);
    const uncategorizedMasks = await images(sim.client).list({ board: 'none', categories: ['mask'], order: 'ASC' });
    expect(uncategorizedMasks.items.map((i) => i.image_name)).toEqual(masks.map((m) => m.image_name));
    const paged = await images(sim.client).list({ offset: 1, limit: 2 });
    expect(paged).toMatchObject({ offset: 1, limit: 2, total: 4 });
    expect(paged.items).toHaveLength(2);
    const search = await images(sim.client).list({ search: onBoard.image_name.slice(0, 8) });
    expect(search.items.map((i) => i.image_name)).toEqual([onBoard.image_name]);
  });

  it('names() answers every matching name in list order, with the starred and total counts, and no paging', async () => {
    const board = sim.server.addBoard('b');
    const [a, b, c] = [sim.server.addImage(), sim.server.addImage({ category: 'mask' }), sim.server.addImage({ category: 'mask' })];
    const onBoard = sim.server.addImage({ boardId: board.board_id });
    for (let i = 0; i < 12; i++) sim.server.addImage({ category: 'other' });
    await images(sim.client).star(b.image_name);

    const all = await images(sim.client).names();
    expect(all.total_count).toBe(16);
    expect(all.image_names).toHaveLength(16); // more than list()'s default page of 10
    expect(all.starred_count).toBe(1);
    expect(all.image_names[0]).toBe(b.image_name); // starred first
    const page = await images(sim.client).list({ limit: 16 });
    expect(all.image_names).toEqual(page.items.map((i) => i.image_name));

    await expect(images(sim.client).names({ board: 'none', categories: ['mask', 'general'], order: 'ASC', starred_first: false })).resolves.toEqual({
      image_names: [a.image_name, b.image_name, c.image_name],
      starred_count: 1,
      total_count: 3,
    });
    await expect(images(sim.client).names({ board: board.board_id })).resolves.toEqual({ image_names: [onBoard.image_name], starred_count: 0, total_count: 1 });
    await expect(images(sim.client).names({ search: 'no-such-name' })).resolves.toEqual({ image_names: [], starred_count: 0, total_count: 0 });
  });

  it('getMany() reads records by name in the order asked, leaving unknown names out', async () => {
    const [a, b] = [sim.server.addImage({ width: 16, height: 8 }), sim.server.addImage({ width: 4, height: 4 })];
    const records = await images(sim.client).getMany([b.image_name, 'ghost.png', a.image_name]);
    expect(records.map((r) => [r.image_name, r.width, r.height])).toEqual([
      [b.image_name, 4, 4],
      [a.image_name, 16, 8],
    ]);
    await expect(images(sim.client).getMany([])).resolves.toEqual([]);
  });

  it('counts and clears intermediate images, leaving the gallery alone', async () => {
    await expect(images(sim.client).intermediatesCount()).resolves.toBe(0);
    const kept = sim.server.addImage();
    sim.server.addImage({ isIntermediate: true });
    await images(sim.client).upload(png(), { intermediate: true });
    await expect(images(sim.client).intermediatesCount()).resolves.toBe(2);
    await expect(images(sim.client).clearIntermediates()).resolves.toBe(2);
    expect(sim.server.images().map((i) => i.image_name)).toEqual([kept.image_name]);
    await expect(images(sim.client).intermediatesCount()).resolves.toBe(0);
    await expect(images(sim.client).clearIntermediates()).resolves.toBe(0);
  });

  it('reads the workflow a generated image was made with, decoded from the server\'s JSON strings', async () => {
    // Upload a PNG, then run the seed copy-image workflow on it: its output embeds the workflow.
    const { Workflow } = await import('../../lib/workflow/workflow');
    const { setInput } = await import('../../lib/workflow/inputs');
    const { readFileSync } = await import('fs');
    const source = await images(sim.client).upload(png());
    const wf = setInput('image', { image_name: source.image_name })(
      Workflow.fromJson(readFileSync('spec/fixtures/seed-workflows/copy-image.json', 'utf8')),
    );
    const result = await sim.client.submit(wf);
    const made = result.items[0].outputs.flatMap((o) => o.images)[0];
    const embedded = await images(sim.client).workflow(made.imageName);
    expect(embedded.workflow?.json.name).toBe(wf.json.name);
    expect(embedded.graph).not.toBeNull();
  });
});

describe('sniffImageType', () => {
  it('tells image formats from their first bytes', () => {
    expect(sniffImageType(png())).toBe('image/png');
    expect(sniffImageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffImageType(new TextEncoder().encode('GIF89a'))).toBe('image/gif');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
    expect(sniffImageType(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
    expect(sniffImageType(new TextEncoder().encode('{"a":1}'))).toBeUndefined();
    expect(sniffImageType(new Uint8Array())).toBeUndefined();
  });
});
