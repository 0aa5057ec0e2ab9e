// Saving a streamed run's outputs: saveOutputs takes a `completed` event as it comes, and
// saveEachCompleted saves each item as it completes, emitting its files.
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { lastValueFrom, toArray } from 'rxjs';
import { saveEachCompleted, saveOutputs } from '../../lib/node';
import { ofType } from '../../lib/run/operators';
import { Workflow } from '../../lib/workflow/workflow';
import { SimClient, startSim } from '../client/sim-helpers';
import { models } from '../../lib/client/models';

const sd15 = () => Workflow.fromJson(readFileSync('spec/fixtures/default-workflows/Text to Image - SD1.5.json', 'utf8'));

let dir: string;
let sim: SimClient;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-saved-'));
  sim = await startSim();
});
afterEach(async () => {
  await sim.close();
  await fs.rm(dir, { recursive: true, force: true });
});

const synced = async () => (await models(sim.client).sync(sd15(), { byBase: true })).workflow;

it('saveOutputs saves the images of one completed event, as submit\'s result would', async () => {
  const wf = await synced();
  const done = await lastValueFrom(sim.client.run(wf).pipe(ofType('completed')));
  const files = await saveOutputs(sim.client, done, dir);
  const names = done.outputs.flatMap((o) => o.images.map((i) => i.imageName));
  expect(names).toHaveLength(1);
  expect(files.map((f) => path.basename(f))).toEqual(names);
  expect((await fs.readFile(files[0]!)).equals(sim.server.imageBytes(names[0]!)!)).toBe(true);
});

it('saveEachCompleted saves each item as it completes and emits its files; failed items save nothing', async () => {
  const wf = await synced();
  sim.server.faults.failNodes({ type: 'l2i', errorType: 'OutOfMemoryError', message: 'CUDA out of memory', count: 1 });
  const saved = await lastValueFrom(sim.client.run(wf, { runs: 3 }).pipe(saveEachCompleted(sim.client, dir), toArray()));
  expect(saved.map((s) => s.itemId)).toEqual(saved.map((s) => s.completed.itemId));
  expect(saved).toHaveLength(2);
  for (const s of saved) {
    const names = s.completed.outputs.flatMap((o) => o.images.map((i) => i.imageName));
    expect(s.files.map((f) => path.basename(f))).toEqual(names);
  }
  expect((await fs.readdir(dir)).sort()).toEqual(saved.flatMap((s) => s.files.map((f) => path.basename(f))).sort());
});
