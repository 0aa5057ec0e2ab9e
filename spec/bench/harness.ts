// The benchmark harness: every figure is a ratio against a baseline measured in the same run (or a
// plain count), reported as the median of several repetitions with min and max. Absolute times are
// printed for information only: they depend on the machine, the ratios much less. Wall time on a
// shared machine mostly measures whoever else runs, so throughput figures also report the process
// CPU time each side spent per unit (run, event, item), measured here.
import { performance } from 'node:perf_hooks';

/** The spread of one measured quantity over repetitions. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: readonly number[];
}

/** One row of the report. */
export interface Figure {
  readonly name: string;
  /** What the ratio is against. */
  readonly baseline: string;
  /** ours / baseline, or a count when `unit` says so. */
  readonly value: Spread;
  readonly unit: 'ratio' | 'count' | 'bytes' | 'kB' | 'ms' | 'MB' | 'per-second';
  /** The goal, e.g. `< 10x`, and whether it was met (undefined when the figure is only reported). */
  readonly goal?: string;
  readonly met?: boolean;
  /** Informational absolute figures (ours and the baseline's). */
  readonly info?: Readonly<Record<string, string | number>>;
  /** What a reader must know to read the row right (a reduced count, a bottleneck). */
  readonly note?: string;
}

/** Summarises samples into median, min and max. */
export const spread = (samples: readonly number[]): Spread => {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples };
};

/** Milliseconds one call of `fn` takes, averaged over enough iterations to last about `targetMs`. */
export const timePerCall = (fn: () => unknown, targetMs = 200): number => {
  // Calibrate the iteration count once so that each sample is long enough to be measured well.
  let iterations = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    const elapsed = performance.now() - start;
    if (elapsed >= targetMs / 4 || iterations >= 1 << 24) return measureLoop(fn, Math.max(1, Math.round((iterations * targetMs) / Math.max(elapsed, 0.01))));
    iterations *= 4;
  }
};

const measureLoop = (fn: () => unknown, iterations: number): number => {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return (performance.now() - start) / iterations;
};

/**
 * Measures `ours` against `baseline` in alternating repetitions (so that drift in machine load hits
 * both alike) and returns the spread of the per-repetition ratio ours/baseline.
 */
export const compareSync = (ours: () => unknown, baseline: () => unknown, repetitions = 7): { ratio: Spread; ours: Spread; baseline: Spread } => {
  const oursSamples: number[] = [];
  const baseSamples: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const b = timePerCall(baseline);
    const o = timePerCall(ours);
    baseSamples.push(b);
    oursSamples.push(o);
    ratios.push(o / b);
  }
  return { ratio: spread(ratios), ours: spread(oursSamples), baseline: spread(baseSamples) };
};

/** Formats a number for the table: 3 significant digits. */
export const fmt = (n: number): string => (Number.isFinite(n) ? Number(n.toPrecision(3)).toString() : String(n));

const unitSuffix = (unit: Figure['unit']): string => (unit === 'ratio' ? 'x' : unit === 'count' ? '' : ` ${unit}`);

