// Every figure of `npm run bench`, in report order. A new figure is one module in this folder
// exporting a `FigureModule`, plus one line here.
import type { FigureModule } from '../harness';

/** Loads a figure module lazily, so that `--only` does not import the others' dependencies. */
export interface FigureEntry {
  readonly id: string;
  readonly load: () => Promise<FigureModule>;
}

/** The figures, in the order of the report. */
export const FIGURES: readonly FigureEntry[] = [
  { id: 'socket', load: async () => (await import('./socket-events')).socketEvents },
  { id: 'runs', load: async () => (await import('./run-throughput')).runThroughput },
  { id: 'requests', load: async () => (await import('./requests-per-run')).requestsPerRun },
  { id: 'latency', load: async () => (await import('./completion-latency')).completionLatency },
  { id: 'heap', load: async () => (await import('./heap')).heapAfterRuns },
  { id: 'workflow', load: async () => (await import('./workflow-edit')).workflowEdit },
  { id: 'bundle', load: async () => (await import('./bundle-size')).bundleSize },
  { id: 'pool', load: async () => (await import('./pool')).poolFigure },
  { id: 'pool-scale', load: async () => (await import('./pool-scale')).poolScaleFigure },
  { id: 'runcpu', load: async () => (await import('./run-cost')).runCost },
  { id: 'batch', load: async () => (await import('./batch-cost')).batchCost },
  { id: 'fanout', load: async () => (await import('./frame-cost')).frameCost },
  { id: 'early', load: async () => (await import('./early-events')).earlyEvents },
  { id: 'workers', load: async () => (await import('./workers')).workersFigure },
];
