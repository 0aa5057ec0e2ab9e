// The browser demo in headless Chromium: the page is built with rollup, served by the simulated
// server, shows the workflow's form, runs it on a click and displays the final image.
import { execFile } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import { chromium, type Browser } from 'playwright-core';
import { startMockServer, type MockServer } from '../../lib/testing';
import { chromiumPath, describeWithPeer, peers } from '../peers/requirements';

const ROOT = path.resolve(__dirname, '../..');
const PAGE_DIR = path.join(ROOT, 'demos/browser');
const ARTIFACTS = path.join(ROOT, 'spec/artifacts');
const CHROMIUM = chromiumPath();

const build = () =>
  new Promise<void>((resolve, reject) =>
    execFile(process.execPath, [path.join(ROOT, 'node_modules/rollup/dist/bin/rollup'), '-c', path.join(PAGE_DIR, 'rollup.config.js')], { cwd: ROOT }, (error, _out, stderr) =>
      error ? reject(new Error(`rollup failed: ${stderr}`)) : resolve(),
    ),
  );

describeWithPeer(peers().chromium, 'the browser demo in Chromium', () => {
  let server: MockServer;
  let browser: Browser;
  beforeAll(async () => {
    await build();
    server = await startMockServer({ stepMs: 5, steps: 4, staticDir: PAGE_DIR });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the form, runs the workflow on Run, streams node progress and shows the final image', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${server.url}/`);
      // The form's inputs, as form controls, with the models picked from the server's list.
      await page.waitForSelector('#run');
      const labels = await page.$$eval('#form label', (ls) => ls.map((l) => l.childNodes[0]?.textContent?.trim()));
      expect(labels).toEqual(['Positive Prompt', 'Negative Prompt', 'Model', 'VAE (use the FP16 model)', 'Board']);
      expect(await page.$eval('#input-2', (s) => (s as HTMLSelectElement).selectedOptions[0]?.textContent)).toMatch(/\(sdxl\)$/);

      await page.fill('#input-0', 'a lighthouse drawn in a browser');
      // Record the preview images as the page shows them, while the run streams.
      await page.evaluate(() => {
        const seen: string[] = [];
        (window as unknown as { previews: string[] }).previews = seen;
        new MutationObserver(() => document.querySelectorAll('#preview img').forEach((i) => seen.push((i as HTMLImageElement).src.slice(0, 22)))).observe(
          document.getElementById('preview')!,
          { childList: true },
        );
      });
      await page.click('#run');
      const img = await page.waitForSelector('#final img.final', { timeout: 30_000 });
      await page.waitForFunction(() => {
        const i = document.querySelector('#final img.final') as HTMLImageElement | null;
        return i !== null && i.complete && i.naturalWidth > 0;
      });
      const name = await img.getAttribute('alt');
      expect(server.images().some((i) => i.image_name === name)).toBe(true);
      expect(await page.textContent('#status')).toMatch(/completed/);
      const previews = await page.evaluate(() => (window as unknown as { previews: string[] }).previews);
      expect(previews.length).toBeGreaterThan(0);
      expect(previews[0]).toMatch(/^data:image\/(jpeg|png);base64/);
      // Every node got a progress bar, and all of them ended full.
      const bars = await page.$$eval('#nodes progress', (ps) => ps.map((p) => (p as HTMLProgressElement).value));
      expect(bars.length).toBeGreaterThanOrEqual(5);
      expect(bars.every((v) => v === 1)).toBe(true);
      // ...and each shows its percentage beside it.
      expect(await page.$$eval('#nodes .percent', (ss) => ss.map((s) => s.textContent))).toEqual(bars.map(() => '100%'));
      // The prompt typed into the form reached the server.
      const item = server.queueItems().at(-1) as { session: { graph: { nodes: Record<string, { value?: unknown }> } } };
      expect(Object.values(item.session.graph.nodes).some((n) => n.value === 'a lighthouse drawn in a browser')).toBe(true);
      await fs.mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'browser-demo.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('serves only files inside the static folder', async () => {
    const http = await import('http');
    const status = (p: string) =>
      new Promise<number>((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: server.port, path: p }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on('error', reject);
      });
    expect(await status('/index.html')).toBe(200);
    expect(await status('/%2e%2e/%2e%2e/package.json')).toBe(404);
    expect(await status('/api/v1/app/version')).toBe(200);
  });
});
