import { firstValueFrom, take, toArray } from 'rxjs';
import { modelConfig } from '../../lib/testing/models';
import { defaultModels } from '../../lib/testing';
import { toModelIdentifier, models } from '../../lib/client/models';
import { SimClient, startSim } from './sim-helpers';

describe('models(client)', () => {
  let sim: SimClient;
  afterEach(() => sim.close());

  it('lists with the server\'s filters: several bases, type, exact name, format', async () => {
    sim = await startSim();
    const all = await models(sim.client).list();
    expect(all).toHaveLength(defaultModels().length);
    const fluxMains = await models(sim.client).list({ base: 'flux', type: 'main' });
    expect(fluxMains.map((m) => m.name)).toEqual(['flux1-dev', 'flux1-schnell']);
    const vaes = await models(sim.client).list({ base: ['sd-1', 'sdxl'], type: 'vae' });
    expect(vaes.map((m) => m.name).sort()).toEqual(['sd-vae-ft-mse', 'sdxl-vae-fp16-fix']);
    await expect(models(sim.client).list({ name: 'flux1-dev' })).resolves.toHaveLength(1);
    const gguf = await models(sim.client).list({ format: 'gguf_quantized' });
    expect(gguf.map((m) => m.name)).toEqual(['Wan2.2-T2V-A14B-low-noise']);
    // class-specific fields are kept
    expect(fluxMains[0]).toMatchObject({ variant: 'dev', format: 'checkpoint' });
  });

  it('keeps unknown base, type and format values of a newer server as strings', async () => {
    sim = await startSim();
    sim.server.addModel({ name: 'hologram-xl', base: 'flux3', type: 'hologram', format: 'quantum' });
    const list = await models(sim.client).list();
    expect(list.find((m) => m.name === 'hologram-xl')).toMatchObject({ base: 'flux3', type: 'hologram', format: 'quantum' });
    await expect(models(sim.client).list({ base: 'flux3' })).resolves.toHaveLength(1);
  });

  it('leaves out a record that does not decode, keeps the others, and reports it on resourceDiagnostics$', async () => {
    const broken = { ...modelConfig({ name: 'broken', base: 'sd-1', type: 'main' }), key: 42 } as unknown as ReturnType<typeof modelConfig>;
    sim = await startSim({ models: [...defaultModels(), broken] });
    const reported = firstValueFrom(sim.client.resourceDiagnostics$.pipe(take(1), toArray()));
    const list = await models(sim.client).list();
    expect(list).toHaveLength(defaultModels().length);
    const [diagnostic] = await reported;
    expect(diagnostic).toMatchObject({ type: 'undecodable_item', endpoint: 'GET /api/v2/models/', item: { name: 'broken' } });
    expect(diagnostic.issues[0].path).toContain('key');
  });

  it('get(key) and find({name, type, base}) answer the model, or null', async () => {
    sim = await startSim();
    const dev = sim.server.models().find((m) => m.name === 'flux1-dev')!;
    await expect(models(sim.client).get(dev.key)).resolves.toMatchObject({ key: dev.key, name: 'flux1-dev' });
    await expect(models(sim.client).get('no-such-key')).resolves.toBeNull();
    await expect(models(sim.client).find({ name: 'flux1-dev', type: 'main', base: 'flux' })).resolves.toMatchObject({ key: dev.key });
    await expect(models(sim.client).find({ name: 'flux1-dev', type: 'vae', base: 'flux' })).resolves.toBeNull();
    expect(sim.server.requests.filter((r) => r.path === '/api/v2/models/get_by_attrs').map((r) => r.status)).toEqual([200, 404]);
    expect(toModelIdentifier(dev)).toEqual({ key: dev.key, hash: dev.hash, name: 'flux1-dev', base: 'flux', type: 'main' });
  });
});
