// Completion latency: from the simulator emitting an item's `completed` status to our `completed`
// run event (which waits for the authoritative REST read of the item), p50 and p99, against the
// Python client's 0.5 s poller seeing `completed`. Server and client share this process so that
// both moments are read from one clock.
import { performance } from 'node:perf_hooks';
import { createClient } from '../../../lib/client/client';
import { buildBatch } from '../../../lib/workflow/batch';
import { startMockServer } from '../../../lib/testing';
import type { EventLogEntry } from '../../../lib/testing';
import { BenchContext, Figure, FigureModule, percentile, spread } from '../harness';
import { pollingRun } from '../baselines';
import { imageWorkflow } from '../workflows';
import { seededRandom } from '../../../lib/testing/events';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The completion-latency figure module. */
export const completionLatency: FigureModule = {
  id: 'latency',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const repetitions = ctx.quick ? 2 : 3;
    const oursRuns = ctx.quick ? 20 : 50;
    const pollerRuns = ctx.quick ? 5 : 12;
    const server = await startMockServer({ stepMs: 2, steps: 3 });
    // The moment each `completed` status leaves the simulator: its event log is appended right
    // before the socket.io emit, so wrapping `push` marks the emit.
    const emittedAt = new Map<number, number>();
    const log = server.events as EventLogEntry[];
    const push = log.push.bind(log);
    log.push = (...entries: EventLogEntry[]): number => {
      for (const e of entries) {
        if (e.name === 'queue_item_status_changed' && e.payload.status === 'completed' && e.delivered) emittedAt.set(e.payload.item_id as number, performance.now());
      }
      return push(...entries);
    };
    const random = seededRandom(8);
    const wf = imageWorkflow();
    const batch = buildBatch(wf, { origin: 'bench' });
    // Each run waits in the queue for a random 0..500 ms, so that its end falls at a random phase
    // of the poller's 0.5 s cycle, as it does for real runs of varying length.
    const heldBack = async (start: () => Promise<{ itemId: number; seenAt: number }>): Promise<number> => {
      server.faults.pauseProcessor();
      const pending = start();
      await sleep(random() * 500);
      server.faults.resumeProcessor();
      const { itemId, seenAt } = await pending;
      const emitted = emittedAt.get(itemId);
      if (emitted === undefined) throw new Error(`no completed status was emitted for item ${itemId}`);
      return seenAt - emitted;
    };
    try {
      const client = createClient({ baseUrl: server.url });
      const oursOnce = (): Promise<{ itemId: number; seenAt: number }> =>
        new Promise((resolve, reject) => {
          client.run(wf).subscribe({
            next: (e) => {
              if (e.type === 'completed') resolve({ itemId: e.itemId, seenAt: performance.now() });
            },
            error: reject,
          });
        });
      const p50: number[] = [];
      const p99: number[] = [];
      const abs = { o50: [] as number[], o99: [] as number[], b50: [] as number[], b99: [] as number[] };
      for (let r = 0; r < repetitions; r++) {
        const ours: number[] = [];
        for (let i = 0; i < oursRuns; i++) ours.push(await heldBack(oursOnce));
        const polled: number[] = [];
        for (let i = 0; i < pollerRuns; i++) polled.push(await heldBack(() => pollingRun(server.url, batch, 500)));
        const [o50, o99, b50, b99] = [percentile(ours, 50), percentile(ours, 99), percentile(polled, 50), percentile(polled, 99)];
        p50.push(o50 / b50);
        p99.push(o99 / b99);
        abs.o50.push(o50);
        abs.o99.push(o99);
        abs.b50.push(b50);
        abs.b99.push(b99);
        ctx.log(`  latency: repetition ${r + 1}/${repetitions}: ours p50 ${o50.toFixed(2)} ms, poller p50 ${b50.toFixed(1)} ms`);
      }
      client.close();
      const med = (xs: number[]): number => spread(xs).median;
      return [
        {
          name: 'completion latency p50 (server completed -> our completed)',
          baseline: '0.5 s poller (Python client pattern)',
          value: spread(p50),
          unit: 'ratio',
          info: { 'ours p50 ms': med(abs.o50), 'poller p50 ms': med(abs.b50), 'runs per repetition (ours / poller)': `${oursRuns} / ${pollerRuns}` },
        },
        {
          name: 'completion latency p99',
          baseline: '0.5 s poller (Python client pattern)',
          value: spread(p99),
          unit: 'ratio',
          info: { 'ours p99 ms': med(abs.o99), 'poller p99 ms': med(abs.b99) },
        },
      ];
    } finally {
      log.push = push;
      await server.close();
    }
  },
};
