// `npm run demo:sweep`: seeds × prompts in one batch (the server's Batch.data does the fan-out),
// then a results grid: an HTML page (out/sweep/index.html) and the same grid as text.
import { promises as fs } from 'fs';
import * as path from 'path';
import { getInput, type RunItemResult, models } from '../lib/index';
import { loadWorkflowFile, saveOutputs } from '../lib/node';
import { demoWorkflow, outDir, startDemoServer } from './lib/setup';

const PROMPTS = ['a lighthouse at dawn', 'a fox in the snow', 'a city of glass at night'];
const SEEDS = [1, 42, 1234];

const escapeHtml = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

const main = async (): Promise<void> => {
  const demo = await startDemoServer();
  const { client } = demo;
  try {
    // InvokeAI's own workflow feeds the noise seed from a Random Seed node (an edge), so no value can
    // be swept into it; this variant drops that node and has the seed in its form.
    const loaded = await loadWorkflowFile(demoWorkflow('Text to Image - SDXL (seed and size in the form).json'));
    const wf = (await models(client).sync(loaded, { byBase: true })).workflow;
    const seed = getInput(wf, 'Seed');
    const prompt = getInput(wf, 'Positive Prompt');
    console.log(`${wf.json.name}: sweeping #${seed.index} Seed × #${prompt.index} Positive Prompt = ${SEEDS.length * PROMPTS.length} items`);

    // One batch; `product` (the default) runs every combination. The server makes one item per combination.
    const result = await client.submit(wf, { sweep: { values: { Seed: SEEDS, 'Positive Prompt': PROMPTS } } });

    // Each item says which values the batch gave it: that is how a cell finds its row and column.
    const valueOf = (item: RunItemResult, nodeId: string, field: string): unknown =>
      item.fieldValues.find((v) => v.node_path === nodeId && v.field_name === field)?.value;
    const dir = outDir('sweep');
    const cells = new Map<string, string>();
    for (const item of result.items) {
      const s = valueOf(item, seed.nodeId, seed.fieldName);
      const p = PROMPTS.indexOf(String(valueOf(item, prompt.nodeId, prompt.fieldName)));
      if (item.status !== 'completed') {
        cells.set(`${s}/${p}`, `(${item.status})`);
        continue;
      }
      const [file] = await saveOutputs(client, { items: [item] }, dir, { naming: () => `prompt${p}-seed${String(s)}.png` });
      if (file !== undefined) cells.set(`${s}/${p}`, path.basename(file));
    }

    const html = [
      '<!doctype html><meta charset="utf-8"><title>invokeai-rx sweep</title>',
      '<style>body{font-family:sans-serif}td,th{padding:4px;text-align:center}img{width:160px}</style>',
      `<h1>${escapeHtml(wf.json.name)}</h1><table><tr><th></th>${SEEDS.map((s) => `<th>seed ${s}</th>`).join('')}</tr>`,
      ...PROMPTS.map(
        (p, i) =>
          `<tr><th>${escapeHtml(p)}</th>${SEEDS.map((s) => {
            const f = cells.get(`${s}/${i}`) ?? '';
            return `<td>${f.endsWith('.png') ? `<img src="${escapeHtml(f)}" alt="${escapeHtml(`${p}, seed ${s}`)}"><br>` : ''}${escapeHtml(f)}</td>`;
          }).join('')}</tr>`,
      ),
      '</table>',
    ].join('\n');
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'index.html'), html);

    const width = Math.max(...[...cells.values()].map((c) => c.length), 10);
    const head = Math.max(...PROMPTS.map((p) => p.length));
    console.log(`\n${''.padEnd(head)}  ${SEEDS.map((s) => `seed ${s}`.padEnd(width)).join('  ')}`);
    PROMPTS.forEach((p, i) => console.log(`${p.padEnd(head)}  ${SEEDS.map((s) => (cells.get(`${s}/${i}`) ?? '-').padEnd(width)).join('  ')}`));
    const done = result.items.filter((i) => i.status === 'completed').length;
    console.log(`\n${done}/${result.items.length} completed; grid: ${path.join(dir, 'index.html')}`);
    if (done !== result.items.length) process.exitCode = 1;
  } finally {
    await demo.close();
  }
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
