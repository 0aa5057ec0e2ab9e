// `npm run demo`: InvokeAI's own "Text to Image - SDXL" workflow, its prompt and size set through
// the form's inputs, run with live progress bars, its PNGs saved to ./out. Against the simulated
// server, or against yours with INVOKEAI_URL set.
import { lastValueFrom, toArray } from 'rxjs';
import { exposeInput, getInput, listInputs, pipe, setInput, models } from '../lib/index';
import { loadWorkflowFile, saveEachCompleted, showProgress } from '../lib/node';
import { demoWorkflow, outDir, startDemoServer } from './lib/setup';

const PROMPT = process.env['DEMO_PROMPT'] ?? 'a lighthouse on a cliff at dawn, volumetric light, oil painting';

const main = async (): Promise<void> => {
  const demo = await startDemoServer();
  const { client } = demo;
  try {
    console.log(demo.simulated ? `Simulated InvokeAI at ${demo.url} (set INVOKEAI_URL to use yours)` : `InvokeAI at ${demo.url}`);

    // 1. Load the workflow exactly as the InvokeAI editor exports it.
    const loaded = await loadWorkflowFile(demoWorkflow('Text to Image - SDXL.json'));
    console.log(`\n${loaded.json.name}: ${listInputs(loaded).map((i) => `#${i.index} ${i.label} (${i.kind})`).join(', ')}`);

    // 2. Models: what the workflow names, matched on this server (by hash, then by name); every model
    //    field still empty gets an installed model it accepts, of the main model's base (byBase).
    const sync = await models(client).sync(loaded, { byBase: true });
    const formInput = (f: { readonly nodeId: string; readonly fieldName: string }) =>
      listInputs(sync.workflow).find((i) => i.nodeId === f.nodeId && i.fieldName === f.fieldName);
    const formLabel = (nodeId: string, fieldName: string, fallback: string): string => formInput({ nodeId, fieldName })?.label ?? fallback;
    const inFormOrder = [...sync.changes].sort((a, b) => (formInput(a)?.index ?? Infinity) - (formInput(b)?.index ?? Infinity));
    for (const c of inFormOrder) console.log(`model ${formLabel(c.nodeId, c.fieldName, c.label)}: ${c.to.name} (${c.to.base} ${c.to.type}, matched by ${c.by})`);
    for (const u of sync.unresolved) console.log(`model ${formLabel(u.nodeId, u.fieldName, u.label)}: not set, ${u.reason}`);

    // 3. InvokeAI's form has no size: add the noise node's width and height to it, as the editor's
    //    "add to form" does, then set the prompt and the size through the form's inputs.
    const wf = pipe(
      sync.workflow,
      exposeInput('noise.width', { label: 'Width' }),
      exposeInput('noise.height', { label: 'Height' }),
      setInput('Positive Prompt', PROMPT),
      setInput('Width', 832),
      setInput('Height', 1216),
    );
    console.log(`inputs: ${listInputs(wf).map((i) => `#${i.index} ${i.label}`).join(', ')}`);
    console.log(`prompt: ${String(getInput(wf, 'Positive Prompt').value)}`);
    console.log(`size: ${String(getInput(wf, 'Width').value)}×${String(getInput(wf, 'Height').value)}`);

    // 4. Run it: one Observable of events; bars on a terminal, lines otherwise (showProgress), and
    //    each item's images saved as it completes (saveEachCompleted).
    console.log('');
    const saved = await lastValueFrom(client.run(wf).pipe(showProgress(wf), saveEachCompleted(client, outDir()), toArray()));
    const files = saved.flatMap((s) => s.files);
    console.log(`\n${files.length} image${files.length === 1 ? '' : 's'} written:`);
    for (const f of files) console.log(`  ${f}`);
    if (saved.length === 0) process.exitCode = 1;
  } finally {
    await demo.close();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
