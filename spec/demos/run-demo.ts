// Runs a demo as a user would (`tsx demos/<name>.ts`), fast: 1 ms steps, output to a temp folder.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');

/** The demo's exit code and output. */
export interface DemoRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `demos/<file>` in a child process against its own simulated server. */
export const runDemo = (file: string, env: Readonly<Record<string, string>>, stdin?: string, timeoutMs = 60_000): Promise<DemoRun> =>
  new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'demos', file)],
      { cwd: ROOT, env: { ...process.env, INVOKEAI_URL: '', DEMO_STEP_MS: '1', ...env }, timeout: timeoutMs },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? '');
  });

/** A fresh output folder for the demos of one spec file, removed after it: `dir()` is its path. */
export const demoOutDir = (): { readonly dir: () => string } => {
  let out = '';
  beforeAll(async () => {
    out = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-demo-'));
  });
  afterAll(() => fs.rm(out, { recursive: true, force: true }));
  return { dir: () => out };
};
