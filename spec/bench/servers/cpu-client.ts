// The client side of the CPU and heap figures, in a process of its own (started with --expose-gc)
// so that its CPU time and heap are the client's alone: `argv[2]` is the JSON of a `CpuJob`. It runs
// a warm-up, then the measured work, and sends a `CpuReport` over IPC.
import { getHeapStatistics } from 'v8';
import { ignoreElements, lastValueFrom } from 'rxjs';
import { createClient } from '../../../lib/client/client';
import { buildBatch } from '../../../lib/workflow/batch';
import { RawReadingClient } from '../baselines';
import { singleNodeWorkflow } from '../workflows';

/** What the child measures. */
export interface CpuJob {
  readonly side: 'ours' | 'raw';
  readonly url: string;
  /** One batch of `items` items, or `runs` single-item runs with `concurrency` in flight. */
  readonly work: { readonly kind: 'batch'; readonly items: number } | { readonly kind: 'runs'; readonly runs: number; readonly concurrency: number };
  /** Items (or runs) of the unmeasured warm-up. */
  readonly warmup: number;
}

/** What the child reports. */
export interface CpuReport {
  /** Process CPU time (user + system) of the measured work. */
  readonly cpuMs: number;
  readonly wallMs: number;
  /** Heap in use after forced collections just before the work, and the most seen while it ran. */
  readonly heapBefore: number;
  readonly heapPeak: number;
  readonly error?: string;
}

const gc = (globalThis as { gc?: () => void }).gc;

const settle = async (): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc?.();
  gc?.();
};

const prune = (url: string): Promise<unknown> => fetch(`${url}/api/v1/queue/default/prune`, { method: 'PUT' }).then((r) => r.text());

/** Runs `total` jobs with at most `concurrency` in flight. */
const inPool = async (total: number, concurrency: number, job: () => Promise<unknown>): Promise<void> => {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
};

const main = async (): Promise<void> => {
  if (!gc) throw new Error('cpu-client needs --expose-gc');
  const job = JSON.parse(process.argv[2] ?? '{}') as CpuJob;
  const wf = singleNodeWorkflow();
  let work: (size: number) => Promise<void>;
  let close: () => unknown;
  if (job.side === 'ours') {
    const client = createClient({ baseUrl: job.url, socketLingerMs: 60000 });
    close = () => client.close();
    work =
      job.work.kind === 'batch'
        ? (items) => lastValueFrom(client.run(wf, { runs: items }).pipe(ignoreElements()), { defaultValue: undefined })
        : (runs) => inPool(runs, job.work.kind === 'runs' ? job.work.concurrency : 1, () => lastValueFrom(client.run(wf).pipe(ignoreElements()), { defaultValue: undefined }));
  } else {
    const client = await RawReadingClient.connect(job.url);
    close = () => client.close();
    const batchOf = (runs: number) => buildBatch(wf, { origin: 'bench', runs });
    const one = batchOf(1);
    work =
      job.work.kind === 'batch'
        ? (items) => client.run(batchOf(items), items)
        : (runs) => inPool(runs, job.work.kind === 'runs' ? job.work.concurrency : 1, () => client.run(one, 1));
  }
  const size = job.work.kind === 'batch' ? job.work.items : job.work.runs;
  await work(job.warmup);
  await prune(job.url);
  await settle();
  const heapBefore = getHeapStatistics().used_heap_size;
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size);
  }, 5);
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work(size);
  const used = process.cpuUsage(cpu);
  const wallMs = performance.now() - start;
  clearInterval(sampler);
  heapPeak = Math.max(heapPeak, getHeapStatistics().used_heap_size);
  await close();
  const report: CpuReport = { cpuMs: (used.user + used.system) / 1000, wallMs, heapBefore, heapPeak };
  process.send?.(report);
};

main().catch((error: unknown) => process.send?.({ cpuMs: 0, wallMs: 0, heapBefore: 0, heapPeak: 0, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
