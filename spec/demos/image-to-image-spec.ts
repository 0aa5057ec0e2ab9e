import { promises as fs } from 'fs';
import * as path from 'path';
import { demoOutDir, runDemo } from './run-demo';

const temp = demoOutDir();

it('uploads an image, runs FLUX Image to Image on it and saves the result', async () => {
  const r = await runDemo('image-to-image.ts', { DEMO_OUT: temp.dir() });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/uploaded \S+input-gradient\.png as \S+\.png \(256×256\)/);
  expect(r.stdout).toContain('node FLUX Denoise: flux_denoise 3.0.0 → 4.6.0 (replaced; inputs removed: board, metadata)');
  expect(r.stdout).toMatch(/model .*Model \(dev variant recommended for Image-to-Image\): \S+ \(flux main, matched by base\)/);
  expect(r.stdout).toContain('item 1: completed');
  const written = /wrote (\S+)/.exec(r.stdout)?.[1];
  expect(written).toBe(path.join(temp.dir(), 'i2i', 'i2i-1-0.png'));
  expect((await fs.readFile(written!)).subarray(1, 4).toString()).toBe('PNG');
});