/** Prints the figures as a fixed-width table. */
export const printTable = (figures: readonly Figure[]): string => {
  const rows = figures.map((f) => [
    f.name,
    f.baseline,
    `${fmt(f.value.median)}${unitSuffix(f.unit)}`,
    f.value.samples.length > 1 ? `${fmt(f.value.min)} – ${fmt(f.value.max)}` : '(one reading)',
    f.goal ?? 'report',
    f.met === undefined ? '' : f.met ? 'met' : 'NOT MET',
  ]);
  const header = ['figure', 'baseline (same run)', 'median', 'min – max', 'goal', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
};

/** The `p`-th percentile (0..100) of samples, by nearest rank. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
};

/** CPU time (user + system, all threads) this process has used so far, in milliseconds. */
export const processCpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Runs `fn` and returns its result with the process CPU time spent while it ran (ms). */
export const withCpu = async <T>(fn: () => Promise<T>): Promise<{ readonly value: T; readonly cpuMs: number }> => {
  const before = processCpuMs();
  const value = await fn();
  return { value, cpuMs: processCpuMs() - before };
};

/** The process CPU time per unit of each side and their ratio, for a throughput figure's row. */
export interface CpuPerUnit {
  /** ours / baseline, per repetition. */
  readonly ratio: Spread;
  /** Milliseconds of CPU per unit. */
  readonly ours: Spread;
  readonly baseline: Spread;
}

/**
 * The row that prices a throughput figure in CPU: process CPU per unit (a run, an event, an item),
 * ours against the baseline measured in the same repetitions. Lower is better.
 */
export const cpuFigure = (name: string, baseline: string, cpu: CpuPerUnit, unitName: string, extra: Omit<Partial<Figure>, 'name' | 'baseline' | 'value' | 'unit'> = {}): Figure => ({
  name,
  baseline,
  value: cpu.ratio,
  unit: 'ratio',
  goal: 'report',
  ...extra,
  info: {
    [`ours CPU µs per ${unitName}`]: cpu.ours.median * 1000,
    [`baseline CPU µs per ${unitName}`]: cpu.baseline.median * 1000,
    ...(extra.info ?? {}),
  },
});

/** CPU per unit from per-repetition CPU milliseconds of both sides, each divided by `units`. */
export const cpuPerUnit = (oursCpuMs: readonly number[], baselineCpuMs: readonly number[], units: number): CpuPerUnit => ({
  ratio: spread(oursCpuMs.map((o, i) => o / baselineCpuMs[i])),
  ours: spread(oursCpuMs.map((o) => o / units)),
  baseline: spread(baselineCpuMs.map((b) => b / units)),
});

/**
 * Runs `ours` and `baseline` (async, each returning its measured quantity) in alternating
 * repetitions, after `warmup` unrecorded rounds, and returns the spreads, the per-repetition
 * ratio ours/baseline, and the process CPU milliseconds each call took (for `cpuPerUnit`; valid
 * when the servers run in other processes). Alternation spreads drift in machine load over both sides alike.
 */
export const compareAsync = async (
  ours: () => Promise<number>,
  baseline: () => Promise<number>,
  repetitions: number,
  warmup = 1,
): Promise<{ ratio: Spread; ours: Spread; baseline: Spread; cpuMs: { ours: readonly number[]; baseline: readonly number[] } }> => {
  for (let w = 0; w < warmup; w++) {
    await baseline();
    await ours();
  }
  const oursSamples: number[] = [];
  const baseSamples: number[] = [];
  const ratios: number[] = [];
  const oursCpu: number[] = [];
  const baseCpu: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    // Alternate which side goes first, so neither always runs on a warmer (or more tired) process.
    let b: { value: number; cpuMs: number };
    let o: { value: number; cpuMs: number };
    if (r % 2 === 0) {
      b = await withCpu(baseline);
      o = await withCpu(ours);
    } else {
      o = await withCpu(ours);
      b = await withCpu(baseline);
    }
    baseSamples.push(b.value);
    oursSamples.push(o.value);
    ratios.push(o.value / b.value);
    oursCpu.push(o.cpuMs);
    baseCpu.push(b.cpuMs);
  }
  return { ratio: spread(ratios), ours: spread(oursSamples), baseline: spread(baseSamples), cpuMs: { ours: oursCpu, baseline: baseCpu } };
};

/** Repeats an async measurement and returns its spread. */
export const repeatAsync = async (measure: () => Promise<number>, repetitions: number): Promise<Spread> => {
  const samples: number[] = [];
  for (let r = 0; r < repetitions; r++) samples.push(await measure());
  return spread(samples);
};

/** A spread of a single value (for counts that do not vary, e.g. a byte size). */
export const exactly = (value: number): Spread => spread([value]);

/** Settings every figure receives from the runner. */
export interface BenchContext {
  /** Fewer repetitions and smaller counts, for a quick look while developing (not for the README). */
  readonly quick: boolean;
  /** Progress lines (stderr), so the table on stdout stays clean. */
  readonly log: (line: string) => void;
}

/** One module of `spec/bench/figures/`: measures one or more rows of the report. */
export interface FigureModule {
  /** A short id used by `--only`. */
  readonly id: string;
  /** Measures and returns the rows; throws only when the figure cannot be measured at all. */
  readonly measure: (ctx: BenchContext) => Promise<readonly Figure[]>;
}

/** Prints the informational absolute figures under the table. */
export const printInfo = (figures: readonly Figure[]): string =>
  figures
    .filter((f) => f.info && Object.keys(f.info).length > 0)
    .map((f) => `- ${f.name}:\n    ${Object.entries(f.info ?? {}).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join('\n    ')}`)
    .join('\n');
