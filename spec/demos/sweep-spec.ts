import { promises as fs } from 'fs';
import * as path from 'path';
import { demoOutDir, runDemo } from './run-demo';

const temp = demoOutDir();

it('fans temp.dir() seeds × prompts in one batch and writes a grid whose cells are the right images', async () => {
  const r = await runDemo('sweep.ts', { DEMO_OUT: temp.dir() });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('= 9 items');
  expect(r.stdout).toContain('9/9 completed');
  const dir = path.join(temp.dir(), 'sweep');
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.png')).sort();
  expect(files).toEqual(['prompt0-seed1.png', 'prompt0-seed1234.png', 'prompt0-seed42.png', 'prompt1-seed1.png', 'prompt1-seed1234.png', 'prompt1-seed42.png', 'prompt2-seed1.png', 'prompt2-seed1234.png', 'prompt2-seed42.png']);
  const html = await fs.readFile(path.join(dir, 'index.html'), 'utf8');
  // Row "a fox in the snow", column "seed 42".
  expect(html).toContain('<th>a fox in the snow</th>');
  expect(html).toContain('<img src="prompt1-seed42.png" alt="a fox in the snow, seed 42">');
  expect(r.stdout).toMatch(/a fox in the snow\s+prompt1-seed1\.png\s+prompt1-seed42\.png\s+prompt1-seed1234\.png/);
});
