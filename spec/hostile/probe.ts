// Runs a memory case of rss-probe.ts in a child process and reads its report.
import { execFile } from 'child_process';
import * as path from 'path';
import type { ProbeReport } from './rss-probe';

export { RSS_LIMIT_BYTES } from './rss-probe';
export type { ProbeReport } from './rss-probe';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `rss-probe.ts <name> <baseUrl> [arg]` under tsx and answers its report (the child is killed after `timeoutMs`). */
export const runProbe = (name: string, baseUrl: string, arg?: string, timeoutMs = 120_000): Promise<ProbeReport> =>
  new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', path.join(__dirname, 'rss-probe.ts'), name, baseUrl, ...(arg === undefined ? [] : [arg])];
    execFile(process.execPath, args, { cwd: ROOT, timeout: timeoutMs, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ProbeReport);
      } catch {
        reject(new Error(`the probe printed no report (${error?.message ?? 'no error'}):\n${stdout}\n${stderr}`));
      }
    });
  });

/** Prints a case's memory figures (for the test log and the report). */
export const logRss = (what: string, report: ProbeReport): void =>
  console.log(`${what}: peak RSS ${report.peakRssMb} MB (${report.startRssMb} MB once loaded), ${report.outcome}${report.error ? ` ${report.error.name}` : ''}`);
