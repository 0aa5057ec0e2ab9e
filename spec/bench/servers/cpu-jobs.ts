// Runs one `CpuJob` in a fresh client process (cpu-client.ts, with --expose-gc) and returns its report.
import { fork } from 'child_process';
import * as path from 'path';
import type { CpuJob, CpuReport } from './cpu-client';

/** Forks cpu-client.ts for `job` and resolves with its report (rejects when it failed). */
export const measureCpuJob = (job: CpuJob): Promise<CpuReport> =>
  new Promise<CpuReport>((resolve, reject) => {
    const child = fork(path.join(__dirname, 'cpu-client.ts'), [JSON.stringify(job)], {
      execArgv: ['--expose-gc', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (message) => {
      child.kill();
      const report = message as CpuReport;
      if (report.error !== undefined) reject(new Error(report.error));
      else resolve(report);
    });
    child.once('exit', (code) => reject(new Error(`cpu-client exited (${code}) without a report`)));
  });
