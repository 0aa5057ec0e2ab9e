// The client side of the heap figure, in its own process started with --expose-gc so that its heap
// holds nothing but the client: `argv[2]` the server URL, `argv[3]` the target run count, `argv[4]`
// a time budget in ms. Runs sequentially through `client.run`, reads the heap (after forced
// collections) at 100 runs and at the end, and sends `{ baseline, final, runs, checkpoints, ms }`.
import { lastValueFrom } from 'rxjs';
import { createClient } from '../../../lib/client/client';
import { singleNodeWorkflow } from '../workflows';

const gc = (globalThis as { gc?: () => void }).gc;

const settledHeap = async (): Promise<number> => {
  // Let pending callbacks run, then collect twice (the second pass frees what finalizers released).
  await new Promise((r) => setTimeout(r, 50));
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
};

const main = async (): Promise<void> => {
  if (!gc) throw new Error('heap-client needs --expose-gc');
  const [url, targetText, budgetText] = process.argv.slice(2);
  const target = Number(targetText);
  const budgetMs = Number(budgetText);
  const client = createClient({ baseUrl: url });
  const wf = singleNodeWorkflow();
  const start = performance.now();
  const checkpoints: Array<{ runs: number; heap: number }> = [];
  let baseline = 0;
  let runs = 0;
  while (runs < target) {
    await lastValueFrom(client.run(wf));
    runs++;
    if (runs === 100) {
      baseline = await settledHeap();
      checkpoints.push({ runs, heap: baseline });
    } else if (runs % 1000 === 0) {
      // Keep the server's queue short; its size is not what is measured.
      await fetch(`${url}/api/v1/queue/default/prune`, { method: 'PUT' });
      checkpoints.push({ runs, heap: await settledHeap() });
      if (performance.now() - start > budgetMs) break;
    }
  }
  const final = await settledHeap();
  client.close();
  process.send?.({ baseline, final, runs, checkpoints, ms: performance.now() - start });
};
main().catch((error: unknown) => {
  process.send?.({ error: String(error) });
});
