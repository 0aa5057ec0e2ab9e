import { readFileSync } from 'fs';
import { pipe } from 'fp-ts/function';
import { listInputs, setInput } from '../../lib/workflow/inputs';
import { updateNodes } from '../../lib/workflow/update-nodes';
import { Workflow } from '../../lib/workflow/workflow';
import { SimClient, png, startSim } from './sim-helpers';
import { images } from '../../lib/client/images';
import { models } from '../../lib/client/models';
import { serverTemplates } from '../../lib/client/templates';

const fluxI2I = () => Workflow.fromJson(readFileSync('spec/fixtures/default-workflows/FLUX Image to Image.json', 'utf8'));

describe('client resources together', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('templates() reads the server\'s /openapi.json into node templates', async () => {
    const templates = await serverTemplates(sim.client);
    expect(templates['flux_model_loader'].inputs['model'].constraints).toMatchObject({ modelBase: ['flux'], modelType: ['main'] });
    expect(sim.server.requests.map((r) => r.path)).toEqual(['/openapi.json']);
  });

  it('syncModels() lists the server\'s models and matches the workflow against them', async () => {
    const wf = fluxI2I();
    const sync = await models(sim.client).sync(wf, { byBase: true });
    const dev = sim.server.models().find((m) => m.name === 'flux1-dev')!;
    expect(sync.changes).toEqual([expect.objectContaining({ fieldName: 'model', from: null, by: 'base', to: expect.objectContaining({ key: dev.key }) })]);
    expect(listInputs(wf)[0].value).toBeUndefined();
    expect(sim.server.requests.map((r) => r.path)).toEqual(['/api/v2/models/']);
  });

  it('upload → the image input of FLUX Image to Image → run → download: the bytes are the server\'s file', async () => {
    const source = await images(sim.client).upload(png(64, 48, 'source'));
    // 6.14 ships it with a FLUX Denoise of version 3, which the GUI will not run until it is replaced.
    const { workflow } = await models(sim.client).sync(updateNodes(fluxI2I()).workflow, { byBase: true });
    const wf = pipe(workflow, setInput('Image', { image_name: source.image_name }), setInput('Prompt', 'a cat, repainted'));
    const result = await sim.client.submit(wf);
    expect(result.items.map((i) => i.status)).toEqual(['completed']);
    const made = result.items[0].outputs.flatMap((o) => o.images);
    expect(made).toHaveLength(1);
    const bytes = await images(sim.client).download(made[0].imageName);
    expect(Buffer.from(bytes).equals(sim.server.imageBytes(made[0].imageName)!)).toBe(true);
    // the run read the uploaded image: the graph sent names it
    const item = sim.server.queueItem(result.items[0].itemId) as { session: { graph: { nodes: Record<string, Record<string, unknown>> } } };
    expect(Object.values(item.session.graph.nodes).some((n) => JSON.stringify(n.image) === JSON.stringify({ image_name: source.image_name }))).toBe(true);
  });
});
