// `npm run bench`: measures every figure of spec/bench/figures against its baseline in the same
// run, prints the table (stdout) and writes spec/bench/report.json.
//   --only socket,runs   measure only these figures (ids in figures/index.ts)
//   --quick              fewer repetitions and smaller counts (a quick look, not for the README)
//   --out <file>         where to write the JSON report (default spec/bench/report.json)
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FIGURES } from './figures';
import { Figure, printInfo, printTable } from './harness';

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const main = async (): Promise<number> => {
  const quick = process.argv.includes('--quick');
  const only = argValue('--only')?.split(',').map((s) => s.trim());
  const out = argValue('--out') ?? path.join(__dirname, 'report.json');
  const unknown = (only ?? []).filter((id) => !FIGURES.some((f) => f.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`unknown figure ids: ${unknown.join(', ')}; known: ${FIGURES.map((f) => f.id).join(', ')}\n`);
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const started = new Date();
  // Other processes on the machine skew absolute figures (ratios much less): the load is recorded.
  const loadAtStart = os.loadavg()[0];
  const figures: Figure[] = [];
  const failures: Array<{ id: string; error: string }> = [];
  for (const entry of FIGURES.filter((f) => !only || only.includes(f.id))) {
    log(`measuring ${entry.id}...`);
    const t0 = Date.now();
    try {
      const module = await entry.load();
      figures.push(...(await module.measure({ quick, log })));
    } catch (error) {
      // One figure that cannot be measured must not hide the others; it is reported as a failure.
      const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
      failures.push({ id: entry.id, error: text });
      log(`  ${entry.id} FAILED: ${text}`);
    }
    log(`  ${entry.id}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const table = printTable(figures);
  const notes = figures.filter((f) => f.note).map((f) => `- ${f.name}: ${f.note}`);
  process.stdout.write(`\n${table}\n\n(load average ${loadAtStart.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end, ${os.cpus().length} cpus)\n\nAbsolute figures (for information only; they depend on the machine):\n${printInfo(figures)}\n`);
  if (notes.length > 0) process.stdout.write(`\nNotes:\n${notes.join('\n')}\n`);
  if (failures.length > 0) process.stdout.write(`\nFigures that could not be measured: ${failures.map((f) => f.id).join(', ')}\n`);
  const report = {
    command: `npm run bench${quick ? ' -- --quick' : ''}${only ? ` -- --only ${only.join(',')}` : ''}`,
    date: started.toISOString(),
    durationSeconds: (Date.now() - started.getTime()) / 1000,
    quick,
    machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', loadAverage: { start: loadAtStart, end: os.loadavg()[0] } },
    figures,
    failures,
    table,
  };
  fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${path.relative(process.cwd(), out)}\n`);
  return failures.length > 0 ? 1 : 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
