// Videos on the simulator: a Wan 2.2 run records a real video, and the `/api/v1/videos/*` routes
// serve it as InvokeAI's schema says. Plain fetch only (no library client).
import { MockServer, startMockServer } from '../../lib/testing';
import { readFileSync } from 'fs';
import * as path from 'path';
import { Workflow } from '../../lib/workflow/workflow';
import { buildBatch } from '../../lib/workflow/batch';
import { Json, api, terminal, waitFor } from './helpers';
import { wanTextToVideoJson } from './video-helpers';

// InvokeAI's whole document (the simulator keeps only the node schemas): the DTOs' schemas are here.
const schemas = (JSON.parse(readFileSync(path.join(__dirname, '../../lib/testing/data/openapi.json'), 'utf8')) as Json).components.schemas as Json;

/** Runs the workflow to its end; answers the finished queue item and the `wan_l2v` result. */
const runVideo = async (server: MockServer, json: Json): Promise<{ item: Json; video: Json; preparedId: string }> => {
  const batch = buildBatch(Workflow.fromJson(JSON.stringify(json)));
  const res = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch });
  expect(res.status).toBe(200);
  const id = res.json.item_ids[0];
  await waitFor(terminal(server, id), 'video item', 20000);
  const item = server.queueItem(id) as Json;
  expect(item.status).toBe('completed');
  const [preparedId, video] = Object.entries(item.session.results as Record<string, Json>).find(([, r]) => r.type === 'video_output') ?? [];
  if (!preparedId) throw new Error('no video_output');
  return { item, video, preparedId };
};

const bytesOf = async (server: MockServer, p: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}${p}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
};

/** The boxes at the top level of an MP4 (or inside one box's payload): type, offset and size. */
const boxes = (b: Buffer, start = 0, end = b.length) => {
  const out: Array<{ type: string; at: number; size: number }> = [];
  for (let at = start; at + 8 <= end; ) {
    const size = b.readUInt32BE(at);
    out.push({ type: b.toString('latin1', at + 4, at + 8), at, size });
    if (size < 8) break;
    at += size;
  }
  return out;
};

