import { promises as fs } from 'fs';
import * as path from 'path';
import { demoOutDir, runDemo } from './run-demo';

const temp = demoOutDir();

it('turns every stdin line into a run, never more than the concurrency at once', async () => {
  const prompts = ['one', 'two', '', 'three', 'four', 'five', 'six', 'seven'];
  const r = await runDemo('service.ts', { DEMO_OUT: temp.dir(), DEMO_CONCURRENCY: '2' }, `${prompts.join('\n')}\n`);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const starts = [...r.stdout.matchAll(/^#(\d+) start \((\d+) running\): (.*)$/gm)];
  expect(starts.map((m) => m[3]).sort()).toEqual(['five', 'four', 'one', 'seven', 'six', 'three', 'two']);
  expect(Math.max(...starts.map((m) => Number(m[2])))).toBe(2);
  expect(r.stdout).toContain('7/7 prompts done, at most 2 running at once');
  expect((await fs.readdir(path.join(temp.dir(), 'service'))).filter((f) => f.endsWith('.png'))).toHaveLength(7);
});
