// The 26 default workflows, built by the library's own buildBatch, run on the simulator.
import * as fs from 'fs';
import * as path from 'path';
import { MockServer, startMockServer } from '../../lib/testing';
import { indexSchemas, loadDefaultOpenApi, nonNullAlternatives } from '../../lib/testing/openapi';
import { Workflow } from '../../lib/workflow/workflow';
import { BatchError, buildBatch } from '../../lib/workflow/batch';
import { updateNodes } from '../../lib/workflow/update-nodes';
import { waitFor, terminal, Json } from './helpers';

const dir = path.join(__dirname, '..', 'fixtures', 'default-workflows');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
const index = indexSchemas(loadDefaultOpenApi());

// These two carry flux_denoise 3.0.0, and 6.14's flux_denoise is 4.6.0: the GUI cannot update the node
// across the major version and will not run it; `updateNodes` replaces it as the GUI's user would.
const OUTDATED = ['FLUX Image to Image.json', 'Flux Text to Image.json'];

// These three use canny_image_processor / midas_depth_image_processor, which InvokeAI 6.14's schema no longer has.
const UNKNOWN_NODE_TYPES: Readonly<Record<string, string>> = {
  'ESRGAN Upscaling with Canny ControlNet.json': 'canny_image_processor',
  'Face Detailer with IP-Adapter & Canny (See Note in Details).json': 'canny_image_processor',
  'Multi ControlNet (Canny & Depth).json': 'canny_image_processor',
};


/** Gives every unconnected model input an installed model and every required image/video input a value. */
const giveRequiredInputs = (server: MockServer, json: Json, imageName: string, options: { skipModels?: boolean } = {}): Json => {
  const installed = new Set(server.models().map((m) => m.key));
  const connected = new Set(json.edges.filter((e: Json) => e.type === 'default').map((e: Json) => `${e.target}.${e.targetHandle}`));
  for (const n of json.nodes) {
    const schema = n.type === 'invocation' ? index.nodes.get(n.data.type) : undefined;
    if (!schema) continue;
    for (const [field, prop] of Object.entries(schema.schema.properties ?? {}) as [string, Json][]) {
      const inst = n.data.inputs[field];
      if (!inst || connected.has(`${n.id}.${field}`)) continue;
      const cur = inst.value;
      const refs = JSON.stringify(nonNullAlternatives(prop));
      const isModel = prop.ui_model_type !== undefined || refs.includes('ModelIdentifierField');
      if (isModel && !options.skipModels && (cur == null || (typeof cur === 'object' && cur.key && !installed.has(cur.key)))) {
        const types: string[] = prop.ui_model_type ?? (cur?.type ? [cur.type] : ['main']);
        const m = server
          .models()
          .find(
            (x) =>
              types.includes(x.type) &&
              (!prop.ui_model_base || prop.ui_model_base.includes(x.base)) &&
              (!prop.ui_model_variant || prop.ui_model_variant.includes(x.variant)) &&
              (!prop.ui_model_format || prop.ui_model_format.includes(x.format)),
          );
        if (!m) throw new Error(`no seeded model for ${n.data.type}.${field}`);
        inst.value = { key: m.key, hash: m.hash, name: m.name, base: m.base, type: m.type };
      }
      if (prop.orig_required && cur == null && refs.includes('"#/components/schemas/ImageField"')) inst.value = { image_name: imageName };
      if (prop.orig_required && cur == null && refs.includes('"#/components/schemas/VideoField"')) inst.value = { video_name: 'input.mp4' };
    }
  }
  return json;
};