describe('videos on the simulator', () => {
  let server: MockServer;
  beforeEach(async () => {
    server = await startMockServer({ stepMs: 0, steps: 1 });
  });
  afterEach(() => server.close());

  it('a Wan text-to-video run records the video its result names, with the size, frame rate and duration of the graph', async () => {
    const board = server.addBoard('clips');
    const { item, video, preparedId } = await runVideo(server, wanTextToVideoJson(server, { boardId: board.board_id, width: 320, height: 192, numFrames: 33, fps: 8 }));
    expect(video).toEqual({ type: 'video_output', video: { video_name: expect.stringMatching(/^[0-9a-f-]{36}\.mp4$/) }, width: 320, height: 192, num_frames: 33, fps: 8, duration: 33 / 8 });
    const name: string = video.video.video_name;
    const dto = await api(server, 'GET', `/api/v1/videos/i/${name}`);
    expect(dto.status).toBe(200);
    expect(dto.json).toEqual({
      video_name: name,
      video_url: `api/v1/videos/i/${name}/full`,
      thumbnail_url: `api/v1/videos/i/${name}/thumbnail`,
      video_origin: 'internal',
      video_category: 'general',
      width: 320,
      height: 192,
      duration: 33 / 8,
      fps: 8,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/),
      updated_at: expect.any(String),
      deleted_at: null,
      is_intermediate: false,
      session_id: item.session_id,
      node_id: preparedId,
      starred: false,
      has_workflow: true,
      video_subfolder: '',
      board_id: board.board_id,
    });
    // every key the schema names, and every required one
    expect(Object.keys(dto.json).sort()).toEqual(Object.keys(schemas.VideoDTO.properties).sort());
    // the board counts it and shows it as cover
    expect(await api(server, 'GET', `/api/v1/boards/${board.board_id}`)).toMatchObject({ json: { video_count: 1, cover_video_name: name, image_count: 0 } });
    expect(server.videos().map((v) => v.video_name)).toEqual([name]);
  });

  it('serves a structurally valid MP4 whose movie header holds the duration, with byte ranges', async () => {
    const { video } = await runVideo(server, wanTextToVideoJson(server, { width: 320, height: 192, numFrames: 33, fps: 8 }));
    const name: string = video.video.video_name;
    const full = await bytesOf(server, `/api/v1/videos/i/${name}/full`);
    expect(full.status).toBe(200);
    expect(full.headers.get('content-type')).toBe('video/mp4');
    expect(full.headers.get('accept-ranges')).toBe('bytes');
    expect(full.bytes.equals(server.videoBytes(name)!)).toBe(true);
    const top = boxes(full.bytes);
    expect(top.map((b) => b.type)).toEqual(['ftyp', 'moov', 'free']);
    expect(top.reduce((n, b) => n + b.size, 0)).toBe(full.bytes.length);
    expect(full.bytes.toString('latin1', 8, 12)).toBe('isom');
    const moov = top[1];
    const inner = boxes(full.bytes, moov.at + 8, moov.at + moov.size);
    expect(inner.map((b) => b.type)).toEqual(['mvhd', 'trak']);
    const mvhd = inner[0].at;
    const timescale = full.bytes.readUInt32BE(mvhd + 20);
    expect(full.bytes.readUInt32BE(mvhd + 24) / timescale).toBe(33 / 8);
    const tkhd = boxes(full.bytes, inner[1].at + 8, inner[1].at + inner[1].size)[0];
    expect(tkhd.type).toBe('tkhd');
    expect([full.bytes.readUInt32BE(tkhd.at + 84) / 65536, full.bytes.readUInt32BE(tkhd.at + 88) / 65536]).toEqual([320, 192]);

    const part = await bytesOf(server, `/api/v1/videos/i/${name}/full`, { range: 'bytes=4-11' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 4-11/${full.bytes.length}`);
    expect(part.bytes.toString('latin1')).toBe('ftypisom');
    const tail = await bytesOf(server, `/api/v1/videos/i/${name}/full`, { range: 'bytes=-4' });
    expect(tail.bytes.equals(full.bytes.subarray(-4))).toBe(true);
    expect((await bytesOf(server, `/api/v1/videos/i/${name}/full`, { range: `bytes=${full.bytes.length}-` })).status).toBe(416);
    const head = await fetch(`${server.url}/api/v1/videos/i/${name}/full`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(full.bytes.length)]);
  });

  it('serves a WebP thumbnail with the aspect ratio of the video, its URLs, metadata and workflow', async () => {
    const { item, video } = await runVideo(server, wanTextToVideoJson(server, { width: 320, height: 192 }));
    const name: string = video.video.video_name;
    const thumb = await bytesOf(server, `/api/v1/videos/i/${name}/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    expect([thumb.bytes.toString('latin1', 0, 4), thumb.bytes.toString('latin1', 8, 16)]).toEqual(['RIFF', 'WEBPVP8L']);
    expect(thumb.bytes.readUInt32LE(4)).toBe(thumb.bytes.length - 8);
    // VP8L header: signature 0x2f, then 14-bit width-1 and height-1, least significant bit first
    expect(thumb.bytes[20]).toBe(0x2f);
    const bits = thumb.bytes.readUInt32LE(21);
    expect([(bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1]).toEqual([256, 154]);
    expect((await api(server, 'GET', `/api/v1/videos/i/${name}/urls`)).json).toEqual({ video_name: name, video_url: `api/v1/videos/i/${name}/full`, thumbnail_url: `api/v1/videos/i/${name}/thumbnail` });
    expect(await api(server, 'GET', `/api/v1/videos/i/${name}/metadata`)).toMatchObject({ status: 200, json: null });
    const wf = (await api(server, 'GET', `/api/v1/videos/i/${name}/workflow`)).json;
    // the graph as the server ran it (the queue item's copy is served without its null fields)
    const graph = JSON.parse(wf.graph);
    expect(graph.id).toBe(item.session.graph.id);
    expect(Object.keys(graph.nodes).sort()).toEqual(Object.keys(item.session.graph.nodes).sort());
    expect(JSON.parse(wf.workflow).name).toBe('Text to Video - Wan 2.2 Lightning');
  });

  it('an intermediate video node records an intermediate video, hidden from the board count', async () => {
    const board = server.addBoard('b');
    const { video } = await runVideo(server, wanTextToVideoJson(server, { boardId: board.board_id, intermediate: true }));
    expect((await api(server, 'GET', `/api/v1/videos/i/${video.video.video_name}`)).json).toMatchObject({ is_intermediate: true, board_id: board.board_id, width: 832, height: 480, fps: 16, duration: 81 / 16 });
    expect((await api(server, 'GET', `/api/v1/boards/${board.board_id}`)).json).toMatchObject({ video_count: 0, cover_video_name: null });
  });

  it('video primitives pass their stored video through; video_concat records a new video as long as its inputs', async () => {
    const board = server.addBoard('cuts');
    const a = server.addVideo({ width: 200, height: 100, fps: 16, duration: 1 }).video_name;
    const b = server.addVideo({ width: 200, height: 100, fps: 16, duration: 2 }).video_name;
    const graph = {
      id: 'concat',
      nodes: {
        va: { id: 'va', type: 'video', video: { video_name: a }, is_intermediate: true },
        vb: { id: 'vb', type: 'video', video: { video_name: b }, is_intermediate: true },
        col: { id: 'col', type: 'collect', is_intermediate: true },
        cat: { id: 'cat', type: 'video_concat', is_intermediate: false, board: { board_id: board.board_id } },
      },
      edges: [
        { source: { node_id: 'va', field: 'video' }, destination: { node_id: 'col', field: 'item' } },
        { source: { node_id: 'vb', field: 'video' }, destination: { node_id: 'col', field: 'item' } },
        { source: { node_id: 'col', field: 'collection' }, destination: { node_id: 'cat', field: 'videos' } },
      ],
    };
    const res = await api(server, 'POST', '/api/v1/queue/default/enqueue_batch', { batch: { graph, runs: 1 } });
    expect(res.status).toBe(200);
    await waitFor(terminal(server, res.json.item_ids[0]), 'concat item');
    const item = server.queueItem(res.json.item_ids[0]) as Json;
    expect(item.status).toBe('completed');
    const results = Object.entries(item.session.results as Record<string, Json>).map(([prepared, r]) => ({ source: item.session.prepared_source_mapping[prepared], r }));
    expect(results.find((x) => x.source === 'va')?.r).toEqual({ type: 'video_output', video: { video_name: a }, width: 200, height: 100, num_frames: 16, fps: 16, duration: 1 });
    const cat = results.find((x) => x.source === 'cat')?.r;
    expect(cat).toMatchObject({ width: 200, height: 100, num_frames: 48, fps: 16, duration: 3 });
    expect([a, b]).not.toContain(cat.video.video_name);
    expect((await api(server, 'GET', `/api/v1/videos/i/${cat.video.video_name}`)).json).toMatchObject({ board_id: board.board_id, duration: 3, fps: 16, width: 200 });
    expect(server.videos()).toHaveLength(3);
  });

  it('every route on an unknown video answers 404; malformed bodies and queries answer 422', async () => {
    for (const p of ['', '/full', '/thumbnail', '/urls', '/metadata', '/workflow'])
      expect(await api(server, 'GET', `/api/v1/videos/i/nope.mp4${p}`)).toMatchObject({ status: 404, json: { detail: 'Not Found' } });
    expect((await api(server, 'PATCH', '/api/v1/videos/i/nope.mp4', { starred: true })).status).toBe(404);
    expect(await api(server, 'POST', '/api/v1/videos/star', {})).toMatchObject({ status: 422, json: { detail: [{ type: 'missing', loc: ['body', 'video_names'] }] } });
    expect(await api(server, 'POST', '/api/v1/videos/delete', { video_names: Array.from({ length: 1001 }, (_, i) => `${i}.mp4`) })).toMatchObject({
      status: 422,
      json: { detail: [{ type: 'too_long', loc: ['body', 'video_names'] }] },
    });
    expect(await api(server, 'POST', '/api/v1/videos/board', { video_name: 'x.mp4' })).toMatchObject({ status: 422, json: { detail: [{ loc: ['body', 'board_id'] }] } });
    expect(await api(server, 'GET', '/api/v1/videos/?order_dir=UP')).toMatchObject({ status: 422, json: { detail: [{ type: 'enum', loc: ['query', 'order_dir'] }] } });
    expect(await api(server, 'GET', '/api/v1/videos/?limit=1001')).toMatchObject({ status: 422, json: { detail: [{ type: 'less_than_equal', loc: ['query', 'limit'] }] } });
    expect(await api(server, 'GET', '/api/v1/videos/names?categories=film')).toMatchObject({ status: 422, json: { detail: [{ type: 'enum', loc: ['query', 'categories', 0] }] } });
    expect(await api(server, 'PATCH', `/api/v1/videos/i/${server.addVideo().video_name}`, { video_category: 'film' })).toMatchObject({ status: 422 });
  });

  it('lists and names videos with the filters, order, paging and starred-first of the image routes', async () => {
    const board = server.addBoard('b');
    const a = server.addVideo({ boardId: board.board_id }).video_name;
    const b = server.addVideo().video_name;
    const c = server.addVideo({ isIntermediate: true }).video_name;
    const d = server.addVideo({ category: 'user' }).video_name;
    const names = async (q: string) => (await api(server, 'GET', `/api/v1/videos/names${q}`)).json;
    expect(await names('')).toEqual({ video_names: [d, c, b, a], starred_count: 0, total_count: 4 });
    expect((await names('?order_dir=ASC')).video_names).toEqual([a, b, c, d]);
    expect((await names(`?board_id=${board.board_id}`)).video_names).toEqual([a]);
    expect((await names('?board_id=none')).video_names).toEqual([d, c, b]);
    expect((await names('?is_intermediate=false')).video_names).toEqual([d, b, a]);
    expect((await names('?categories=user&categories=other')).video_names).toEqual([d]);
    expect((await names(`?search_term=${b.slice(0, 8)}`)).video_names).toEqual([b]);
    const starred = await api(server, 'POST', '/api/v1/videos/star', { video_names: [b] });
    expect(starred.json).toEqual({ affected_boards: ['none'], starred_videos: [b], failed_videos: [] });
    expect(await names('')).toEqual({ video_names: [b, d, c, a], starred_count: 1, total_count: 4 });
    expect((await names('?starred_first=false')).video_names).toEqual([d, c, b, a]);
    const page = (await api(server, 'GET', '/api/v1/videos/?offset=1&limit=2')).json;
    expect(page).toMatchObject({ offset: 1, limit: 2, total: 4 });
    expect(page.items.map((v: Json) => v.video_name)).toEqual([d, c]);
    expect((await api(server, 'GET', '/api/v1/videos/')).json).toMatchObject({ limit: 10, offset: 0, total: 4 });
  });

  it('stars, unstars and updates a video; unknown names are reported as failed', async () => {
    const v = server.addVideo().video_name;
    expect((await api(server, 'POST', '/api/v1/videos/star', { video_names: [v, 'gone.mp4'] })).json).toEqual({ affected_boards: ['none'], starred_videos: [v], failed_videos: ['gone.mp4'] });
    expect((await api(server, 'GET', `/api/v1/videos/i/${v}`)).json.starred).toBe(true);
    expect((await api(server, 'POST', '/api/v1/videos/unstar', { video_names: [v] })).json).toEqual({ affected_boards: ['none'], unstarred_videos: [v], failed_videos: [] });
    expect((await api(server, 'GET', `/api/v1/videos/i/${v}`)).json.starred).toBe(false);
    const patched = await api(server, 'PATCH', `/api/v1/videos/i/${v}`, { video_category: 'user', is_intermediate: true, starred: true, session_id: 's1' });
    expect(patched).toMatchObject({ status: 200, json: { video_name: v, video_category: 'user', is_intermediate: true, starred: true, session_id: 's1' } });
    expect((await api(server, 'GET', `/api/v1/videos/i/${v}`)).json).toEqual(patched.json);
  });

  it('moves a video onto a board and off it again, and a board deletion uncategorizes or deletes its videos', async () => {
    const one = server.addBoard('one');
    const two = server.addBoard('two');
    const v = server.addVideo().video_name;
    expect(await api(server, 'POST', '/api/v1/videos/board', { board_id: one.board_id, video_name: v })).toEqual(
      expect.objectContaining({ status: 200, json: { affected_boards: [one.board_id, 'none'], added_videos: [v] } }),
    );
    expect((await api(server, 'POST', '/api/v1/videos/board', { board_id: two.board_id, video_name: v })).json).toEqual({ affected_boards: [two.board_id, one.board_id], added_videos: [v] });
    expect((await api(server, 'GET', `/api/v1/boards/${two.board_id}`)).json).toMatchObject({ video_count: 1, cover_video_name: v });
    expect((await api(server, 'GET', `/api/v1/boards/${one.board_id}`)).json).toMatchObject({ video_count: 0, cover_video_name: null });
    expect(await api(server, 'POST', '/api/v1/videos/board', { board_id: 'no-board', video_name: v })).toMatchObject({ status: 404, json: { detail: 'Board not found' } });
    expect((await api(server, 'DELETE', '/api/v1/videos/board', { video_name: v })).json).toEqual({ affected_boards: [two.board_id, 'none'], removed_videos: [v] });
    expect((await api(server, 'GET', `/api/v1/videos/i/${v}`)).json.board_id).toBeNull();
    expect((await api(server, 'DELETE', '/api/v1/videos/board', { video_name: 'gone.mp4' })).json).toEqual({ affected_boards: [], removed_videos: [] });

    const kept = server.addVideo({ boardId: one.board_id }).video_name;
    expect((await api(server, 'DELETE', `/api/v1/boards/${one.board_id}`)).json).toMatchObject({ deleted_board_videos: [kept], deleted_videos: [] });
    expect((await api(server, 'GET', `/api/v1/videos/i/${kept}`)).json.board_id).toBeNull();
    const gone = server.addVideo({ boardId: two.board_id }).video_name;
    expect((await api(server, 'DELETE', `/api/v1/boards/${two.board_id}?include_images=true`)).json).toMatchObject({ deleted_board_videos: [gone], deleted_videos: [gone] });
    expect((await api(server, 'GET', `/api/v1/videos/i/${gone}`)).status).toBe(404);
  });

  it('deletes videos one by one, by list and all uncategorized ones', async () => {
    const board = server.addBoard('b');
    const [a, b, c] = [server.addVideo(), server.addVideo(), server.addVideo()].map((v) => v.video_name);
    const onBoard = server.addVideo({ boardId: board.board_id }).video_name;
    expect((await api(server, 'DELETE', `/api/v1/videos/i/${a}`)).json).toEqual({ affected_boards: ['none'], deleted_videos: [a], failed_videos: [] });
    expect((await api(server, 'GET', `/api/v1/videos/i/${a}`)).status).toBe(404);
    expect((await api(server, 'POST', '/api/v1/videos/delete', { video_names: [b, a] })).json).toEqual({ affected_boards: ['none'], deleted_videos: [b], failed_videos: [a] });
    expect((await api(server, 'DELETE', '/api/v1/videos/uncategorized')).json).toEqual({ affected_boards: ['none'], deleted_videos: [c], failed_videos: [] });
    expect(server.videos().map((v) => v.video_name)).toEqual([onBoard]);
  });

  it('uploads an MP4, reading its size and duration from its header; refuses what is not a video', async () => {
    const source = server.addVideo({ width: 100, height: 60, duration: 2.5 });
    const upload = async (bytes: Buffer, type: string, query = 'video_category=user&is_intermediate=false') => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)], { type }), 'clip.mp4');
      form.append('metadata', JSON.stringify({ note: 'hi' }));
      const res = await fetch(`${server.url}/api/v1/videos/upload?${query}`, { method: 'POST', body: form });
      return { status: res.status, json: (await res.json()) as Json };
    };
    const r = await upload(server.videoBytes(source.video_name)!, 'video/mp4');
    expect(r).toMatchObject({ status: 201, json: { video_name: expect.stringMatching(/\.mp4$/), width: 100, height: 60, duration: 2.5, fps: null, video_origin: 'external', video_category: 'user' } });
    expect((await api(server, 'GET', `/api/v1/videos/i/${r.json.video_name}/metadata`)).json).toEqual({ note: 'hi' });
    expect((await upload(Buffer.from('not a video'), 'video/mp4')).status).toBe(415);
    expect((await upload(server.videoBytes(source.video_name)!, 'image/png')).status).toBe(415);
    expect(await upload(server.videoBytes(source.video_name)!, 'video/mp4', 'is_intermediate=false')).toMatchObject({ status: 422, json: { detail: [{ loc: ['query', 'video_category'] }] } });
  });

  it('in multi-user mode a user lists and changes only their own videos; the media cookie opens the bytes', async () => {
    await server.close();
    server = await startMockServer({ multiUser: { users: [{ email: 'bob@x.io', password: 'pw-bob' }, { email: 'carol@x.io', password: 'pw-carol' }] } });
    const login = async (email: string, password: string) => {
      const res = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
      return { token: ((await res.json()) as Json).token as string, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] };
    };
    const bob = await login('bob@x.io', 'pw-bob');
    const carol = await login('carol@x.io', 'pw-carol');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(server.videoBytes(server.addVideo().video_name)!)], { type: 'video/mp4' }), 'clip.mp4');
    const up = await fetch(`${server.url}/api/v1/videos/upload?video_category=general&is_intermediate=false`, { method: 'POST', body: form, headers: { authorization: `Bearer ${bob.token}` } });
    const name = ((await up.json()) as Json).video_name;
    const as = (t: string) => ({ authorization: `Bearer ${t}` });
    expect((await api(server, 'GET', '/api/v1/videos/names', undefined, as(bob.token))).json.video_names).toEqual([name]);
    expect((await api(server, 'GET', '/api/v1/videos/names', undefined, as(carol.token))).json.video_names).toEqual([]);
    expect((await api(server, 'POST', '/api/v1/videos/delete', { video_names: [name] }, as(carol.token))).json).toEqual({ affected_boards: [], deleted_videos: [], failed_videos: [name] });
    expect((await api(server, 'DELETE', '/api/v1/videos/uncategorized', undefined, as(carol.token))).json.deleted_videos).toEqual([]);
    expect((await bytesOf(server, `/api/v1/videos/i/${name}/full`)).status).toBe(401);
    expect((await bytesOf(server, `/api/v1/videos/i/${name}/full`, { cookie: bob.cookie })).status).toBe(200);
    expect((await api(server, 'POST', '/api/v1/videos/delete', { video_names: [name] }, as(bob.token))).json.deleted_videos).toEqual([name]);
  });
});
