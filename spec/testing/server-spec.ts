import { PNG } from 'pngjs';
import { ManualClock } from '../../lib/testing';
import { api, connect, enqueue, sd15Graph, subscribeQueue, terminal, waitFor, withServer, Json } from './helpers';

const tinyGraph = { id: 'g', nodes: { a: { id: 'a', type: 'string', value: 'x' } }, edges: [] };

const pngBytes = (w: number, h: number): Buffer => {
  const png = new PNG({ width: w, height: h });
  png.data.fill(200);
  return PNG.sync.write(png);
};

const upload = async (url: string, bytes: Buffer, type: string, query: string, metadata?: string) => {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'in.png');
  if (metadata) form.append('metadata', metadata);
  const res = await fetch(`${url}/api/v1/images/upload?${query}`, { method: 'POST', body: form });
  return { status: res.status, json: await res.json(), location: res.headers.get('location') };
};

describe('simulated server REST', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  describe('app and routing', () => {
    it('serves version, openapi.json and auth status; unknown routes get FastAPI 404/405', async () => {
      const server = await env.start();
      expect(await api(server, 'GET', '/api/v1/app/version')).toMatchObject({ status: 200, json: { version: '6.14.0-alpha' } });
      const oa = await api(server, 'GET', '/openapi.json');
      expect(oa.status).toBe(200);
      expect(oa.json.components.schemas.LatentsToImageInvocation).toBeDefined();
      expect((await api(server, 'GET', '/api/v1/auth/status')).json).toEqual({ setup_required: false, multiuser_enabled: false, strict_password_checking: false, admin_email: null });
      expect(await api(server, 'GET', '/api/v1/nothing')).toMatchObject({ status: 404, json: { detail: 'Not Found' } });
      expect(await api(server, 'DELETE', '/api/v1/app/version')).toMatchObject({ status: 405, json: { detail: 'Method Not Allowed' } });
      expect((await api(server, 'POST', '/api/v1/auth/login', { email: 'a', password: 'b' })).status).toBe(403);
    });

    it('redirects a missing or extra trailing slash with 307, as FastAPI', async () => {
      const server = await env.start();
      const res = await fetch(`${server.url}/api/v1/boards?all=true`, { redirect: 'manual' });
      expect(res.status).toBe(307);
      expect(res.headers.get('location')).toBe('/api/v1/boards/?all=true');
      await res.text();
      const followed = await fetch(`${server.url}/api/v1/boards?all=true`);
      expect(followed.status).toBe(200);
      expect(await followed.json()).toEqual([]);
    });

    it('logs requests with method, path and status', async () => {
      const server = await env.start();
      await api(server, 'GET', '/api/v1/app/version');
      await api(server, 'GET', '/api/v1/nothing?x=1');
      expect(server.requests.map((r) => [r.method, r.path, r.status])).toEqual([
        ['GET', '/api/v1/app/version', 200],
        ['GET', '/api/v1/nothing', 404],
      ]);
      expect(typeof server.requests[0].time).toBe('number');
    });

    it('serves everything under a base path, including the socket', async () => {
      const server = await env.start({ basePath: '/invoke' });
      expect(server.url).toMatch(/\/invoke$/);
      expect((await api(server, 'GET', '/api/v1/app/version')).status).toBe(200);
      const bare = await fetch(server.url.replace('/invoke', '') + '/api/v1/app/version');
      expect(bare.status).toBe(404);
      await bare.text();
      const { events } = env.track(await connect(server));
      const r = await enqueue(server, { graph: tinyGraph, runs: 1 });
      await waitFor(() => events.some((e) => e.payload.status === 'completed'));
      expect(r.status).toBe(200);
    });
  });

  describe('queue', () => {
    it('item get omits null fields; unknown → 404; other queue → 500', async () => {
      const server = await env.start();
      server.faults.pauseProcessor();
      const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
      const item = (await api(server, 'GET', `/api/v1/queue/default/i/${id}`)).json;
      expect(item.status).toBe('pending');
      for (const k of ['started_at', 'completed_at', 'origin', 'destination', 'error_type', 'workflow']) expect(item).not.toHaveProperty(k);
      expect(await api(server, 'GET', '/api/v1/queue/default/i/999')).toMatchObject({ status: 404, json: { detail: 'Queue item with id 999 not found in queue default' } });
      expect((await api(server, 'GET', `/api/v1/queue/other/i/${id}`)).status).toBe(500);
    });

    it('status, list_all with destination, item_ids, items_by_ids, current and next', async () => {
      const server = await env.start();
      server.faults.pauseProcessor();
      const a = (await enqueue(server, { graph: tinyGraph, runs: 1, destination: 'd1' })).json.item_ids[0];
      const b = (await enqueue(server, { graph: tinyGraph, runs: 1, destination: 'd2' })).json.item_ids[0];
      const st = (await api(server, 'GET', '/api/v1/queue/default/status')).json;
      expect(st).toMatchObject({ queue: { queue_id: 'default', pending: 2, total: 2, item_id: null }, processor: { is_started: false, is_processing: false } });
      const list = (await api(server, 'GET', '/api/v1/queue/default/list_all?destination=d2')).json;
      expect(list.map((i: Json) => i.item_id)).toEqual([b]);
      expect(list[0].session).toBeDefined();
      expect((await api(server, 'GET', '/api/v1/queue/default/item_ids')).json).toEqual({ item_ids: [b, a], total_count: 2 });
      expect((await api(server, 'GET', '/api/v1/queue/default/item_ids?order_dir=ASC')).json.item_ids).toEqual([a, b]);
      expect((await api(server, 'POST', '/api/v1/queue/default/items_by_ids', { item_ids: [b, 77, a] })).json.map((i: Json) => i.item_id)).toEqual([b, a]);
      expect((await api(server, 'GET', '/api/v1/queue/default/current')).json).toBeNull();
      expect((await api(server, 'GET', '/api/v1/queue/default/next')).json.item_id).toBe(a);
      expect((await api(server, 'GET', '/api/v1/queue/default/counts_by_destination?destination=d1')).json).toMatchObject({ destination: 'd1', pending: 1, total: 1 });
    });

    it('cancel, delete, cancel_by_batch_ids, cancel_by_destination, cancel_all_except_current, prune', async () => {
      const server = await env.start();
      const { events } = env.track(await connect(server));
      server.faults.pauseProcessor();
      const ids = async (batch: Record<string, unknown>) => (await enqueue(server, { graph: tinyGraph, runs: 1, ...batch })).json.item_ids[0] as number;
      const a = await ids({ batch_id: 'B1' });
      const b = await ids({ destination: 'canvas' });
      const c = await ids({});
      const d = await ids({});
      expect((await api(server, 'PUT', `/api/v1/queue/default/i/${d}/cancel`)).json.status).toBe('canceled');
      expect(await api(server, 'DELETE', `/api/v1/queue/default/i/${d}`)).toMatchObject({ status: 200, json: null });
      expect(server.queueItem(d)).toBeUndefined();
      expect((await api(server, 'PUT', '/api/v1/queue/default/cancel_by_batch_ids', { batch_ids: ['B1'] })).json).toEqual({ canceled: 1 });
      expect((await api(server, 'PUT', '/api/v1/queue/default/cancel_by_destination?destination=canvas')).json).toEqual({ canceled: 1 });
      expect((await api(server, 'PUT', '/api/v1/queue/default/cancel_all_except_current')).json).toEqual({ canceled: 1 });
      expect([a, b, c].map((id) => server.queueItem(id)?.status)).toEqual(['canceled', 'canceled', 'canceled']);
      await waitFor(() => events.filter((e) => e.name === 'queue_items_canceled').length === 3);
      expect(events.find((e) => e.name === 'queue_items_canceled')!.payload).toMatchObject({ canceled_item_ids: [a], user_ids: ['system'], canceled_item_ids_by_user: { system: [a] } });
      expect((await api(server, 'PUT', '/api/v1/queue/default/prune')).json).toEqual({ deleted: 3 });
    });

    it('retry_items_by_id takes a bare array, re-enqueues failed/canceled items, and answers the ids it retried, as InvokeAI', async () => {
      const server = await env.start();
      const { events } = env.track(await connect(server));
      server.faults.failNodes({ type: 'string', count: 2, errorType: 'ValueError', message: 'boom' });
      const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
      await waitFor(terminal(server, id));
      expect(server.queueItem(id)?.status).toBe('failed');
      expect((await api(server, 'PUT', '/api/v1/queue/default/retry_items_by_id', { item_ids: [id] })).status).toBe(422);
      // An unknown id is skipped; the original is answered (InvokeAI's `retried_item_ids` is its root ids), twice asked once retried.
      const r = await api(server, 'PUT', '/api/v1/queue/default/retry_items_by_id', [id, 424242, id]);
      expect(r.json).toEqual({ queue_id: 'default', retried_item_ids: [id] });
      await waitFor(terminal(server, id + 1));
      expect(server.queueItem(id + 1)).toMatchObject({ status: 'failed', retried_from_item_id: id });
      expect(events.find((e) => e.name === 'queue_items_retried')!.payload.retried_item_ids).toEqual([id]);
      // Retrying the retry: the new item names the first item of the chain.
      expect((await api(server, 'PUT', '/api/v1/queue/default/retry_items_by_id', [id + 1])).json).toEqual({ queue_id: 'default', retried_item_ids: [id + 1] });
      await waitFor(terminal(server, id + 2));
      expect(server.queueItem(id + 2)).toMatchObject({ status: 'completed', retried_from_item_id: id });
      // A completed item is skipped; an item of another queue fails the request with a 404.
      expect((await api(server, 'PUT', '/api/v1/queue/default/retry_items_by_id', [id + 2])).json).toEqual({ queue_id: 'default', retried_item_ids: [] });
      const other = await api(server, 'PUT', '/api/v1/queue/elsewhere/retry_items_by_id', [id]);
      expect(other).toMatchObject({ status: 404, json: { detail: `Queue item with id ${id} not found in queue elsewhere` } });
    });

    it('GET of an item of another queue answers 500 quoting the 404, as InvokeAI; cancel and delete answer 404', async () => {
      const server = await env.start();
      const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
      await waitFor(terminal(server, id));
      expect(await api(server, 'GET', `/api/v1/queue/elsewhere/i/${id}`)).toMatchObject({
        status: 500,
        json: { detail: `Unexpected error while fetching queue item: 404: Queue item with id ${id} not found in queue elsewhere` },
      });
      expect((await api(server, 'GET', '/api/v1/queue/default/i/424242')).status).toBe(404);
      expect((await api(server, 'PUT', `/api/v1/queue/elsewhere/i/${id}/cancel`)).status).toBe(404);
      expect((await api(server, 'DELETE', `/api/v1/queue/elsewhere/i/${id}`)).status).toBe(404);
      expect(server.queueItem(id)).toBeDefined();
    });

    it('clear deletes everything; queue_cleared reaches only sockets subscribed to the queue', async () => {
      const server = await env.start();
      const plain = env.track(await connect(server));
      const subscribed = env.track(await connect(server));
      await subscribeQueue(subscribed.socket);
      server.faults.pauseProcessor();
      await enqueue(server, { graph: tinyGraph, runs: 3 });
      expect((await api(server, 'PUT', '/api/v1/queue/default/clear')).json).toEqual({ deleted: 3 });
      await waitFor(() => subscribed.events.some((e) => e.name === 'queue_cleared'));
      expect(subscribed.events.find((e) => e.name === 'queue_cleared')!.payload).toMatchObject({ queue_id: 'default', user_id: null });
      expect(server.queueItems()).toHaveLength(0);
      // A later event that reaches the plain socket too: whatever was sent to it before has arrived by then.
      await enqueue(server, { graph: tinyGraph, runs: 1 });
      await waitFor(() => plain.events.length === 2, 'the later batch_enqueued');
      expect(plain.events.map((e) => e.name)).toEqual(['batch_enqueued', 'batch_enqueued']);
    });

    it('processor pause/resume routes report the processor state', async () => {
      const clock = new ManualClock();
      const server = await env.start({ clock, stepMs: 0 });
      expect((await api(server, 'PUT', '/api/v1/queue/default/processor/pause')).json).toEqual({ is_started: false, is_processing: false });
      const id = (await enqueue(server, { graph: tinyGraph, runs: 1 })).json.item_ids[0];
      await clock.advance(60_000); // time enough for any item
      expect(server.queueItem(id)?.status).toBe('pending');
      expect((await api(server, 'PUT', '/api/v1/queue/default/processor/resume')).json.is_started).toBe(true);
      await waitFor(terminal(server, id));
    });
  });

  describe('images', () => {
    it('uploads multipart with query params → 201 + Location, relative urls, /full bytes, thumbnail, metadata', async () => {
      const server = await env.start();
      const bytes = pngBytes(10, 6);
      const up = await upload(server.url, bytes, 'image/png', 'image_category=user&is_intermediate=false', '{"a":1}');
      expect(up.status).toBe(201);
      expect(up.json).toMatchObject({ image_origin: 'external', image_category: 'user', width: 10, height: 6, is_intermediate: false, board_id: null, starred: false });
      expect(up.json.image_url).toBe(`api/v1/images/i/${up.json.image_name}/full`);
      expect(up.json.thumbnail_url).toBe(`api/v1/images/i/${up.json.image_name}/thumbnail`);
      expect(up.location).toBe(up.json.image_url);
      const full = await fetch(`${server.url}/${up.json.image_url}`);
      expect(full.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await full.arrayBuffer()).equals(bytes)).toBe(true);
      const thumb = await fetch(`${server.url}/${up.json.thumbnail_url}`);
      expect(thumb.status).toBe(200);
      expect(thumb.headers.get('content-type')).toBe('image/webp');
      // the label is true: the bytes are a WebP (RIFF container, WEBP form), not the PNG
      const thumbBytes = Buffer.from(await thumb.arrayBuffer());
      expect([thumbBytes.toString('latin1', 0, 4), thumbBytes.toString('latin1', 8, 12)]).toEqual(['RIFF', 'WEBP']);
      expect(thumbBytes.readUInt32LE(4)).toBe(thumbBytes.length - 8);
      expect((await api(server, 'GET', `/api/v1/images/i/${up.json.image_name}/metadata`)).json).toEqual({ a: 1 });
      expect((await api(server, 'GET', `/api/v1/images/i/${up.json.image_name}`)).json).toEqual(up.json);
      expect((await api(server, 'GET', '/api/v1/images/i/none.png')).status).toBe(404);
    });

    it('resizes uploads with resize_to (a JSON object) and answers 400 for a bad one', async () => {
      const server = await env.start();
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(pngBytes(8, 8))], { type: 'image/png' }), 'in.png');
      form.append('resize_to', JSON.stringify({ width: 4, height: 2 }));
      const res = await fetch(`${server.url}/api/v1/images/upload?image_category=general&is_intermediate=true`, { method: 'POST', body: form });
      expect(res.status).toBe(201);
      const dto = await res.json();
      expect(dto).toMatchObject({ width: 4, height: 2, is_intermediate: true });
      const png = PNG.sync.read(server.imageBytes(dto.image_name)!);
      expect([png.width, png.height]).toEqual([4, 2]);
      const bad = new FormData();
      bad.append('file', new Blob([new Uint8Array(pngBytes(8, 8))], { type: 'image/png' }), 'in.png');
      bad.append('resize_to', '[4, 2]');
      const r2 = await fetch(`${server.url}/api/v1/images/upload?image_category=general&is_intermediate=true`, { method: 'POST', body: bad });
      expect(r2.status).toBe(400);
      await r2.text();
    });

    it('415 for non-images, 422 without the query params', async () => {
      const server = await env.start();
      expect((await upload(server.url, Buffer.from('hello'), 'text/plain', 'image_category=user&is_intermediate=false')).status).toBe(415);
      expect((await upload(server.url, Buffer.from('hello'), 'image/png', 'image_category=user&is_intermediate=false')).status).toBe(415);
      const missing = await upload(server.url, pngBytes(2, 2), 'image/png', 'image_category=user');
      expect(missing.status).toBe(422);
      expect(missing.json.detail[0]).toMatchObject({ type: 'missing', loc: ['query', 'is_intermediate'] });
    });

    it('star/unstar, names, images_by_names, list, delete and images/delete', async () => {
      const server = await env.start();
      const a = server.addImage();
      const b = server.addImage();
      expect((await api(server, 'POST', '/api/v1/images/star', { image_names: [a.image_name] })).json).toEqual({ starred_images: [a.image_name], affected_boards: ['none'] });
      expect((await api(server, 'GET', '/api/v1/images/names')).json).toEqual({ image_names: [a.image_name, b.image_name], starred_count: 1, total_count: 2 });
      expect((await api(server, 'POST', '/api/v1/images/unstar', { image_names: [a.image_name] })).json.unstarred_images).toEqual([a.image_name]);
      expect((await api(server, 'POST', '/api/v1/images/images_by_names', { image_names: [b.image_name, 'x.png'] })).json.map((d: Json) => d.image_name)).toEqual([b.image_name]);
      expect((await api(server, 'GET', '/api/v1/images/?limit=1')).json).toMatchObject({ limit: 1, offset: 0, total: 2 });
      expect((await api(server, 'DELETE', `/api/v1/images/i/${a.image_name}`)).json).toEqual({ deleted_images: [a.image_name], affected_boards: ['none'] });
      expect((await api(server, 'POST', '/api/v1/images/delete', { image_names: [b.image_name, 'x.png'] })).json.deleted_images).toEqual([b.image_name]);
      expect(server.images()).toHaveLength(0);
    });
  });

  describe('boards', () => {
    it('counts each board\'s own images, assets and videos and shows its newest as cover, the same in a list as one by one; intermediates do not count', async () => {
      const server = await env.start();
      const a = server.addBoard('A');
      const b = server.addBoard('B');
      const empty = server.addBoard('C');
      server.addImage({ boardId: a.board_id, category: 'mask' });
      server.addImage({ boardId: a.board_id });
      const coverA = server.addImage({ boardId: a.board_id });
      server.addImage({ boardId: a.board_id, isIntermediate: true });
      const coverB = server.addImage({ boardId: b.board_id, category: 'control' });
      const videoB = server.addVideo({ boardId: b.board_id });
      server.addVideo({ boardId: b.board_id, isIntermediate: true });
      server.addImage();
      const expected = {
        [a.board_id]: { image_count: 2, asset_count: 1, video_count: 0, cover_image_name: coverA.image_name, cover_video_name: null },
        [b.board_id]: { image_count: 0, asset_count: 1, video_count: 1, cover_image_name: coverB.image_name, cover_video_name: videoB.video_name },
        [empty.board_id]: { image_count: 0, asset_count: 0, video_count: 0, cover_image_name: null, cover_video_name: null },
      };
      const listed = (await api(server, 'GET', '/api/v1/boards/?all=true')).json as Json[];
      const paged = (await api(server, 'GET', '/api/v1/boards/?offset=1&limit=1')).json;
      expect(paged).toMatchObject({ total: 3, items: [{ board_id: b.board_id }] });
      for (const board of [...listed, ...paged.items, ...server.boards()]) expect(board).toMatchObject(expected[board.board_id]);
      for (const id of Object.keys(expected)) expect((await api(server, 'GET', `/api/v1/boards/${id}`)).json).toMatchObject(expected[id]);
    });

    it('create by query (201), list needs all or paging (400), get/patch(201)/delete, board_images (201)', async () => {
      const server = await env.start();
      const created = await api(server, 'POST', '/api/v1/boards/?board_name=Cats');
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ board_name: 'Cats', image_count: 0, asset_count: 0, archived: false, cover_image_name: null, user_id: 'system' });
      const id = created.json.board_id;
      expect(await api(server, 'GET', '/api/v1/boards/')).toMatchObject({ status: 400, json: { detail: "Invalid request: Must provide either 'all' or both 'offset' and 'limit'" } });
      expect((await api(server, 'GET', '/api/v1/boards/?all=true')).json.map((b: Json) => b.board_id)).toEqual([id]);
      expect((await api(server, 'GET', '/api/v1/boards/?offset=0&limit=5')).json).toMatchObject({ offset: 0, limit: 5, total: 1 });
      expect(await api(server, 'GET', '/api/v1/boards/nope')).toMatchObject({ status: 404, json: { detail: 'Board not found' } });
      const patched = await api(server, 'PATCH', `/api/v1/boards/${id}`, { board_name: 'Dogs' });
      expect(patched.status).toBe(201);
      expect(patched.json.board_name).toBe('Dogs');
      const img = server.addImage();
      const img2 = server.addImage();
      expect(await api(server, 'POST', '/api/v1/board_images/', { board_id: id, image_name: img.image_name })).toMatchObject({ status: 201, json: { added_images: [img.image_name] } });
      expect((await api(server, 'POST', '/api/v1/board_images/batch', { board_id: id, image_names: [img2.image_name] })).status).toBe(201);
      expect((await api(server, 'GET', `/api/v1/boards/${id}/image_names`)).json).toEqual([img.image_name, img2.image_name]);
      expect((await api(server, 'GET', `/api/v1/boards/${id}`)).json.image_count).toBe(2);
      expect(await api(server, 'DELETE', '/api/v1/board_images/', { image_name: img.image_name })).toMatchObject({ status: 201, json: { removed_images: [img.image_name] } });
      expect((await api(server, 'GET', '/api/v1/boards/none/image_names')).json).toEqual([img.image_name]);
      expect((await api(server, 'POST', '/api/v1/board_images/batch/delete', { image_names: [img2.image_name] })).status).toBe(201);
      await api(server, 'POST', '/api/v1/board_images/batch', { board_id: id, image_names: [img2.image_name] });
      const del = await api(server, 'DELETE', `/api/v1/boards/${id}`);
      expect(del.json).toMatchObject({ board_id: id, deleted_board_images: [img2.image_name], deleted_images: [] });
      expect(server.images().find((i) => i.image_name === img2.image_name)?.board_id).toBeNull();
      const b2 = (await api(server, 'POST', '/api/v1/boards/?board_name=X')).json.board_id;
      await api(server, 'POST', '/api/v1/board_images/', { board_id: b2, image_name: img2.image_name });
      expect((await api(server, 'DELETE', `/api/v1/boards/${b2}?include_images=true`)).json.deleted_images).toEqual([img2.image_name]);
      expect(server.images().map((i) => i.image_name)).toEqual([img.image_name]);
    });
  });

  describe('models', () => {
    it('lists with filters, gets by key and by attrs', async () => {
      const server = await env.start();
      const all = (await api(server, 'GET', '/api/v2/models/')).json.models;
      expect(all.length).toBe(server.models().length);
      for (const m of all) for (const k of ['key', 'hash', 'path', 'file_size', 'name', 'description', 'source', 'source_type', 'source_api_response', 'source_url', 'cover_image', 'type', 'format', 'base']) expect(m).toHaveProperty(k);
      const sdxl = (await api(server, 'GET', '/api/v2/models/?base_models=sdxl&base_models=sd-1&model_type=main')).json.models;
      expect(sdxl.map((m: Json) => m.base).sort()).toEqual(['sd-1', 'sdxl']);
      expect((await api(server, 'GET', '/api/v2/models/?model_type=t5_encoder')).json.models).toHaveLength(1);
      const key = all[0].key;
      expect((await api(server, 'GET', `/api/v2/models/i/${key}`)).json.key).toBe(key);
      expect((await api(server, 'GET', '/api/v2/models/i/nope')).status).toBe(404);
      const byAttrs = await api(server, 'GET', `/api/v2/models/get_by_attrs?name=${encodeURIComponent(all[0].name)}&type=${all[0].type}&base=${all[0].base}`);
      expect(byAttrs.json.key).toBe(key);
      expect(await api(server, 'GET', '/api/v2/models/get_by_attrs?name=x&type=main&base=sd-1')).toMatchObject({ status: 404, json: { detail: 'No model found with these attributes' } });
      const added = server.addModel({ name: 'my-lora', type: 'lora', base: 'flux' });
      expect((await api(server, 'GET', '/api/v2/models/?model_name=my-lora')).json.models.map((m: Json) => m.key)).toEqual([added.key]);
    });

    it('accepts a custom model set', async () => {
      const server = await env.start({ models: [{ name: 'only', type: 'main', base: 'sd-1' }] });
      expect((await api(server, 'GET', '/api/v2/models/')).json.models.map((m: Json) => m.name)).toEqual(['only']);
      const g = sd15Graph(server);
      const id = (await enqueue(server, { graph: g, runs: 1 })).json.item_ids[0];
      await waitFor(terminal(server, id));
      expect(server.queueItem(id)?.status).toBe('completed');
    });
  });

  describe('utilities', () => {
    it('expands dynamic prompts combinatorially (capped) or randomly (seeded)', async () => {
      const server = await env.start();
      const comb = await api(server, 'POST', '/api/v1/utilities/dynamicprompts', { prompt: 'a {red|blue} {cat|dog}', max_prompts: 3, combinatorial: true });
      expect(comb.json).toEqual({ prompts: ['a red cat', 'a red dog', 'a blue cat'], error: null });
      const r1 = (await api(server, 'POST', '/api/v1/utilities/dynamicprompts', { prompt: '{x|y|z}', max_prompts: 5, combinatorial: false, seed: 3 })).json.prompts;
      const r2 = (await api(server, 'POST', '/api/v1/utilities/dynamicprompts', { prompt: '{x|y|z}', max_prompts: 5, combinatorial: false, seed: 3 })).json.prompts;
      expect(r1).toHaveLength(5);
      expect(r1).toEqual(r2);
      expect(r1.every((p: string) => ['x', 'y', 'z'].includes(p))).toBe(true);
    });

    it('item_summaries_by_ids returns summaries in request order', async () => {
      const server = await env.start();
      server.faults.pauseProcessor();
      const ids = (await enqueue(server, { graph: tinyGraph, runs: 2, origin: 'o' })).json.item_ids;
      const r = await api(server, 'POST', '/api/v1/queue/default/item_summaries_by_ids', { item_ids: ids });
      expect(r.json.map((x: Json) => x.item_id)).toEqual(ids);
      expect(Object.keys(r.json[0]).sort()).toEqual(
        ['item_id', 'created_at', 'status', 'device', 'started_at', 'completed_at', 'origin', 'destination', 'batch_id', 'user_id', 'user_display_name', 'user_email', 'field_values', 'parent_item_id'].sort(),
      );
      expect(r.json[0]).toMatchObject({ status: 'pending', origin: 'o', user_id: 'system' });
    });
  });

  describe('workflows library', () => {
    it('can be seeded at start, keeping ids and categories', async () => {
      const server = await env.start({
        workflows: [{ id: 'default_abc', name: 'Shipped', description: '', tags: '', meta: { version: '4.0.0', category: 'default' }, nodes: [], edges: [] }],
      });
      const list = (await api(server, 'GET', '/api/v1/workflows/?categories=default')).json;
      expect(list.items.map((w: Json) => [w.workflow_id, w.category])).toEqual([['default_abc', 'default']]);
      expect((await api(server, 'GET', '/api/v1/workflows/?categories=user')).json.total).toBe(0);
      expect((await api(server, 'GET', '/api/v1/workflows/i/default_abc')).json.workflow.id).toBe('default_abc');
    });

    it('create, list (paginated), get, patch, delete', async () => {
      const server = await env.start();
      const wf = { name: 'Mine', description: 'd', tags: 't', meta: { version: '4.0.0', category: 'user' }, nodes: [], edges: [] };
      const created = await api(server, 'POST', '/api/v1/workflows/', { workflow: wf });
      expect(created.status).toBe(200);
      const id = created.json.workflow_id;
      expect(created.json.workflow.id).toBe(id);
      const list = (await api(server, 'GET', '/api/v1/workflows/?page=0&per_page=10')).json;
      expect(list).toMatchObject({ page: 0, pages: 1, per_page: 10, total: 1 });
      expect(list.items[0]).toMatchObject({ workflow_id: id, name: 'Mine', category: 'user', description: 'd' });
      expect((await api(server, 'GET', `/api/v1/workflows/i/${id}`)).json.workflow.name).toBe('Mine');
      expect((await api(server, 'PATCH', `/api/v1/workflows/i/${id}`, { workflow: { ...wf, id, name: 'Renamed' } })).json.name).toBe('Renamed');
      expect((await api(server, 'DELETE', `/api/v1/workflows/i/${id}`)).status).toBe(200);
      expect((await api(server, 'GET', `/api/v1/workflows/i/${id}`)).status).toBe(404);
    });
  });
});
