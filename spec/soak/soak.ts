// `npm run soak`: many runs of InvokeAI's default workflows through `client.run` against the
// simulated server while every fault it has is switched on at random. Prints counts; any
// violation prints the seed that replays the same fault sequence.
//   --runs N    runs to make (default 2000)
//   --seed S    the seed of every random choice (default: from the clock, printed)
// Also exported as `soak()` for spec/soak/soak-spec.ts.
import { Subscription } from 'rxjs';
import { createClient, InvokeAIClient } from '../../lib/client/client';
import type { RunEvent } from '../../lib/run/events';
import type { RunOptions } from '../../lib/run/run';
import { listOutputs } from '../../lib/workflow/outputs';
import { seededRandom } from '../../lib/testing/events';
import { RunEnd, RunRecord, ServerItem, SoakCounts, VIOLATION_COUNTS, checkRun, emptyCounts } from './checks';
import { FAULT_KINDS, FaultKind, startFaultScheduler } from './faults';
import { RemoteServer, startRemoteServer } from './remote';
import { SoakWorkflow, loadSoakWorkflows } from './workflows';

/** Options of `soak`. */
export interface SoakOptions {
  /** Runs to make (default 2000). */
  readonly runs?: number;
  /** The seed of every random choice (default 1). */
  readonly seed?: number;
  /** Runs in flight at once (default 6). */
  readonly concurrency?: number;
  /** Each run's `timeoutMs` (default 60 s); a run still open 10 s after it counts as hung. */
  readonly runTimeoutMs?: number;
  /** Mean milliseconds between faults (default 150). */
  readonly meanFaultIntervalMs?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

/** What a soak found. */
export interface SoakReport {
  readonly seed: number;
  readonly runs: number;
  /** Default workflows that ran cleanly before the faults started (the ones the soak uses). */
  readonly workflows: readonly string[];
  readonly counts: SoakCounts;
  /** Runs that errored, by error name. */
  readonly errors: Readonly<Record<string, number>>;
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly faultsNotInjected: Readonly<Record<FaultKind, number>>;
  /** Heap after 10% of the runs and at the end (after forced gc when `--expose-gc`), in bytes. */
  readonly heap: { readonly early: number; readonly end: number; readonly gcForced: boolean };
  /** Sockets still connected on the server after the client closed. */
  readonly socketsLeft: number;
  /** Node resources (timers, sockets, handles) alive after the soak and not before, by type. */
  readonly handlesLeft: Readonly<Record<string, number>>;
  readonly violations: readonly string[];
  readonly durationMs: number;
}

const HANG_GRACE_MS = 10000;
/** Growth of the heap (with forced gc) past which it is not flat. */
const HEAP_FLAT_LIMIT = 10 * 1024 * 1024;
const IMAGE_SAMPLE = 40;

const gc = (): boolean => {
  const f = (globalThis as { gc?: () => void }).gc;
  f?.();
  f?.();
  return f !== undefined;
};

const resourceCounts = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the soak; resolves with its report (it never throws for a violation: read `violations`). */
export const soak = async (options: SoakOptions = {}): Promise<SoakReport> => {
  const runs = options.runs ?? 2000;
  const seed = options.seed ?? 1;
  const concurrency = options.concurrency ?? 6;
  const runTimeoutMs = options.runTimeoutMs ?? 60000;
  const log = options.log ?? (() => undefined);
  const random = seededRandom(seed);
  const started = Date.now();
  const handlesBefore = resourceCounts();
  // Short engine.io pings, so that a server that stops pinging is noticed within a second.
  const server: RemoteServer = await startRemoteServer({ stepMs: 1, steps: 2, pingInterval: 500, pingTimeout: 500 });
  let client: InvokeAIClient | undefined;
  const violations: string[] = [];
  const counts = emptyCounts();
  const errors: Record<string, number> = {};
  try {
    const image = await server.addImage({ width: 96, height: 64 });
    const all = loadSoakWorkflows(await server.models(), image.image_name);
    client = createClient({
      baseUrl: server.url,
      reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
      retry: { initialDelayMs: 50, maxDelayMs: 500 },
      requestTimeoutMs: 10000,
      // The client's retry jitter is part of what a seed must replay.
      random: seededRandom(seed ^ 0xc11e),
    });
    const c = client;
    const runOptions: RunOptions = { timeoutMs: runTimeoutMs, silenceMs: 400, pollIntervalMs: 100, maxPollIntervalMs: 1000 };

    // Queue clears injected so far (the scheduler starts after the warm-up).
    let clears = (): number => 0;
    // The server's record of each item, read as soon as the run reports the item's end (a later
    // queue clear deletes finished items too).
    const snapshots = new Map<number, Promise<ServerItem | null>>();
    // Items and batches in flight, for the scheduler's cancels.
    const liveItems = new Set<number>();
    const liveBatches = new Set<string>();
    const imageSample: string[] = [];

    /** Subscribes to one run and resolves with its record once it ended (or hung). */
    const observe = (index: number, kind: RunRecord['kind'], wf: SoakWorkflow, extra: RunOptions = {}): Promise<RunRecord> =>
      new Promise((resolve) => {
        const events: RunEvent[] = [];
        let batchId: string | undefined;
        let ids: readonly number[] = [];
        let sub: Subscription | undefined;
        const clearsAtStart = clears();
        const finish = (end: RunEnd): void => {
          clearTimeout(watchdog);
          ids.forEach((id) => liveItems.delete(id));
          if (batchId) liveBatches.delete(batchId);
          resolve({ index, kind, workflow: wf.name, events, end, clearedDuringRun: clears() !== clearsAtStart });
        };
        const watchdog = setTimeout(() => {
          sub?.unsubscribe();
          finish({ type: 'hung' });
        }, runTimeoutMs + HANG_GRACE_MS);
        sub = c.run(wf.workflow, { ...runOptions, ...extra }).subscribe({
          next: (event) => {
            events.push(event);
            if (event.type === 'enqueued') {
              batchId = event.batchId;
              ids = event.itemIds;
              liveBatches.add(event.batchId);
              event.itemIds.forEach((id) => liveItems.add(id));
            } else if (event.type === 'completed' || event.type === 'failed' || event.type === 'canceled') {
              liveItems.delete(event.itemId);
              snapshots.set(event.itemId, server.queueItem(event.itemId).catch(() => null));
            }
          },
          error: (error: unknown) =>
            finish({ type: 'error', name: error instanceof Error ? error.name : typeof error, message: error instanceof Error ? error.message : String(error) }),
          complete: () => finish({ type: 'complete' }),
        });
      });

    /** Checks a finished run against the server's records. */
    const check = async (run: RunRecord, wf: SoakWorkflow): Promise<void> => {
      if (run.end.type === 'error') errors[run.end.name] = (errors[run.end.name] ?? 0) + 1;
      const enqueued = run.events.find((e) => e.type === 'enqueued');
      const ids = enqueued?.type === 'enqueued' ? enqueued.itemIds : [];
      const records = new Map<number, ServerItem | null>();
      for (const id of ids) {
        records.set(id, await (snapshots.get(id) ?? server.queueItem(id)));
        snapshots.delete(id);
      }
      const outputNodes = new Set(listOutputs(wf.workflow).map((o) => o.nodeId));
      violations.push(...checkRun(run, records, outputNodes, counts));
      for (const e of run.events) {
        if (e.type === 'completed' && imageSample.length < IMAGE_SAMPLE && random() < 0.2) {
          const name = e.outputs.flatMap((o) => o.images)[0]?.imageName;
          if (name) imageSample.push(name);
        }
      }
    };

    // Warm-up without faults: keep the default workflows that run cleanly on the simulator.
    const usable: SoakWorkflow[] = [];
    for (const wf of all) {
      const run = await observe(-1, 'single', wf);
      const clean = run.end.type === 'complete' && run.events.some((e) => e.type === 'completed') && !run.events.some((e) => e.type === 'failed' || e.type === 'canceled');
      if (clean) usable.push(wf);
      else log(`  not used (did not run cleanly without faults): ${wf.name}`);
    }
    if (usable.length === 0) throw new Error('no default workflow runs on the simulator: nothing to soak');
    log(`soak: seed ${seed}, ${runs} runs over ${usable.length} default workflows, ${concurrency} in flight`);

    const nodeTypes = [...new Set(usable.flatMap((w) => w.workflow.json.nodes.flatMap((n) => (n.type === 'invocation' ? [n.data.type] : []))))];
    const scheduler = startFaultScheduler({
      server,
      random: seededRandom(seed ^ 0x5eed),
      nodeTypes,
      inFlight: { items: () => [...liveItems], batches: () => [...liveBatches] },
      meanIntervalMs: options.meanFaultIntervalMs,
    });
    clears = scheduler.clears;

    let startedRuns = 0;
    let finishedRuns = 0;
    let heapEarly = 0;
    let gcForced = false;
    const pending = new Set<Promise<void>>();
    const launch = (kind: RunRecord['kind'], wf: SoakWorkflow, extra: RunOptions = {}): void => {
      const index = startedRuns++;
      const p = observe(index, kind, wf, extra)
        .then((run) => check(run, wf))
        .then(async () => {
          finishedRuns += 1;
          if (finishedRuns === Math.max(1, Math.floor(runs / 10))) {
            await sleep(20);
            gcForced = gc();
            heapEarly = process.memoryUsage().heapUsed;
          }
          if (finishedRuns % 200 === 0) {
            await server.trimEventLog();
            log(`  ${finishedRuns}/${runs} runs, ${violations.length} violations`);
          }
        });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    };
    const pick = (): SoakWorkflow => usable[Math.floor(random() * usable.length)];
    while (startedRuns < runs) {
      while (pending.size >= concurrency) await Promise.race(pending);
      const roll = random();
      if (roll < 0.6) launch('single', pick());
      else if (roll < 0.8) {
        const wf = pick();
        const n = 2 + Math.floor(random() * 3);
        if (wf.sweep) launch('sweep', wf, { sweep: { values: { [wf.sweep.ref]: Array.from({ length: n }, () => wf.sweep?.value) } } });
        else launch('sweep', wf, { runs: n });
      } else {
        // Several runs started in the same tick, sharing the one socket.
        const n = Math.min(2 + Math.floor(random() * 3), runs - startedRuns);
        for (let i = 0; i < n; i++) launch('concurrent', pick());
      }
    }
    while (pending.size > 0) await Promise.race(pending);
    await scheduler.stop();

    // Completed outputs name images the server holds: download a sample and compare the bytes.
    for (const name of imageSample) {
      const res = await fetch(`${server.url}/api/v1/images/i/${encodeURIComponent(name)}/full`);
      const got = Buffer.from(await res.arrayBuffer());
      const expected = await server.imageBytes(name);
      counts.imageBytesChecked += 1;
      if (!res.ok || expected === null || !got.equals(expected)) {
        counts.imageBytesMismatched += 1;
        violations.push(`image ${name}: the bytes served differ from the server's record (status ${res.status})`);
      }
    }

    client.close();
    client = undefined;
    let socketsLeft = await server.socketCount();
    for (let i = 0; i < 40 && socketsLeft > 0; i++) {
      await sleep(50);
      socketsLeft = await server.socketCount();
    }
    if (socketsLeft > 0) violations.push(`${socketsLeft} socket(s) still connected after client.close()`);
    await sleep(50);
    const heapGcForced = gc() || gcForced;
    const heapEnd = process.memoryUsage().heapUsed;
    if (heapGcForced && heapEnd - heapEarly > HEAP_FLAT_LIMIT) {
      violations.push(`heap grew by ${((heapEnd - heapEarly) / 1048576).toFixed(1)} MB between 10% of the runs and the end`);
    }
    await server.close();
    // Timers and sockets of the client and of this run must all be gone now.
    await sleep(100);
    const handlesLeft: Record<string, number> = {};
    for (const [type, n] of resourceCounts()) {
      const extra = n - (handlesBefore.get(type) ?? 0);
      if (extra > 0) handlesLeft[type] = extra;
    }
    if (Object.keys(handlesLeft).length > 0) violations.push(`resources left after the soak: ${JSON.stringify(handlesLeft)}`);
    return {
      seed,
      runs,
      workflows: usable.map((w) => w.name),
      counts,
      errors,
      faults: scheduler.counts,
      faultsNotInjected: scheduler.failed,
      heap: { early: heapEarly, end: heapEnd, gcForced: heapGcForced },
      socketsLeft,
      handlesLeft,
      violations,
      durationMs: Date.now() - started,
    };
  } finally {
    client?.close();
    await server.close();
  }
};

/** The report as the lines `npm run soak` prints. */
export const formatSoakReport = (r: SoakReport): string => {
  const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;
  const lines = [
    `soak: ${r.runs} runs, seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s, ${r.workflows.length} default workflows`,
    '',
    'counts:',
    ...Object.entries(r.counts).map(([k, v]) => `  ${k.padEnd(30)} ${v}${VIOLATION_COUNTS.includes(k as keyof SoakCounts) && v > 0 ? '   <-- VIOLATION' : ''}`),
    `  runs errored, by error            ${Object.keys(r.errors).length === 0 ? 'none' : Object.entries(r.errors).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    '',
    'faults injected:',
    ...FAULT_KINDS.map((k) => `  ${k.padEnd(30)} ${r.faults[k]}${r.faultsNotInjected[k] ? ` (${r.faultsNotInjected[k]} could not be injected)` : ''}`),
    '',
    `heap: ${mb(r.heap.early)} after 10% of the runs, ${mb(r.heap.end)} at the end (${r.heap.gcForced ? 'after forced gc' : 'no forced gc: run node with --expose-gc to check'})`,
    `sockets left on the server: ${r.socketsLeft}; resources left in this process: ${Object.keys(r.handlesLeft).length === 0 ? 'none' : JSON.stringify(r.handlesLeft)}`,
    '',
    r.violations.length === 0
      ? 'no violations'
      : [`${r.violations.length} VIOLATIONS (replay with: npm run soak -- --runs ${r.runs} --seed ${r.seed}):`, ...r.violations.slice(0, 30).map((v) => `  - ${v}`), ...(r.violations.length > 30 ? [`  ... and ${r.violations.length - 30} more`] : [])].join('\n'),
  ];
  return lines.join('\n');
};

const argNumber = (name: string): number | undefined => {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} takes a non-negative integer, got ${process.argv[i + 1]}`);
  return n;
};

if (require.main === module) {
  const runs = argNumber('--runs') ?? 2000;
  const seed = argNumber('--seed') ?? Date.now() % 1000000;
  soak({ runs, seed, log: (line) => process.stderr.write(`${line}\n`) }).then(
    (report) => {
      process.stdout.write(`${formatSoakReport(report)}\n`);
      process.exit(report.violations.length === 0 ? 0 : 1);
    },
    (error: unknown) => {
      process.stderr.write(`soak could not run (seed ${seed}): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(2);
    },
  );
}
