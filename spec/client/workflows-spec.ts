import { readFileSync, readdirSync } from 'fs';
import { pipe } from 'fp-ts/function';
import { NotFoundError } from '../../lib/client/resource';
import { listInputs, setInput } from '../../lib/workflow/inputs';
import { Workflow } from '../../lib/workflow/workflow';
import { SimClient, startSim } from './sim-helpers';
import { workflows } from '../../lib/client/workflows';

const dir = 'spec/fixtures/default-workflows';
const defaults = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as Record<string, unknown>);

describe('workflows(client)', () => {
  let sim: SimClient;
  beforeEach(async () => {
    sim = await startSim({ workflows: defaults });
  });
  afterEach(() => sim.close());

  it('lists the library page by page, with filters', async () => {
    const first = await workflows(sim.client).list({ perPage: 10 });
    expect(first).toMatchObject({ page: 0, per_page: 10, total: defaults.length, pages: Math.ceil(defaults.length / 10) });
    expect(first.items).toHaveLength(10);
    const last = await workflows(sim.client).list({ perPage: 10, page: first.pages - 1 });
    expect(last.items).toHaveLength(defaults.length - 10 * (first.pages - 1));
    const names = [...first.items, ...last.items].map((i) => i.name);
    expect(new Set(names).size).toBe(names.length);
    const flux = await workflows(sim.client).list({ query: 'flux', categories: ['default'] });
    expect(flux.items.map((i) => i.name)).toEqual(['Image to Image - FLUX', 'Text to Image - FLUX']);
    expect(flux.items.every((i) => i.category === 'default')).toBe(true);
    await expect(workflows(sim.client).list({ categories: ['user'] })).resolves.toMatchObject({ total: 0, items: [] });
  });

  it('get(id) returns a Workflow value, or null for an unknown id', async () => {
    const id = 'default_cbf0e034-7b54-4b2c-b670-3b1e2e4b4a88';
    const wf = await workflows(sim.client).get(id);
    expect(wf?._tag).toBe('Workflow');
    expect(wf?.json.name).toBe('Image to Image - FLUX');
    expect(listInputs(wf!).map((i) => i.label)).toContain('Image');
    await expect(workflows(sim.client).get('nope')).resolves.toBeNull();
    await expect(workflows(sim.client).record(id)).resolves.toMatchObject({ workflow_id: id, name: 'Image to Image - FLUX' });
  });

  it('creates, updates and deletes a user workflow; calls on an unknown id throw NotFoundError', async () => {
    const original = (await workflows(sim.client).get('default_cbf0e034-7b54-4b2c-b670-3b1e2e4b4a88'))!;
    const mine = pipe(original, setInput('Prompt', 'a red fox'));
    const created = await workflows(sim.client).create(mine);
    expect(created.workflow_id).not.toBe('default_cbf0e034-7b54-4b2c-b670-3b1e2e4b4a88');
    const loaded = (await workflows(sim.client).get(created.workflow_id))!;
    expect(listInputs(loaded).find((i) => i.label === 'Prompt')?.value).toBe('a red fox');
    // the value passed in is unchanged
    expect(listInputs(original).find((i) => i.label === 'Prompt')?.value).toBe('a cat wearing a birthday hat');

    const renamed = Workflow.fromObject({ ...Workflow.toObject(loaded), name: 'Fox' });
    await expect(workflows(sim.client).update(created.workflow_id, renamed)).resolves.toMatchObject({ workflow_id: created.workflow_id, name: 'Fox' });
    expect((await workflows(sim.client).get(created.workflow_id))?.json.name).toBe('Fox');

    await workflows(sim.client).delete(created.workflow_id);
    await expect(workflows(sim.client).get(created.workflow_id)).resolves.toBeNull();
    await expect(workflows(sim.client).delete(created.workflow_id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(workflows(sim.client).update('ghost', renamed)).rejects.toMatchObject({ name: 'NotFoundError', resource: 'workflow' });
  });
});
