// `npm run demo:service`: a tiny image service. Prompts arrive as stdin lines; each becomes a run;
// at most DEMO_CONCURRENCY (default 2) run at once, and stdin is paused while enough are waiting,
// so a fast producer never piles up unbounded work (backpressure). Pausing acts on the stream: the
// lines of a chunk already read still arrive, and wait in mergeMap's buffer (one chunk at most).
//
//   printf 'a red fox\na blue whale\n' | npm run demo:service
import * as readline from 'readline';
import { Observable, defer, filter, finalize, lastValueFrom, map, mergeMap, tap, toArray } from 'rxjs';
import { isTerminalRunEvent, setInput, type TerminalRunEvent, type Workflow, models } from '../lib/index';
import { loadWorkflowFile, saveOutputs } from '../lib/node';
import { demoWorkflow, outDir, startDemoServer } from './lib/setup';

const CONCURRENCY = Number(process.env['DEMO_CONCURRENCY'] ?? 2);
// Lines read but not finished, beyond which stdin is paused; resumed below the low mark.
const HIGH_WATER = CONCURRENCY * 2;
const LOW_WATER = CONCURRENCY;

/** stdin lines as an Observable, with a handle to pause and resume the reading. */
const lines = (input: NodeJS.ReadableStream): { readonly lines$: Observable<string>; readonly pause: () => void; readonly resume: () => void } => {
  const rl = readline.createInterface({ input, terminal: false });
  const lines$ = new Observable<string>((subscriber) => {
    rl.on('line', (line) => {
      if (line.trim() !== '') subscriber.next(line.trim());
    });
    rl.on('close', () => subscriber.complete());
    return () => rl.close();
  });
  return { lines$, pause: () => rl.pause(), resume: () => rl.resume() };
};

const main = async (): Promise<void> => {
  const demo = await startDemoServer();
  const { client } = demo;
  try {
    const loaded = await loadWorkflowFile(demoWorkflow('Text to Image - SDXL.json'));
    const wf: Workflow = (await models(client).sync(loaded, { byBase: true })).workflow;
    const dir = outDir('service');
    const input = lines(process.stdin);
    let waiting = 0; // read, not finished
    let running = 0;
    let maxRunning = 0;
    let paused = false;
    console.log(`reading prompts from stdin, ${CONCURRENCY} at a time`);

    const results = await lastValueFrom(
      input.lines$.pipe(
        tap(() => {
          waiting++;
          if (waiting >= HIGH_WATER && !paused) {
            paused = true;
            input.pause();
          }
        }),
        mergeMap(
          (prompt, n) =>
            defer(() => {
              running++;
              maxRunning = Math.max(maxRunning, running);
              console.log(`#${n} start (${running} running): ${prompt}`);
              return client.run(setInput('Positive Prompt', prompt)(wf));
            }).pipe(
              filter(isTerminalRunEvent),
              toArray(),
              mergeMap(async (ends: TerminalRunEvent[]) => {
                const completed = ends.flatMap((e) => (e.type === 'completed' ? [e] : []));
                const files: string[] = [];
                for (const e of completed) files.push(...(await saveOutputs(client, e, dir, { naming: (img) => `prompt-${n}-${img.index}.png` })));
                return { n, prompt, ok: completed.length === ends.length, files };
              }),
              finalize(() => {
                running--;
                waiting--;
                if (paused && waiting <= LOW_WATER) {
                  paused = false;
                  input.resume();
                }
              }),
            ),
          CONCURRENCY,
        ),
        tap((r) => console.log(`#${r.n} ${r.ok ? 'done' : 'FAILED'}: ${r.files.join(', ') || 'no images'}`)),
        map((r) => r.ok),
        toArray(),
      ),
    );
    console.log(`${results.filter(Boolean).length}/${results.length} prompts done, at most ${maxRunning} running at once; images in ${dir}`);
    if (results.some((ok) => !ok)) process.exitCode = 1;
  } finally {
    await demo.close();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
