import * as fs from 'fs';
import * as path from 'path';
import { PNG } from 'pngjs';
import { api, connect, enqueue, sd15Graph, terminal, waitFor, withServer, modelId, Json } from './helpers';
import { ManualClock } from '../../lib/testing';

const fixtureDir = path.join(__dirname, '..', 'fixtures', 'seed-workflows', 'api-calls');
const fixtures = fs.readdirSync(fixtureDir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(fixtureDir, f), 'utf8')));

describe('simulated processor', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  it('completes an SD1.5 text-to-image item whose shape matches the real completed items key for key', async () => {
    const server = await env.start();
    const workflow = { name: 'wf', meta: { version: '4.0.0', category: 'user' }, nodes: [], edges: [] };
    const r = await enqueue(server, { graph: sd15Graph(server), runs: 1, origin: 'workflows', destination: 'gallery', workflow });
    expect(r.status).toBe(200);
    const id = r.json.item_ids[0];
    await waitFor(terminal(server, id), 'item done');
    const item = (await api(server, 'GET', `/api/v1/queue/default/i/${id}`)).json;
    expect(item.status).toBe('completed');
    // The recordings come from a 2025 server; InvokeAI 6.14 adds exactly these two item fields.
    const addedIn614 = ['status_sequence', 'user_id'];
    for (const fx of fixtures) {
      expect(Object.keys(item).sort()).toEqual([...Object.keys(fx), ...addedIn614].sort());
      expect(Object.keys(item.session).sort()).toEqual(Object.keys(fx.session).sort());
      expect(Object.keys(item.session.graph).sort()).toEqual(Object.keys(fx.session.graph).sort());
      expect(Object.keys(item.session.execution_graph).sort()).toEqual(Object.keys(fx.session.execution_graph).sort());
    }
    const s = item.session;
    const sources = Object.keys(s.graph.nodes);
    // executed holds prepared and source ids; executed_history holds the source ids in run order (as in the fixtures)
    expect(s.executed).toHaveLength(sources.length * 2);
    expect([...s.executed_history].sort()).toEqual([...sources].sort());
    expect(s.executed_history.indexOf('model')).toBeLessThan(s.executed_history.indexOf('denoise'));
    expect(s.executed_history.indexOf('denoise')).toBeLessThan(s.executed_history.indexOf('l2i'));
    for (const src of sources) {
      const prepared = s.source_prepared_mapping[src];
      expect(prepared).toHaveLength(1);
      expect(prepared[0]).not.toBe(src);
      expect(s.prepared_source_mapping[prepared[0]]).toBe(src);
      expect(s.execution_graph.nodes[prepared[0]].id).toBe(prepared[0]);
      expect(s.results[prepared[0]]).toBeDefined();
    }
    expect(s.errors).toEqual({});
    const l2iOut = s.results[s.source_prepared_mapping.l2i[0]];
    expect(l2iOut).toEqual({ type: 'image_output', image: { image_name: expect.stringMatching(/\.png$/) }, width: 64, height: 48 });
    expect(s.results[s.source_prepared_mapping.noise[0]]).toMatchObject({ type: 'noise_output', noise: { latents_name: expect.any(String), seed: 42 }, width: 64, height: 48 });
    expect(s.results[s.source_prepared_mapping.model[0]].unet.unet).toMatchObject({ key: modelId(server, 'sd-1').key, submodel_type: 'unet' });
    // the image is real, recorded, and points at the prepared node
    const dto = (await api(server, 'GET', `/api/v1/images/i/${l2iOut.image.image_name}`)).json;
    expect(dto).toMatchObject({ is_intermediate: false, node_id: s.source_prepared_mapping.l2i[0], session_id: item.session_id, width: 64, height: 48, has_workflow: true });
    const full = await fetch(`${server.url}/${dto.image_url}`);
    expect(full.headers.get('content-type')).toBe('image/png');
    const png = PNG.sync.read(Buffer.from(await full.arrayBuffer()));
    expect([png.width, png.height]).toEqual([64, 48]);
  });

  it('renders deterministic pixels from seed, prompt and size', async () => {
    const server = await env.start();
    const run = async (opts: { prompt?: string; seed?: number }) => {
      const r = await enqueue(server, { graph: sd15Graph(server, opts), runs: 1 });
      const id = r.json.item_ids[0];
      await waitFor(terminal(server, id));
      const s = (server.queueItem(id) as Json).session;
      return server.imageBytes(s.results[s.source_prepared_mapping.l2i[0]].image.image_name)!;
    };
    const a = await run({ prompt: 'a cat', seed: 1 });
    const b = await run({ prompt: 'a cat', seed: 1 });
    const c = await run({ prompt: 'a dog', seed: 1 });
    const d = await run({ prompt: 'a cat', seed: 2 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    expect(a.equals(d)).toBe(false);
  });

  it('emits events in the real order with increasing status_sequence', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    const r = await enqueue(server, { graph: sd15Graph(server), runs: 1, origin: 'o1' });
    const id = r.json.item_ids[0];
    await waitFor(() => events.some((e) => e.name === 'queue_item_status_changed' && e.payload.status === 'completed'), 'completed event');
    const names = events.map((e) => e.name);
    expect(names[0]).toBe('batch_enqueued');
    expect(events[0].payload).toMatchObject({ queue_id: 'default', batch_id: r.json.batch.batch_id, enqueued: 1, requested: 1, priority: 0, origin: 'o1', user_id: 'system' });
    expect(events[0].payload).not.toHaveProperty('destination');
    expect(events[1]).toMatchObject({ name: 'queue_item_status_changed', payload: { status: 'in_progress', item_id: id } });
    expect(names[names.length - 1]).toBe('queue_item_status_changed');
    // per node: started → progress* → complete, never interleaved
    const loads = events.filter((e) => e.name.startsWith('model_load_'));
    expect(loads.length).toBeGreaterThan(0);
    expect(loads.find((e) => e.payload.submodel_type === 'unet')!.payload).toMatchObject({ config: { key: modelId(server, 'sd-1').key }, user_id: 'system' });
    // model loads happen inside a node, between its started and complete
    const denoiseStart = events.findIndex((e) => e.name === 'invocation_started' && e.payload.invocation_source_id === 'denoise');
    const unetLoad = events.findIndex((e) => e.name === 'model_load_started' && e.payload.submodel_type === 'unet');
    const unetDone = events.findIndex((e) => e.name === 'model_load_complete' && e.payload.submodel_type === 'unet');
    const denoiseDone = events.findIndex((e) => e.name === 'invocation_complete' && e.payload.invocation_source_id === 'denoise');
    expect([denoiseStart < unetLoad, unetLoad < unetDone, unetDone < denoiseDone]).toEqual([true, true, true]);
    const inv = events.slice(2, -1).filter((e) => !e.name.startsWith('model_load_'));
    let open: string | undefined;
    const completedSources: string[] = [];
    for (const e of inv) {
      if (e.name === 'invocation_started') {
        expect(open).toBeUndefined();
        open = e.payload.invocation.id;
        expect(e.payload.invocation_source_id).not.toBe(e.payload.invocation.id);
      } else if (e.name === 'invocation_progress') {
        expect(e.payload.invocation.id).toBe(open);
        expect(e.payload.percentage).toBeGreaterThan(0);
        expect(e.payload.message).toBe('Denoising');
      } else {
        expect(e.name).toBe('invocation_complete');
        expect(e.payload.invocation.id).toBe(open);
        expect(e.payload.result).toHaveProperty('output_meta', null);
        completedSources.push(e.payload.invocation_source_id);
        open = undefined;
      }
    }
    expect(completedSources.sort()).toEqual(['denoise', 'l2i', 'model', 'neg', 'noise', 'pos']);
    expect(inv.some((e) => e.name === 'invocation_progress' && e.payload.image?.dataURL?.startsWith('data:image/'))).toBe(true);
    const statuses = events.filter((e) => e.name === 'queue_item_status_changed');
    expect(statuses.map((e) => e.payload.status)).toEqual(['in_progress', 'completed']);
    expect(statuses[1].payload.status_sequence).toBeGreaterThan(statuses[0].payload.status_sequence);
    expect(statuses[1].payload).toMatchObject({ batch_status: { completed: 1, total: 1 }, queue_status: { completed: 1 }, error_type: null });
  });

  it('expands runs × data (zip inside, product across) and returns item_ids in descending order', async () => {
    const server = await env.start();
    await api(server, 'PUT', '/api/v1/queue/default/processor/pause');
    const graph = { id: 'g', nodes: { a: { id: 'a', type: 'string', value: 'x' }, b: { id: 'b', type: 'integer', value: 0 }, c: { id: 'c', type: 'float', value: 0 } }, edges: [] };
    const data = [
      [
        { node_path: 'a', field_name: 'value', items: ['p', 'q'] },
        { node_path: 'b', field_name: 'value', items: [1, 2] },
      ],
      [{ node_path: 'c', field_name: 'value', items: [0.5, 1.5, 2.5] }],
    ];
    const r = await enqueue(server, { graph, runs: 2, data, batch_id: 'my-batch' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ queue_id: 'default', enqueued: 12, requested: 12, priority: 0 });
    expect(r.json.batch.batch_id).toBe('my-batch');
    const ids: number[] = r.json.item_ids;
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const items = ids.slice().reverse().map((id) => server.queueItem(id) as Json);
    const combos = items.map((it) => it.field_values.map((f: Json) => f.value));
    expect(combos.slice(0, 6)).toEqual([
      ['p', 1, 0.5],
      ['p', 1, 1.5],
      ['p', 1, 2.5],
      ['q', 2, 0.5],
      ['q', 2, 1.5],
      ['q', 2, 2.5],
    ]);
    expect(combos.slice(6)).toEqual(combos.slice(0, 6));
    expect(items[4].session.graph.nodes.a.value).toBe('q');
    expect(items[4].session.graph.nodes.c.value).toBe(1.5);
    const bs = (await api(server, 'GET', '/api/v1/queue/default/b/my-batch/status')).json;
    expect(bs).toMatchObject({ batch_id: 'my-batch', pending: 12, total: 12 });
  });

  it('caps the batch at max_queue_size without an error', async () => {
    const server = await env.start({ maxQueueSize: 3 });
    await api(server, 'PUT', '/api/v1/queue/default/processor/pause');
    const graph = { id: 'g', nodes: { a: { id: 'a', type: 'string', value: 'x' } }, edges: [] };
    const r = await enqueue(server, { graph, runs: 5 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ enqueued: 3, requested: 5 });
    const r2 = await enqueue(server, { graph, runs: 2 });
    expect(r2.json).toMatchObject({ enqueued: 0, requested: 2, item_ids: [] });
  });

  it('runs by priority then FIFO (prepend jumps the queue)', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    server.faults.pauseProcessor();
    const graph = { id: 'g', nodes: { a: { id: 'a', type: 'string', value: 'x' } }, edges: [] };
    const a = (await enqueue(server, { graph, runs: 1 })).json.item_ids[0];
    const b = (await enqueue(server, { graph, runs: 1 })).json.item_ids[0];
    const c = await enqueue(server, { graph, runs: 1 }, true);
    expect(c.json.priority).toBe(1);
    // a second prepend goes above the first: one more than the highest pending priority
    const d = await enqueue(server, { graph, runs: 1 }, true);
    expect(d.json.priority).toBe(2);
    server.faults.resumeProcessor();
    await waitFor(() => [a, b, c.json.item_ids[0], d.json.item_ids[0]].every((id) => terminal(server, id)()));
    const order = events.filter((e) => e.name === 'queue_item_status_changed' && e.payload.status === 'in_progress').map((e) => e.payload.item_id);
    expect(order).toEqual([d.json.item_ids[0], c.json.item_ids[0], a, b]);
  });

  it('fails at run time with RequiredConnectionException when a connection-only input is missing; failed precedes invocation_error', async () => {
    const server = await env.start();
    const { events } = env.track(await connect(server));
    const g = sd15Graph(server);
    const graph = { ...g, edges: g.edges.filter((e) => !(e.destination.node_id === 'l2i' && e.destination.field === 'latents')) };
    const r = await enqueue(server, { graph, runs: 1 });
    expect(r.status).toBe(200);
    const id = r.json.item_ids[0];
    await waitFor(terminal(server, id));
    const item = (await api(server, 'GET', `/api/v1/queue/default/i/${id}`)).json;
    expect(item).toMatchObject({ status: 'failed', error_type: 'RequiredConnectionException', error_message: 'Node l2i missing connections for field latents' });
    expect(item.error_traceback).toContain('RequiredConnectionException');
    const prepared = item.session.source_prepared_mapping.l2i[0];
    expect(item.session.errors[prepared]).toContain('RequiredConnectionException');
    await waitFor(() => events.some((e) => e.name === 'invocation_error'));
    const names = events.map((e) => (e.name === 'queue_item_status_changed' ? `status:${e.payload.status}` : e.name));
    const failedAt = names.indexOf('status:failed');
    expect(failedAt).toBeGreaterThan(-1);
    expect(names[failedAt + 1]).toBe('invocation_error');
    expect(names[failedAt - 1]).toBe('invocation_started');
    const err = events.find((e) => e.name === 'invocation_error')!;
    expect(err.payload).toMatchObject({ error_type: 'RequiredConnectionException', invocation_source_id: 'l2i', item_id: id });
    expect(names.filter((n) => n === 'invocation_complete').length).toBe(5);
  });

  it('fails with MissingInputException when a value-or-connection input is missing', async () => {
    const server = await env.start();
    const g = sd15Graph(server);
    const { model: _m, ...rest } = g.nodes.model;
    const graph = { ...g, nodes: { ...g.nodes, model: rest } };
    const id = (await enqueue(server, { graph, runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, id));
    expect(server.queueItem(id)).toMatchObject({ status: 'failed', error_type: 'MissingInputException', error_message: 'Node main_model_loader missing value or connection for field model' });
  });

  it('fails at run time (not at enqueue) when a model key is not installed', async () => {
    const server = await env.start();
    const g = sd15Graph(server);
    const graph = { ...g, nodes: { ...g.nodes, model: { ...g.nodes.model, model: { ...g.nodes.model.model, key: 'not-installed' } } } };
    const r = await enqueue(server, { graph, runs: 1 });
    expect(r.status).toBe(200);
    await waitFor(terminal(server, r.json.item_ids[0]));
    expect(server.queueItem(r.json.item_ids[0])).toMatchObject({ status: 'failed', error_type: 'UnknownModelException' });
  });

  it('cancel stops the running node with no invocation_complete for it and runs nothing after', async () => {
    const clock = new ManualClock();
    const server = await env.start({ clock, stepMs: 20, steps: 50 });
    const { events } = env.track(await connect(server));
    const id = (await enqueue(server, { graph: sd15Graph(server), runs: 1 })).json.item_ids[0];
    await clock.advance(20); // denoise's first step
    await waitFor(() => events.some((e) => e.name === 'invocation_progress' && e.payload.invocation_source_id === 'denoise'), 'denoise progress');
    const c = await api(server, 'PUT', `/api/v1/queue/default/i/${id}/cancel`);
    expect(c.status).toBe(200);
    expect(c.json.status).toBe('canceled');
    await clock.advance(2 * 50 * 20); // all the time its denoise and l2i would have taken
    const sent = (name: string, node: string) => server.events.filter((e) => e.name === name && e.payload.invocation_source_id === node);
    expect(sent('invocation_complete', 'denoise')).toHaveLength(0);
    expect(sent('invocation_started', 'l2i')).toHaveLength(0);
    const statuses = server.events.filter((e) => e.name === 'queue_item_status_changed').map((e) => e.payload.status);
    expect(statuses).toEqual(['in_progress', 'canceled']);
    // canceling a terminal item changes nothing and emits nothing
    const before = server.events.length;
    const again = await api(server, 'PUT', `/api/v1/queue/default/i/${id}/cancel`);
    expect(again.json.status).toBe('canceled');
    await clock.advance(1000);
    expect(server.events.length).toBe(before);
  });


  it('expands iterate/collect into one prepared node per item', async () => {
    const server = await env.start();
    const graph = {
      id: 'it',
      nodes: {
        range: { id: 'range', type: 'range', start: 0, stop: 3, step: 1 },
        iter: { id: 'iter', type: 'iterate' },
        mul: { id: 'mul', type: 'mul', b: 10 },
        coll: { id: 'coll', type: 'collect' },
      },
      edges: [
        { source: { node_id: 'range', field: 'collection' }, destination: { node_id: 'iter', field: 'collection' } },
        { source: { node_id: 'iter', field: 'item' }, destination: { node_id: 'mul', field: 'a' } },
        { source: { node_id: 'mul', field: 'value' }, destination: { node_id: 'coll', field: 'item' } },
      ],
    };
    const r = await enqueue(server, { graph, runs: 1 });
    expect(r.status).toBe(200);
    const id = r.json.item_ids[0];
    await waitFor(terminal(server, id));
    const s = (server.queueItem(id) as Json).session;
    expect(s.source_prepared_mapping.iter).toHaveLength(3);
    expect(s.source_prepared_mapping.mul).toHaveLength(3);
    expect(s.source_prepared_mapping.coll).toHaveLength(1);
    expect(s.results[s.source_prepared_mapping.coll[0]]).toEqual({ type: 'collect_output', collection: [0, 10, 20] });
    expect(s.results[s.source_prepared_mapping.iter[2]]).toEqual({ type: 'iterate_output', item: 2, index: 2, total: 3 });
  });

  it('saves a node image to the board given on the node', async () => {
    const server = await env.start();
    const board = server.addBoard('outputs');
    const id = (await enqueue(server, { graph: sd15Graph(server, { boardId: board.board_id }), runs: 1 })).json.item_ids[0];
    await waitFor(terminal(server, id));
    const names = (await api(server, 'GET', `/api/v1/boards/${board.board_id}/image_names`)).json;
    expect(names).toHaveLength(1);
    expect((await api(server, 'GET', `/api/v1/boards/${board.board_id}`)).json.image_count).toBe(1);
  });
});
