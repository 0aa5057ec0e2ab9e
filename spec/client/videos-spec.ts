import { HttpError } from '../../lib/transport/errors';
import { sniffVideoType, videos } from '../../lib/client/videos';
import { NotFoundError } from '../../lib/client/resource';
import type { MockServer } from '../../lib/testing';
import { Workflow } from '../../lib/workflow/workflow';
import { SimClient, png, requestsTo, startSim } from './sim-helpers';
import { WanTextToVideoOptions, wanTextToVideoJson } from '../testing/video-helpers';
import { boards } from '../../lib/client/boards';

/** The Wan 2.2 text-to-video default workflow with the simulator's Wan models filled in. */
const wanTextToVideo = (server: MockServer, o: WanTextToVideoOptions = {}): Workflow => Workflow.fromJson(JSON.stringify(wanTextToVideoJson(server, o)));

describe('videos(client)', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('the video a Wan run reports resolves to its record and downloads as the server\'s MP4 and WebP thumbnail', async () => {
    const board = await boards(sim.client).create('clips');
    const result = await sim.client.submit(wanTextToVideo(sim.server, { boardId: board.board_id, numFrames: 49, fps: 16 }));
    const [video] = result.items[0].outputs.flatMap((o) => o.videos);
    expect(video).toMatchObject({ width: 832, height: 480, numFrames: 49, fps: 16, duration: 49 / 16 });
    const dto = await videos(sim.client).get(video.videoName);
    expect(dto).toMatchObject({ video_name: video.videoName, width: 832, height: 480, fps: 16, duration: 49 / 16, board_id: board.board_id, is_intermediate: false, has_workflow: true });
    const mp4 = await videos(sim.client).download(video.videoName);
    expect(Buffer.from(mp4).equals(sim.server.videoBytes(video.videoName)!)).toBe(true);
    expect(sniffVideoType(mp4)).toBe('video/mp4');
    const thumb = Buffer.from(await videos(sim.client).download(video.videoName, { thumbnail: true }));
    expect([thumb.toString('latin1', 0, 4), thumb.toString('latin1', 8, 12)]).toEqual(['RIFF', 'WEBP']);
    const made = await videos(sim.client).workflow(video.videoName);
    expect(made.workflow?.json.name).toBe('Text to Video - Wan 2.2 Lightning');
    expect(made.graph).toMatchObject({ nodes: expect.any(Object) });
    await expect(videos(sim.client).metadata(video.videoName)).resolves.toBeNull();
    expect((await boards(sim.client).get(board.board_id))?.video_count).toBe(1);
  });

  it('urls() are absolute under baseUrl, and fetching them gives the same bytes', async () => {
    const v = sim.server.addVideo();
    const urls = await videos(sim.client).urls(v.video_name);
    expect(urls).toEqual({
      video_name: v.video_name,
      video_url: `${sim.server.url}/api/v1/videos/i/${v.video_name}/full`,
      thumbnail_url: `${sim.server.url}/api/v1/videos/i/${v.video_name}/thumbnail`,
    });
    expect(Buffer.from(await (await fetch(urls.video_url)).arrayBuffer()).equals(sim.server.videoBytes(v.video_name)!)).toBe(true);
  });

  it('get() answers null for an unknown video; calls on a named video throw NotFoundError', async () => {
    await expect(videos(sim.client).get('nope.mp4')).resolves.toBeNull();
    for (const call of [
      () => videos(sim.client).download('nope.mp4'),
      () => videos(sim.client).download('nope.mp4', { thumbnail: true }),
      () => videos(sim.client).urls('nope.mp4'),
      () => videos(sim.client).metadata('nope.mp4'),
      () => videos(sim.client).workflow('nope.mp4'),
      () => videos(sim.client).update('nope.mp4', { starred: true }),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ name: 'NotFoundError', resource: 'video', id: 'nope.mp4', status: 404 });
      expect((error as Error).message).toContain('no video "nope.mp4"');
    }
  });

  it('lists and names videos with filters and paging, newest and starred first', async () => {
    const board = sim.server.addBoard('b');
    const a = sim.server.addVideo({ boardId: board.board_id }).video_name;
    const b = sim.server.addVideo().video_name;
    const c = sim.server.addVideo({ isIntermediate: true, category: 'user' }).video_name;
    await videos(sim.client).star(a);
    const page = await videos(sim.client).list({ limit: 2 });
    expect(page).toMatchObject({ limit: 2, offset: 0, total: 3 });
    expect(page.items.map((v) => v.video_name)).toEqual([a, c]);
    expect((await videos(sim.client).list({ offset: 2, limit: 2 })).items.map((v) => v.video_name)).toEqual([b]);
    expect(await videos(sim.client).names()).toEqual({ video_names: [a, c, b], starred_count: 1, total_count: 3 });
    expect((await videos(sim.client).names({ board: 'none', order: 'ASC' })).video_names).toEqual([b, c]);
    expect((await videos(sim.client).names({ board: board.board_id })).video_names).toEqual([a]);
    expect((await videos(sim.client).names({ intermediate: false, starred_first: false })).video_names).toEqual([b, a]);
    expect((await videos(sim.client).names({ categories: ['user'] })).video_names).toEqual([c]);
  });

  it('a list record that does not decode is left out and reported', async () => {
    const v = sim.server.addVideo().video_name;
    const seen: unknown[] = [];
    const sub = sim.client.resourceDiagnostics$.subscribe((d) => seen.push(d));
    sim.server.faults.failRequests({ path: '/api/v1/videos/', status: 200, body: { limit: 10, offset: 0, total: 2, items: [{ video_name: 'odd' }, sim.server.videos()[0]] } });
    const page = await videos(sim.client).list();
    sub.unsubscribe();
    expect(page.items.map((x) => x.video_name)).toEqual([v]);
    expect(seen).toEqual([expect.objectContaining({ type: 'undecodable_item', endpoint: 'GET /api/v1/videos/', index: 0 })]);
  });

  it('stars, unstars and updates; unknown names come back as failed', async () => {
    const v = sim.server.addVideo().video_name;
    await expect(videos(sim.client).star([v, 'gone.mp4'])).resolves.toEqual({ videos: [v], failed: ['gone.mp4'], affectedBoards: ['none'] });
    expect((await videos(sim.client).get(v))?.starred).toBe(true);
    await expect(videos(sim.client).unstar(v)).resolves.toEqual({ videos: [v], failed: [], affectedBoards: ['none'] });
    const updated = await videos(sim.client).update(v, { category: 'user', intermediate: true, sessionId: 's-1' });
    expect(updated).toMatchObject({ video_category: 'user', is_intermediate: true, session_id: 's-1', starred: false });
    expect(sim.server.videos()[0]).toMatchObject({ video_category: 'user', is_intermediate: true });
  });

  it('a bad category is the server\'s 422 with readable issues, and is not retried', async () => {
    const v = sim.server.addVideo().video_name;
    const error = await videos(sim.client).update(v, { category: 'film' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 422, issues: [expect.objectContaining({ loc: 'body.video_category' })] });
    expect(requestsTo(sim.server, 'PATCH', '/api/v1/videos/i/')).toHaveLength(1);
  });

  it('idempotent calls are retried after a 503, POSTs never', async () => {
    const v = sim.server.addVideo().video_name;
    sim.server.faults.failRequests({ path: `/api/v1/videos/i/${v}/full`, status: 503 });
    expect(Buffer.from(await videos(sim.client).download(v)).equals(sim.server.videoBytes(v)!)).toBe(true);
    expect(requestsTo(sim.server, 'GET', `/api/v1/videos/i/${v}/full`)).toHaveLength(2);
    sim.server.faults.failRequests({ path: '/api/v1/videos/delete', status: 503 });
    await expect(videos(sim.client).delete(v)).rejects.toMatchObject({ status: 503 });
    expect(requestsTo(sim.server, 'POST', '/api/v1/videos/delete')).toHaveLength(1);
    expect(sim.server.videos()).toHaveLength(1);
  });

  it('moves videos onto a board and off it; "none" uncategorizes; an unknown board is NotFoundError', async () => {
    const one = sim.server.addBoard('one');
    const [a, b] = [sim.server.addVideo(), sim.server.addVideo()].map((v) => v.video_name);
    await expect(videos(sim.client).addToBoard(one.board_id, [a, b, 'gone.mp4'])).resolves.toEqual({ added_videos: [a, b], affected_boards: [one.board_id, 'none'] });
    expect((await boards(sim.client).get(one.board_id))?.video_count).toBe(2);
    await expect(videos(sim.client).removeFromBoard(a)).resolves.toEqual({ removed_videos: [a], affected_boards: [one.board_id, 'none'] });
    await expect(videos(sim.client).addToBoard('none', b)).resolves.toEqual({ added_videos: [b], affected_boards: [one.board_id, 'none'] });
    expect((await videos(sim.client).names({ board: 'none' })).video_names.sort()).toEqual([a, b].sort());
    await expect(videos(sim.client).addToBoard('no-such-board', a)).rejects.toMatchObject({ name: 'NotFoundError', resource: 'board', id: 'no-such-board' });
  });

  it('deletes by name and all uncategorized videos, answering what was deleted and what failed', async () => {
    const board = sim.server.addBoard('keep');
    const [a, b] = [sim.server.addVideo(), sim.server.addVideo()].map((v) => v.video_name);
    const kept = sim.server.addVideo({ boardId: board.board_id }).video_name;
    await expect(videos(sim.client).delete([a, 'gone.mp4'])).resolves.toEqual({ deleted_videos: [a], failed_videos: ['gone.mp4'], affected_boards: ['none'] });
    await expect(videos(sim.client).deleteUncategorized()).resolves.toEqual({ deleted_videos: [b], failed_videos: [], affected_boards: ['none'] });
    expect(sim.server.videos().map((v) => v.video_name)).toEqual([kept]);
  });

  it('deletes 1500 videos in one call: the names go in batches of at most 1000, in order, and the answers are merged', async () => {
    const board = sim.server.addBoard('many');
    const all = Array.from({ length: 1500 }, (_, i) => sim.server.addVideo(i % 2 === 0 ? { boardId: board.board_id } : {}).video_name);
    const names = [...all.slice(0, 1200), 'gone-1.mp4', ...all.slice(1200), 'gone-2.mp4'];
    const result = await videos(sim.client).delete(names);
    expect(result.deleted_videos).toEqual(all);
    expect(result.failed_videos).toEqual(['gone-1.mp4', 'gone-2.mp4']);
    // both boards are hit in both batches, and named once each
    expect([...result.affected_boards].sort()).toEqual([board.board_id, 'none'].sort());
    expect(sim.server.videos()).toEqual([]);
    const sent = requestsTo(sim.server, 'POST', '/api/v1/videos/delete');
    expect(sent).toHaveLength(2);
    expect((await videos(sim.client).names()).total_count).toBe(0);
    expect((await boards(sim.client).get(board.board_id))?.video_count).toBe(0);
  });

  it('stars and unstars 1001 videos in one call each; 1000 names or fewer are one request', async () => {
    const all = Array.from({ length: 1001 }, () => sim.server.addVideo().video_name);
    const starred = await videos(sim.client).star(all);
    expect(starred).toEqual({ videos: all, failed: [], affectedBoards: ['none'] });
    expect(sim.server.videos().every((v) => v.starred)).toBe(true);
    expect((await videos(sim.client).names()).starred_count).toBe(1001);
    expect(requestsTo(sim.server, 'POST', '/api/v1/videos/star')).toHaveLength(2);
    const unstarred = await videos(sim.client).unstar(all.slice(0, 1000));
    expect(unstarred).toEqual({ videos: all.slice(0, 1000), failed: [], affectedBoards: ['none'] });
    expect(requestsTo(sim.server, 'POST', '/api/v1/videos/unstar')).toHaveLength(1);
    expect(sim.server.videos().filter((v) => v.starred).map((v) => v.video_name)).toEqual([all[1000]]);
    await expect(videos(sim.client).unstar([...all, 'gone.mp4'])).resolves.toMatchObject({ failed: ['gone.mp4'] });
    expect((await videos(sim.client).names()).starred_count).toBe(0);
  });

  it('a batch the server refuses stops the call: the batches before it stay done, none after it is sent', async () => {
    const all = Array.from({ length: 1002 }, () => sim.server.addVideo().video_name);
    // the second batch holds a name longer than the server's 255 characters: a 422 for that batch only
    const names = [...all.slice(0, 1000), 'x'.repeat(256), ...all.slice(1000), ...Array.from({ length: 998 }, (_, i) => `gone-${i}.mp4`), all[1001]];
    const error = await videos(sim.client).delete(names).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HttpError', status: 422 });
    expect(requestsTo(sim.server, 'POST', '/api/v1/videos/delete')).toHaveLength(2);
    expect(sim.server.videos().map((v) => v.video_name)).toEqual(all.slice(1000));
  });

  it('uploads an MP4 with its content type read from the bytes; refuses an image with 415, sent once', async () => {
    const board = sim.server.addBoard('up');
    const source = sim.server.addVideo({ width: 40, height: 30, duration: 3 });
    const dto = await videos(sim.client).upload(new Blob([new Uint8Array(sim.server.videoBytes(source.video_name)!)], { type: 'text/plain' }), {
      board: board.board_id,
      metadata: { take: 2 },
    });
    expect(dto).toMatchObject({ width: 40, height: 30, duration: 3, video_category: 'user', board_id: board.board_id, is_intermediate: false });
    await expect(videos(sim.client).metadata(dto.video_name)).resolves.toEqual({ take: 2 });
    const error = await videos(sim.client).upload(png()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'HttpError', status: 415 });
    expect(requestsTo(sim.server, 'POST', '/api/v1/videos/upload')).toHaveLength(2);
  });

  it('sniffVideoType knows MP4, QuickTime and WebM, and nothing else', () => {
    const ftyp = (brand: string) => new Uint8Array([0, 0, 0, 20, ...Buffer.from(`ftyp${brand}`, 'latin1')]);
    expect(sniffVideoType(ftyp('isom'))).toBe('video/mp4');
    expect(sniffVideoType(ftyp('qt  '))).toBe('video/quicktime');
    expect(sniffVideoType(new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 0x01]))).toBe('video/webm');
    expect(sniffVideoType(png())).toBeUndefined();
  });
});