const run = async (server: MockServer, json: Json) => {
  const batch = buildBatch(updateNodes(Workflow.fromJson(JSON.stringify(json))).workflow);
  const res = await fetch(`${server.url}/api/v1/queue/default/enqueue_batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
  const body: Json = await res.json();
  if (res.status !== 200) return { status: res.status, body, item: undefined };
  const id = body.item_ids[0];
  await waitFor(terminal(server, id), `item of ${json.name}`, 20000);
  return { status: res.status, body, item: server.queueItem(id) as Json };
};

describe('the 26 default workflows on the simulator (graphs from buildBatch)', () => {
  let server: MockServer;
  let imageName: string;
  beforeAll(async () => {
    server = await startMockServer({ stepMs: 0, steps: 1 });
    imageName = server.addImage({ width: 96, height: 64 }).image_name;
  });
  afterAll(() => server.close());

  it('has all 26 fixtures', () => {
    expect(files).toHaveLength(26);
  });

  it.each(files.filter((f) => !(f in UNKNOWN_NODE_TYPES)))('%s runs to completion when its required inputs are given', async (file) => {
    const json = giveRequiredInputs(server, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), imageName);
    const r = await run(server, json);
    expect(r.status).toBe(200);
    expect(r.item).toMatchObject({ status: 'completed' });
    expect(r.item.session.errors).toEqual({});
    const sources = Object.keys(r.item.session.graph.nodes);
    expect(sources.every((id) => r.item.session.executed.includes(id))).toBe(true);
    // every image output of a node saved to the gallery is a recorded, non-intermediate image of that prepared node
    for (const [prepared, out] of Object.entries(r.item.session.results) as [string, Json][]) {
      if (out.type === 'image_output' && r.item.session.execution_graph.nodes[prepared].is_intermediate === false) {
        const dto = server.images().find((d) => d.image_name === out.image.image_name);
        expect(dto).toMatchObject({ is_intermediate: false, node_id: prepared });
      }
    }
  });

  it.each(OUTDATED)('%s is refused by buildBatch until updateNodes replaces its outdated node', (file) => {
    const wf = Workflow.fromJson(fs.readFileSync(path.join(dir, file), 'utf8'));
    expect(() => buildBatch(wf)).toThrow(BatchError);
    expect(() => buildBatch(wf)).toThrow(/flux_denoise 3\.0\.0, now 4\.6\.0/);
    const { updated } = updateNodes(wf);
    expect(updated.map((u) => [u.nodeType, u.from, u.to, u.how])).toEqual([['flux_denoise', '3.0.0', '4.6.0', 'replaced']]);
  });

  it.each(Object.keys(UNKNOWN_NODE_TYPES))('%s is rejected with 422 union_tag_invalid, as by the real 6.14 schema', async (file) => {
    const json = giveRequiredInputs(server, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), imageName);
    const r = await run(server, json);
    expect(r.status).toBe(422);
    expect(r.body.detail[0]).toMatchObject({ type: 'union_tag_invalid', ctx: { tag: UNKNOWN_NODE_TYPES[file] } });
  });

  it('a missing required model fails at run time with MissingInputException', async () => {
    const json = giveRequiredInputs(server, JSON.parse(fs.readFileSync(path.join(dir, 'Text to Image - SD1.5.json'), 'utf8')), imageName, { skipModels: true });
    const r = await run(server, json);
    expect(r.status).toBe(200);
    expect(r.item).toMatchObject({ status: 'failed', error_type: 'MissingInputException', error_message: 'Node main_model_loader missing value or connection for field model' });
  });

  it('a missing required image fails at run time with MissingInputException', async () => {
    const json = giveRequiredInputs(server, JSON.parse(fs.readFileSync(path.join(dir, 'FLUX Image to Image.json'), 'utf8')), imageName);
    for (const n of json.nodes) for (const inst of Object.values(n.data.inputs) as Json[]) if (inst.value?.image_name === imageName) delete inst.value;
    const r = await run(server, json);
    expect(r.status).toBe(200);
    expect(r.item.status).toBe('failed');
    expect(r.item.error_type).toBe('MissingInputException');
    expect(r.item.error_message).toMatch(/^Node \S+ missing value or connection for field image$/);
  });
});
