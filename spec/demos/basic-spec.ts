import { promises as fs } from 'fs';
import * as path from 'path';
import { demoOutDir, runDemo } from './run-demo';

const temp = demoOutDir();

it('runs InvokeAI\'s SDXL text-to-image on the simulated server and writes the PNG where it says', async () => {
  const r = await runDemo('basic.ts', { DEMO_OUT: temp.dir(), DEMO_PROMPT: 'a test prompt' });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Simulated InvokeAI at http://127.0.0.1:');
  expect(r.stdout).toContain('prompt: a test prompt');
  expect(r.stdout).toMatch(/model Model: \S+ \(sdxl main/);
  expect(r.stdout).toMatch(/model VAE \(use the FP16 model\): \S+ \(sdxl vae/);
  expect(r.stdout).toMatch(/item 1: denoise_latents \(\S+\) started/);
  const written = /1 image written:\n\s+(\S+\.png)/.exec(r.stdout)?.[1];
  expect(written).toBeDefined();
  expect(path.dirname(written!)).toBe(temp.dir());
  const bytes = await fs.readFile(written!);
  expect(bytes.subarray(1, 4).toString()).toBe('PNG');
  // The PNG has the size the demo set through the form (IHDR width and height).
  expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([832, 1216]);
});

it('runs against the server in INVOKEAI_URL instead, syncing the workflow\'s models first; the size set through the form reaches the server', async () => {
  const { startMockServer } = await import('../../lib/testing');
  const server = await startMockServer({ stepMs: 1 });
  try {
    const r = await runDemo('basic.ts', { DEMO_OUT: temp.dir(), INVOKEAI_URL: server.url });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`InvokeAI at ${server.url}\n`);
    expect(r.stdout).not.toContain('Simulated');
    const written = /1 image written:\n\s+(\S+\.png)/.exec(r.stdout)?.[1];
    expect(server.images().map((i) => i.image_name)).toContain(path.basename(written!));
    // InvokeAI's form has no size: the demo adds Width and Height to it, and the server's graph has them.
    expect(r.stdout).toContain('#5 Width, #6 Height');
    expect(r.stdout).toContain('size: 832×1216');
    const item = server.queueItems().at(-1) as { session: { graph: { nodes: Record<string, { type: string; width?: number; height?: number }> } } };
    const noise = Object.values(item.session.graph.nodes).find((n) => n.type === 'noise');
    expect(noise).toMatchObject({ width: 832, height: 1216 });
    // The VAE that byBase picks is the main model's base (SDXL), not the first of any base.
    expect(r.stdout).toMatch(/model VAE \(use the FP16 model\): sdxl-vae-fp16-fix \(sdxl vae/);
  } finally {
    await server.close();
  }
});
