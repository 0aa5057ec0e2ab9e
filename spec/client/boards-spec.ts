import { HttpError } from '../../lib/transport/errors';
import { NotFoundError } from '../../lib/client/resource';
import { SimClient, requestsTo, startSim } from './sim-helpers';
import { boards } from '../../lib/client/boards';

describe('boards(client)', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(async () => {
    // the bare listing that the server refuses with 400 is never sent
    expect(requestsTo(sim.server, 'GET', '/api/v1/boards/').filter((r) => r.path === '/api/v1/boards/' && r.status === 400)).toEqual([]);
    await sim.close();
  });

  it('creates, gets, lists (all=true) and finds boards; names are not unique', async () => {
    const a = await boards(sim.client).create('renders');
    const b = await boards(sim.client).create('renders');
    const c = await boards(sim.client).create('other');
    expect(a.board_id).not.toBe(b.board_id);
    await expect(boards(sim.client).get(a.board_id)).resolves.toMatchObject({ board_name: 'renders', image_count: 0 });
    const all = await boards(sim.client).list();
    expect(all.map((x) => x.board_id).sort()).toEqual([a, b, c].map((x) => x.board_id).sort());
    const found = await boards(sim.client).findByName('renders');
    expect(found.map((x) => x.board_id).sort()).toEqual([a.board_id, b.board_id].sort());
    await expect(boards(sim.client).findByName('nothing')).resolves.toEqual([]);
    const byName = await boards(sim.client).list({ orderBy: 'board_name', direction: 'ASC' });
    expect(byName.map((x) => x.board_name)).toEqual(['other', 'renders', 'renders']);
    expect(requestsTo(sim.server, 'GET', '/api/v1/boards/').every((r) => r.status === 200)).toBe(true);
  });

  it('lists archived boards only when asked, and findByName finds archived ones too', async () => {
    const kept = await boards(sim.client).create('old');
    const updated = await boards(sim.client).update(kept.board_id, { archived: true, name: 'older' });
    expect(updated).toMatchObject({ board_name: 'older', archived: true });
    await expect(boards(sim.client).list()).resolves.toEqual([]);
    await expect(boards(sim.client).list({ archived: true })).resolves.toHaveLength(1);
    await expect(boards(sim.client).findByName('older')).resolves.toHaveLength(1);
  });

  it('moves images between boards and uncategorized (\'none\')', async () => {
    const board = await boards(sim.client).create('b');
    const [x, y] = [sim.server.addImage(), sim.server.addImage()];
    const added = await boards(sim.client).addImages(board.board_id, [x.image_name, y.image_name]);
    expect(added.added_images.sort()).toEqual([x.image_name, y.image_name].sort());
    expect(added.affected_boards.sort()).toEqual([board.board_id, 'none'].sort());
    await expect(boards(sim.client).imageNames(board.board_id)).resolves.toHaveLength(2);
    await expect(boards(sim.client).imageNames('none')).resolves.toEqual([]);
    const removed = await boards(sim.client).removeImages(x.image_name);
    expect(removed.removed_images).toEqual([x.image_name]);
    await expect(boards(sim.client).imageNames('none')).resolves.toEqual([x.image_name]);
    await boards(sim.client).addImages('none', y.image_name);
    await expect(boards(sim.client).imageNames(board.board_id)).resolves.toEqual([]);
    await expect(boards(sim.client).imageNames('none', { categories: ['general'] })).resolves.toHaveLength(2);
    await expect(boards(sim.client).imageNames('none', { categories: ['mask'] })).resolves.toEqual([]);
  });

  it('deletes a board, its images uncategorized by default or deleted with includeImages', async () => {
    const keep = await boards(sim.client).create('keep images');
    const kept = sim.server.addImage({ boardId: keep.board_id });
    const result = await boards(sim.client).delete(keep.board_id);
    expect(result).toMatchObject({ board_id: keep.board_id, deleted_board_images: [kept.image_name], deleted_images: [] });
    expect(sim.server.images().find((i) => i.image_name === kept.image_name)?.board_id).toBeNull();

    const drop = await boards(sim.client).create('drop images');
    const dropped = sim.server.addImage({ boardId: drop.board_id });
    const result2 = await boards(sim.client).delete(drop.board_id, { includeImages: true });
    expect(result2.deleted_images).toEqual([dropped.image_name]);
    expect(sim.server.images().map((i) => i.image_name)).toEqual([kept.image_name]);
    await expect(boards(sim.client).get(drop.board_id)).resolves.toBeNull();
  });

  it('get() answers null for an unknown board and for \'none\'; calls on an unknown board throw NotFoundError', async () => {
    await expect(boards(sim.client).get('ghost')).resolves.toBeNull();
    await expect(boards(sim.client).get('none')).resolves.toBeNull();
    for (const call of [
      () => boards(sim.client).update('ghost', { name: 'x' }),
      () => boards(sim.client).delete('ghost'),
      () => boards(sim.client).imageNames('ghost'),
      () => boards(sim.client).addImages('ghost', ['a.png']),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error).toMatchObject({ name: 'NotFoundError', resource: 'board', id: 'ghost', status: 404 });
    }
  });

  it('a 422 names the field the server rejected', async () => {
    const error = await boards(sim.client).create('x'.repeat(301)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).status).toBe(422);
    expect((error as HttpError).issues).toEqual([{ loc: 'query.board_name', msg: 'String should have at most 300 characters', type: 'string_too_long' }]);
    expect((error as Error).message).toContain('query.board_name: String should have at most 300 characters');
  });
});
