// `npm run demo:i2i`: upload an image (DEMO_IMAGE, or a generated gradient), use it as the input of
// InvokeAI's own "FLUX Image to Image" workflow, and save the result.
import { promises as fs } from 'fs';
import * as path from 'path';
import { pipe } from 'fp-ts/function';
import { PNG } from 'pngjs';
import { setInput, updateNodes, models } from '../lib/index';
import { loadWorkflowFile, saveOutputs, uploadImageFile } from '../lib/node';
import { demoWorkflow, outDir, startDemoServer } from './lib/setup';

/** A 256×256 gradient PNG, so the demo needs no image of yours. */
const gradientPng = (): Buffer => {
  const png = new PNG({ width: 256, height: 256 });
  for (let y = 0; y < 256; y++) {
    for (let x = 0; x < 256; x++) {
      const i = (y * 256 + x) * 4;
      png.data[i] = x;
      png.data[i + 1] = y;
      png.data[i + 2] = 255 - x;
      png.data[i + 3] = 255;
    }
  }
  return PNG.sync.write(png);
};

const main = async (): Promise<void> => {
  const demo = await startDemoServer();
  const { client } = demo;
  try {
    const dir = outDir('i2i');
    await fs.mkdir(dir, { recursive: true });
    let source = process.env['DEMO_IMAGE'];
    if (source === undefined) {
      source = path.join(dir, 'input-gradient.png');
      await fs.writeFile(source, gradientPng());
    }

    // Upload: the content type comes from the bytes; uncategorized, not intermediate.
    const uploaded = await uploadImageFile(client, source);
    console.log(`uploaded ${source} as ${uploaded.image_name} (${uploaded.width}×${uploaded.height})`);

    const loaded = await loadWorkflowFile(demoWorkflow('FLUX Image to Image.json'));
    // InvokeAI 6.14 ships this workflow with a FLUX Denoise node of version 3, and its node is now
    // version 4: the GUI will not run it until the node is replaced. updateNodes replaces it, keeping
    // its connections and the values version 4 still takes, and says what it changed.
    const update = updateNodes(loaded);
    for (const u of update.updated) console.log(`node ${u.label}: ${u.nodeType} ${u.from} → ${u.to} (${u.how}; inputs removed: ${u.removedInputs.join(', ') || 'none'})`);
    // Models: what the workflow names, matched on this server; empty ones by the main model's base.
    const sync = await models(client).sync(update.workflow, { byBase: true });
    for (const c of sync.changes) console.log(`model ${c.label}: ${c.to.name} (${c.to.base} ${c.to.type}, matched by ${c.by})`);
    for (const u of sync.unresolved) console.log(`model ${u.label}: not set, ${u.reason}`);
    const wf = pipe(
      sync.workflow,
      setInput('Prompt', 'the same scene as a watercolor painting'),
      setInput('Image', uploaded.image_name), // a bare name becomes {image_name}
    );

    const result = await client.submit(wf);
    const files = await saveOutputs(client, result, dir, { naming: (i) => `i2i-${i.itemId}-${i.index}.png` });
    for (const item of result.items) console.log(`item ${item.itemId}: ${item.status}${item.error ? ` (${item.error.type}: ${item.error.message})` : ''}`);
    for (const f of files) console.log(`wrote ${f}`);
    if (result.items.some((i) => i.status !== 'completed')) process.exitCode = 1;
  } finally {
    await demo.close();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
