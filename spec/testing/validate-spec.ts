import { api, enqueue, waitFor, terminal, withServer } from './helpers';

const graphOf = (nodes: Record<string, unknown>, edges: unknown[] = []) => ({ id: 'g', nodes, edges });

describe('enqueue validation (pydantic-like 422s)', () => {
  const env = withServer();
  afterEach(() => env.cleanup());

  const expect422 = async (batch: Record<string, unknown>, match: Record<string, unknown>) => {
    const server = env.server();
    const r = await enqueue(server, batch);
    expect(r.status).toBe(422);
    expect(Array.isArray(r.json.detail)).toBe(true);
    for (const d of r.json.detail) {
      expect(Object.keys(d).filter((k) => k !== 'ctx').sort()).toEqual(['input', 'loc', 'msg', 'type']);
    }
    expect(r.json.detail).toContainEqual(expect.objectContaining(match));
    expect(server.queueItems()).toHaveLength(0);
    return r.json.detail;
  };

  beforeEach(async () => {
    await env.start();
  });

  it('rejects an unknown node type', async () => {
    await expect422({ graph: graphOf({ a: { id: 'a', type: 'no_such_node' } }), runs: 1 }, { type: 'union_tag_invalid', loc: ['body', 'batch', 'graph', 'nodes', 'a'] });
  });

  it('rejects a value of the wrong type, with the field location', async () => {
    await expect422(
      { graph: graphOf({ a: { id: 'a', type: 'integer', value: 'abc' } }), runs: 1 },
      { type: 'int_parsing', loc: ['body', 'batch', 'graph', 'nodes', 'a', 'integer', 'value'], input: 'abc' },
    );
    await expect422({ graph: graphOf({ a: { id: 'a', type: 'integer', value: 1.5 } }), runs: 1 }, { type: 'int_from_float' });
    await expect422({ graph: graphOf({ a: { id: 'a', type: 'boolean', value: 'maybe' } }), runs: 1 }, { type: 'bool_parsing' });
    await expect422({ graph: graphOf({ a: { id: 'a', type: 'string', value: { x: 1 } } }), runs: 1 }, { type: 'string_type' });
  });

  it('rejects an edge to a missing node or field', async () => {
    const nodes = { a: { id: 'a', type: 'integer', value: 1 }, b: { id: 'b', type: 'mul', b: 2 } };
    const d1 = await expect422({ graph: graphOf(nodes, [{ source: { node_id: 'zz', field: 'value' }, destination: { node_id: 'b', field: 'a' } }]), runs: 1 }, { type: 'value_error' });
    expect(d1[0].msg).toContain('zz');
    const d2 = await expect422({ graph: graphOf(nodes, [{ source: { node_id: 'a', field: 'nope' }, destination: { node_id: 'b', field: 'a' } }]), runs: 1 }, { type: 'value_error' });
    expect(d2[0].msg).toContain('nope');
    const d3 = await expect422({ graph: graphOf(nodes, [{ source: { node_id: 'a', field: 'value' }, destination: { node_id: 'b', field: 'nope' } }]), runs: 1 }, { type: 'value_error' });
    expect(d3[0].msg).toContain('nope');
  });

  it('rejects an edge between incompatible field types', async () => {
    const nodes = { n: { id: 'n', type: 'noise', seed: 1 }, l: { id: 'l', type: 'l2i' } };
    const edges = [{ source: { node_id: 'n', field: 'noise' }, destination: { node_id: 'l', field: 'vae' } }];
    await expect422({ graph: graphOf(nodes, edges), runs: 1 }, { type: 'value_error', msg: 'Value error, Field types are incompatible (n.noise -> l.vae)' });
    // latents into latents is fine
    const ok = await enqueue(env.server(), { graph: graphOf(nodes, [{ source: { node_id: 'n', field: 'noise' }, destination: { node_id: 'l', field: 'latents' } }]), runs: 1 });
    expect(ok.status).toBe(200);
  });

  it('rejects a cycle', async () => {
    const nodes = { a: { id: 'a', type: 'mul' }, b: { id: 'b', type: 'mul' } };
    const edges = [
      { source: { node_id: 'a', field: 'value' }, destination: { node_id: 'b', field: 'a' } },
      { source: { node_id: 'b', field: 'value' }, destination: { node_id: 'a', field: 'a' } },
    ];
    await expect422({ graph: graphOf(nodes, edges), runs: 1 }, { type: 'value_error', msg: 'Value error, Graph contains cycles' });
  });

  it('rejects a duplicate batch data field and a zipped length mismatch', async () => {
    const nodes = { a: { id: 'a', type: 'string' }, b: { id: 'b', type: 'integer' } };
    await expect422(
      { graph: graphOf(nodes), runs: 1, data: [[{ node_path: 'a', field_name: 'value', items: ['x'] }], [{ node_path: 'a', field_name: 'value', items: ['y'] }]] },
      { type: 'value_error', loc: ['body', 'batch'] },
    );
    await expect422(
      { graph: graphOf(nodes), runs: 1, data: [[{ node_path: 'a', field_name: 'value', items: ['x', 'y'] }, { node_path: 'b', field_name: 'value', items: [1] }]] },
      { type: 'value_error', msg: 'Value error, Zipped batch items must all have the same length' },
    );
    await expect422({ graph: graphOf(nodes), runs: 1, data: [[{ node_path: 'zz', field_name: 'value', items: ['x'] }]] }, { type: 'value_error' });
  });

  it('rejects a missing graph and runs < 1', async () => {
    await expect422({ runs: 1 }, { type: 'missing', loc: ['body', 'batch', 'graph'] });
    await expect422({ graph: graphOf({}), runs: 0 }, { type: 'greater_than_equal', loc: ['body', 'batch', 'runs'] });
  });

  it('drops fields a node does not have and coerces numbers sent to string fields', async () => {
    const server = env.server();
    const r = await enqueue(server, { graph: graphOf({ a: { id: 'a', type: 'string', value: 42, not_a_field: 'x' }, b: { id: 'b', type: 'integer', value: '7' } }), runs: 1 });
    expect(r.status).toBe(200);
    // extras dropped, defaults filled in as pydantic dumps them
    expect(r.json.batch.graph.nodes.a).toEqual({ id: 'a', is_intermediate: false, use_cache: true, value: '42', type: 'string' });
    expect(r.json.batch.graph.nodes.b.value).toBe(7);
    await waitFor(terminal(server, r.json.item_ids[0]));
    const s = (await api(server, 'GET', `/api/v1/queue/default/i/${r.json.item_ids[0]}`)).json.session;
    expect(s.results[s.source_prepared_mapping.a[0]]).toEqual({ type: 'string_output', value: '42' });
  });

  it('answers malformed JSON with a 422', async () => {
    const res = await fetch(`${env.server().url}/api/v1/queue/default/enqueue_batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(res.status).toBe(422);
    expect((await res.json()).detail[0].type).toBe('json_invalid');
  });
});
