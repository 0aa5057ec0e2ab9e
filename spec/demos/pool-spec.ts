import { promises as fs } from 'fs';
import * as path from 'path';
import { demoOutDir, runDemo } from './run-demo';

const temp = demoOutDir();

it('spreads the prompts over the pool, never sends SDXL to the server without SDXL, and survives killing the fast server: every prompt made exactly once', async () => {
  const r = await runDemo('pool.ts', { DEMO_OUT: temp.dir() });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('killing fast');
  expect(r.stdout).toContain('12/12 prompts made exactly once');
  expect(r.stdout).toMatch(/no-sdxl\s+0 image\(s\)/);
  // Each lost prompt is resubmitted once, and is then made on another server.
  const lost = [...r.stdout.matchAll(/^#(\d+) lost with fast$/gm)].map((m) => m[1]);
  const resubmitted = [...r.stdout.matchAll(/^#(\d+) resubmitted to (\S+)/gm)];
  expect(resubmitted.map((m) => m[1]).sort()).toEqual([...lost].sort());
  expect(resubmitted.every((m) => m[2] === 'slow')).toBe(true);
  const shares = Object.fromEntries([...r.stdout.matchAll(/^ {2}(\S+)\s+(\d+) image\(s\)$/gm)].map((m) => [m[1], Number(m[2])]));
  expect(shares['fast'] + shares['slow'] + shares['no-sdxl']).toBe(12);
  expect(shares['fast']).toBeGreaterThan(0);
  const files = (await fs.readdir(path.join(temp.dir(), 'pool'))).filter((f) => f.endsWith('.png')).sort();
  expect(files).toEqual(Array.from({ length: 12 }, (_, i) => `prompt${i}-0.png`).sort());
});
