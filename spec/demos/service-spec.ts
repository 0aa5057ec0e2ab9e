import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runDemo } from './run-demo';

let out: string;
beforeAll(async () => {
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-demo-'));
});
afterAll(() => fs.rm(out, { recursive: true, force: true }));

it('turns every stdin line into a run, never more than the concurrency at once', async () => {
  const prompts = ['one', 'two', '', 'three', 'four', 'five', 'six', 'seven'];
  const r = await runDemo('service.ts', { DEMO_OUT: out, DEMO_CONCURRENCY: '2' }, `${prompts.join('\n')}\n`);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const starts = [...r.stdout.matchAll(/^#(\d+) start \((\d+) running\): (.*)$/gm)];
  expect(starts.map((m) => m[3]).sort()).toEqual(['five', 'four', 'one', 'seven', 'six', 'three', 'two']);
  expect(Math.max(...starts.map((m) => Number(m[2])))).toBe(2);
  expect(r.stdout).toContain('7/7 prompts done, at most 2 running at once');
  expect((await fs.readdir(path.join(out, 'service'))).filter((f) => f.endsWith('.png'))).toHaveLength(7);
});
