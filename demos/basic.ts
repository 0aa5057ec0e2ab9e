// `npm run demo`: InvokeAI's own "Text to Image - SDXL" workflow, run with live progress bars, its
// PNGs saved to ./out. Against the simulated server, or against yours with INVOKEAI_URL set.
// InvokeAI's workflow has no size in its form; DEMO_WORKFLOW="Text to Image - SDXL (seed and size
// in the form).json" runs the variant that has, and the demo sets 832×1216 through it.
import { pipe } from 'fp-ts/function';
import { lastValueFrom, tap } from 'rxjs';
import { getInput, listInputs, setInput, type CompletedEvent, type RunEvent } from '../lib/index';
import { pickModels } from './lib/models';
import { loadWorkflowFile, saveOutputs } from '../lib/node';
import { foldProgress, initialProgress, liveBlock, plainLine, renderBars } from '../lib/cli/progress';
import { demoWorkflow, outDir, startDemoServer } from './lib/setup';

const PROMPT = process.env['DEMO_PROMPT'] ?? 'a lighthouse on a cliff at dawn, volumetric light, oil painting';

const main = async (): Promise<void> => {
  const demo = await startDemoServer();
  const { client } = demo;
  try {
    console.log(demo.simulated ? `Simulated InvokeAI at ${demo.url} (set INVOKEAI_URL to use yours)` : `InvokeAI at ${demo.url}`);

    // 1. Load the workflow exactly as the InvokeAI editor exports it.
    const loaded = await loadWorkflowFile(demoWorkflow(process.env['DEMO_WORKFLOW'] ?? 'Text to Image - SDXL.json'));
    console.log(`\n${loaded.json.name}: ${listInputs(loaded).map((i) => `#${i.index} ${i.label} (${i.kind})`).join(', ')}`);

    // 2. Models: first what the workflow names, matched on this server (by hash, then by name);
    //    then every model input still empty gets an installed model it accepts, of the main model's base.
    const sync = await client.syncModels(loaded);
    for (const c of sync.changes) console.log(`model ${c.label}: ${c.to.name} (matched by ${c.by})`);
    const withModels = pickModels(sync.workflow, await client.models.list());

    // 3. Set the prompt (and the size when the form has it) through the form's inputs.
    const hasInput = (ref: string): boolean => listInputs(withModels).some((i) => i.label === ref);
    const wf = pipe(
      withModels,
      setInput('Positive Prompt', PROMPT),
      (w) => (hasInput('Width') ? pipe(w, setInput('Width', 832), setInput('Height', 1216)) : w),
    );
    console.log(`prompt: ${String(getInput(wf, 'Positive Prompt').value)}`);
    if (hasInput('Width')) console.log(`size: ${String(getInput(wf, 'Width').value)}×${String(getInput(wf, 'Height').value)}`);
    else console.log('size: this workflow\'s form has no size inputs; it renders at the size saved in the editor (1024×1024)');

    // 4. Run it: one Observable of events; bars on a terminal, lines otherwise.
    const tty = process.stdout.isTTY === true;
    const block = liveBlock((t) => process.stdout.write(t));
    let progress = initialProgress(wf.json.nodes.filter((n) => n.type === 'invocation').length);
    const completed: CompletedEvent[] = [];
    const show = (event: RunEvent): void => {
      progress = foldProgress(progress, event);
      if (event.type === 'completed') completed.push(event);
      if (tty) block.draw(renderBars(progress, process.stdout.columns ?? 80));
      else {
        const line = plainLine(event);
        if (line !== undefined) console.log(line);
      }
    };
    console.log('');
    await lastValueFrom(client.run(wf).pipe(tap(show)), { defaultValue: undefined });

    // 5. Save the images of every completed item.
    const files = await saveOutputs(
      client,
      { items: completed.map((e) => ({ itemId: e.itemId, status: 'completed' as const, outputs: e.outputs, fieldValues: [], queueItem: e.queueItem })) },
      outDir(),
    );
    console.log(`\n${files.length} image${files.length === 1 ? '' : 's'} written:`);
    for (const f of files) console.log(`  ${f}`);
    if (completed.length === 0) process.exitCode = 1;
  } finally {
    await demo.close();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
