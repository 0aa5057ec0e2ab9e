import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runDemo } from './run-demo';

let out: string;
beforeAll(async () => {
  out = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-demo-'));
});
afterAll(() => fs.rm(out, { recursive: true, force: true }));

it('uploads an image, runs FLUX Image to Image on it and saves the result', async () => {
  const r = await runDemo('image-to-image.ts', { DEMO_OUT: out });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/uploaded \S+input-gradient\.png as \S+\.png \(256×256\)/);
  expect(r.stdout).toMatch(/model .*Model \(dev variant recommended for Image-to-Image\): \S+ \(flux main, matched by base\)/);
  expect(r.stdout).toContain('item 1: completed');
  const written = /wrote (\S+)/.exec(r.stdout)?.[1];
  expect(written).toBe(path.join(out, 'i2i', 'i2i-1-0.png'));
  expect((await fs.readFile(written!)).subarray(1, 4).toString()).toBe('PNG');
});
