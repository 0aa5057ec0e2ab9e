// A run of a workflow whose model inputs were set by name or key: the client reads the server's
// model list first (only then) and enqueues the installed models' identifiers; a name that fits
// no model, or several, errors the run before anything is enqueued.
import { readFileSync } from 'fs';
import { firstValueFrom, toArray } from 'rxjs';
import { InputError } from '../../lib/workflow/errors';
import { setInput } from '../../lib/workflow/inputs';
import { Workflow } from '../../lib/workflow/workflow';
import { modelIdentifier } from '../../lib/testing';
import { SimClient, startSim } from './sim-helpers';
import { models } from '../../lib/client/models';

const sdxl = Workflow.fromJson(readFileSync('demos/workflows/Text to Image - SDXL.json', 'utf8'));
const byName = setInput('VAE (use the FP16 model)', 'sdxl-vae-fp16-fix')(setInput('Model', 'juggernautXL_v9')(sdxl));

/** The model fields of the graph the server was given for its last queue item. */
const enqueuedModels = (sim: SimClient): unknown[] => {
  const item = sim.server.queueItems().at(-1) as { session: { graph: { nodes: Record<string, Record<string, unknown>> } } };
  return Object.values(item.session.graph.nodes).flatMap((n) => ['model', 'vae_model'].filter((f) => n[f] !== undefined).map((f) => n[f]));
};

describe('model inputs set by name or key', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim();
  });
  afterEach(() => sim.close());

  it('submit reads the model list once, then runs with the installed models\' identifiers', async () => {
    const result = await sim.client.submit(byName);
    expect(result.items.map((i) => i.status)).toEqual(['completed']);
    const installed = (name: string) => modelIdentifier(sim.server.models().find((m) => m.name === name)!);
    expect(enqueuedModels(sim)).toEqual(expect.arrayContaining([installed('juggernautXL_v9'), installed('sdxl-vae-fp16-fix')]));
    expect(sim.server.requests.filter((r) => r.path === '/api/v2/models/')).toHaveLength(1);
  });

  it('a sweep of models by name runs one item per model', async () => {
    const key = sim.server.models().find((m) => m.name === 'juggernautXL_v9')!.key;
    const result = await sim.client.submit(byName, { sweep: { values: { Model: ['juggernautXL_v9', key] } } });
    expect(result.items.map((i) => i.status)).toEqual(['completed', 'completed']);
  });

  it('a run without such references reads no model list', async () => {
    const synced = (await models(sim.client).sync(sdxl, { byBase: true })).workflow;
    const before = sim.server.requests.length;
    await sim.client.submit(synced);
    expect(sim.server.requests.slice(before).some((r) => r.path === '/api/v2/models/')).toBe(false);
  });

  it('a name no installed model has errors the run with an InputError listing what fits, and enqueues nothing', async () => {
    const error = await firstValueFrom(sim.client.run(setInput('Model', 'juggernautXL_v10')(byName)).pipe(toArray())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toContain('the server has no model named or keyed "juggernautXL_v10". Models that fit:\n  juggernautXL_v9 (sdxl main');
    expect(sim.server.queueItems()).toHaveLength(0);
  });
});
