// `npm run demo:pool`: twelve SDXL prompts over a pool of three simulated servers: a fast one, a slow
// one, and one without any SDXL model (so no SDXL run may go there). Halfway, the fast server dies;
// what it had not finished is resubmitted to the others (requeueOnServerLoss), nothing is lost and
// nothing runs twice. Prints where each image was made and the share each server took.
//
// With INVOKEAI_POOL_URLS=http://gpu1:9090,http://gpu2:9090 it drives real servers instead (and
// kills nothing).
import { lastValueFrom, tap } from 'rxjs';
import { SERVER_LOST, createPool, setInput, type PoolServer, type Workflow } from '../lib/index';
import { loadWorkflowFile, saveOutputs } from '../lib/node';
import { startMockServer, type MockServer } from '../lib/testing';
import { defaultModels } from '../lib/testing/models';
import { demoWorkflow, outDir } from './lib/setup';

const PROMPTS = [
  'a lighthouse at dawn',
  'a fox in the snow',
  'a city of glass at night',
  'a koi pond in autumn',
  'a desert caravan at dusk',
  'a paper boat on a puddle',
  'a library inside a tree',
  'a train crossing a viaduct',
  'an owl reading a map',
  'a greenhouse on the moon',
  'a lantern festival on a river',
  'a snail racing a leaf',
];

interface Simulated {
  readonly name: string;
  readonly server: MockServer;
}

/** Three simulated servers; DEMO_STEP_MS sets the fast one's speed (the slow one takes 3x as long). */
const startSimulated = async (): Promise<Simulated[]> => {
  const stepMs = Number(process.env['DEMO_STEP_MS'] ?? 40);
  return [
    { name: 'fast', server: await startMockServer({ stepMs, steps: 12 }) },
    { name: 'slow', server: await startMockServer({ stepMs: stepMs * 3, steps: 12 }) },
    { name: 'no-sdxl', server: await startMockServer({ stepMs, steps: 12, models: defaultModels().filter((m) => m.base !== 'sdxl') }) },
  ];
};

const main = async (): Promise<void> => {
  const urls = (process.env['INVOKEAI_POOL_URLS'] ?? '').split(',').filter((u) => u !== '');
  const simulated = urls.length > 0 ? [] : await startSimulated();
  const servers: PoolServer[] = urls.length > 0 ? urls : simulated.map((s) => s.server.url);
  const nameOf = (index: number): string => simulated[index]?.name ?? urls[index] ?? String(index);
  // Each server's models are read once; the workflow's model fields are matched by base there.
  const pool = createPool(servers, { maxInFlightPerServer: 2, requeueOnServerLoss: true, modelSync: { byBase: true } });
  let killed: Promise<void> | undefined;
  try {
    const wf: Workflow = await loadWorkflowFile(demoWorkflow('Text to Image - SDXL.json'));
    const dir = outDir('pool');
    const madeOn = PROMPTS.map((): string[] => []);
    const requeued = new Set<number>();
    const saves: Promise<unknown>[] = [];
    let completed = 0;
    /** Completed events seen, per server: to know when every image a server made is being saved. */
    const seenFrom = servers.map(() => 0);
    // Halfway, the fast server goes away for good (socket and REST). It first stops taking new work,
    // finishes the item it is making, and the demo saves every image it made (their completed
    // events may still be on their way), so that what the demo loses is only unfinished work.
    const kill = async (victim: Simulated, index: number): Promise<void> => {
      console.log(`killing ${victim.name}`);
      victim.server.faults.pauseProcessor();
      const statuses = () => victim.server.queueItems().map((item) => item['status']);
      while (statuses().includes('in_progress') || seenFrom[index]! < statuses().filter((s) => s === 'completed').length) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await Promise.allSettled(saves);
      await victim.server.close();
    };
    console.log(`${PROMPTS.length} prompts over ${servers.length} servers: ${servers.map((_, i) => nameOf(i)).join(', ')}`);

    await lastValueFrom(
      pool.runMany(PROMPTS.map((prompt) => setInput('Positive Prompt', prompt)(wf))).pipe(
        tap(({ index, event }) => {
          if (event.retryOf !== undefined && !requeued.has(index)) {
            requeued.add(index);
            console.log(`#${index} resubmitted to ${nameOf(event.server.index)} (its server was lost)`);
          }
          if (event.type === 'failed' && event.error.type === SERVER_LOST) console.log(`#${index} lost with ${nameOf(event.server.index)}`);
          else if (event.type === 'failed') console.log(`#${index} failed on ${nameOf(event.server.index)}: ${event.error.message.split('\n')[0]}`);
          if (event.type !== 'completed') return;
          seenFrom[event.server.index] = (seenFrom[event.server.index] ?? 0) + 1;
          madeOn[index].push(nameOf(event.server.index));
          completed += 1;
          console.log(`#${index} done on ${nameOf(event.server.index)}: ${PROMPTS[index]}`);
          saves.push(
            saveOutputs(pool.clients[event.server.index], event, dir, {
              naming: (image) => `prompt${index}-${image.index}.png`,
            }),
          );
          if (killed === undefined && simulated.length > 0 && completed === PROMPTS.length / 2) killed = kill(simulated[0], 0);
        }),
      ),
    );

    await killed;
    await Promise.all(saves);
    const shares = servers.map((_, i) => madeOn.filter((where) => where.includes(nameOf(i))).length);
    console.log(`\n${madeOn.filter((where) => where.length === 1).length}/${PROMPTS.length} prompts made exactly once; ${requeued.size} resubmitted`);
    servers.forEach((_, i) => console.log(`  ${nameOf(i).padEnd(8)} ${shares[i]} image(s)`));
    console.log(`images in ${dir}`);
  } finally {
    pool.close();
    await killed?.catch(() => undefined);
    // Closing a closed simulator is harmless; the killed one may not have been reached.
    await Promise.all(simulated.map((s) => s.server.close()));
  }
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
