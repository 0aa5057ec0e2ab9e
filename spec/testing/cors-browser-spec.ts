// CORS as a real browser enforces it: a page served from one origin (a simulated server's static
// folder) calls another simulated server's REST API with a bearer header, which makes Chromium send
// a preflight. Allowed by `cors.allowOrigins`, the call works and the page can read
// X-Refreshed-Token; by default (a stock InvokeAI) the browser blocks it.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chromium, type Browser } from 'playwright-core';
import { startMockServer, type MockServer } from '../../lib/testing';
import { chromiumPath, describeWithPeer, peers } from '../peers/requirements';

const CHROMIUM = chromiumPath();

describeWithPeer(peers().chromium, 'CORS in Chromium', () => {
  let pageDir: string;
  let pageServer: MockServer;
  let browser: Browser;
  const apis: MockServer[] = [];

  beforeAll(async () => {
    pageDir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-cors-'));
    await fs.writeFile(path.join(pageDir, 'index.html'), '<!doctype html><title>another origin</title>');
    pageServer = await startMockServer({ staticDir: pageDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([pageServer, ...apis].map((s) => s?.close()));
    await fs.rm(pageDir, { recursive: true, force: true });
  });

  /** From the page's origin, a bearer-authenticated write to `api`: what the page could read of the answer, or the browser's error. */
  const callFrom = async (api: MockServer, token: string): Promise<{ status?: number; refreshed?: boolean; error?: string }> => {
    const page = await browser.newPage();
    try {
      await page.goto(`${pageServer.url}/`);
      return await page.evaluate(
        async ({ url, token }) => {
          try {
            const r = await fetch(`${url}/api/v1/boards/?board_name=from-the-page`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
            return { status: r.status, refreshed: r.headers.has('x-refreshed-token') };
          } catch (e) {
            return { error: String(e) };
          }
        },
        { url: api.url, token },
      );
    } finally {
      await page.close();
    }
  };

  it('lets a page on an allowed origin call the API with a bearer header; a stock server (no allowOrigins) is blocked by the browser', async () => {
    const origin = new URL(pageServer.url).origin;
    const multiUser = { users: [{ email: 'ann@x.test', password: 'pw' }] };
    const allowed = await startMockServer({ multiUser, cors: { allowOrigins: [origin] } });
    const stock = await startMockServer({ multiUser });
    apis.push(allowed, stock);
    const login = async (api: MockServer): Promise<string> => {
      const r = await fetch(`${api.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@x.test', password: 'pw' }) });
      return ((await r.json()) as { token: string }).token;
    };
    const ok = await callFrom(allowed, await login(allowed));
    // The answer is readable, and so is the sliding token (exposed to the page).
    expect(ok).toEqual({ status: 201, refreshed: true });
    expect(allowed.boards().map((b) => b.board_name)).toContain('from-the-page');
    const blocked = await callFrom(stock, await login(stock));
    expect(blocked.error).toMatch(/TypeError: Failed to fetch/);
    expect(stock.boards()).toHaveLength(0);
  }, 60_000);
});
