// `npm run demo:browser`: serves the built page and prints its address. By default the simulated
// InvokeAI serves it (page and API on one origin); with INVOKEAI_URL the page is served here and
// talks to your InvokeAI. PORT picks the port (default 9090, InvokeAI's own: when it is taken, a free
// one is used and the first line says so).
import { promises as fs } from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { startMockServer } from '../../lib/testing';

/** Whether a TCP port on 127.0.0.1 is free to listen on. */
const portFree = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });

/** The page's own files, and nothing else of the folder. */
const PAGE_FILES: Readonly<Record<string, string>> = { '/': 'index.html', '/index.html': 'index.html', '/dist/app.js': 'dist/app.js' };

/** Serves the page alone (for a page that talks to another server). */
const servePage = async (port: number): Promise<{ readonly url: string; readonly close: () => Promise<void> }> => {
  const server = http.createServer((req, res) => {
    const file = PAGE_FILES[new URL(req.url ?? '/', 'http://x').pathname];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    fs.readFile(path.join(__dirname, file)).then(
      (bytes) => res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html; charset=utf-8' }).end(bytes),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
};

const main = async (): Promise<void> => {
  const given = process.env['PORT'];
  const requested = given === undefined || given === '' ? 9090 : Number(given);
  if (!Number.isInteger(requested) || requested < 0 || requested > 65535) {
    console.error(`PORT must be a port number (0 to 65535; 0 picks a free one), got "${given}".`);
    process.exit(2);
  }
  let port = requested;
  if (requested !== 0 && !(await portFree(requested))) {
    port = 0;
    const taken = requested === 9090 ? 'is taken (InvokeAI itself listens there)' : 'is taken';
    console.log(`Port ${requested} ${taken}: serving on a free port instead (set PORT to choose one).`);
  }
  const target = process.env['INVOKEAI_URL'] || undefined;
  let close: () => Promise<void>;
  if (target !== undefined) {
    const page = await servePage(port);
    close = page.close;
    console.log(
      `Open ${page.url}/?server=${encodeURIComponent(target)} in a browser: the page talks to the InvokeAI at ${target}. Ctrl-C stops.\n` +
        `That InvokeAI must let this page's origin in: add ${page.url} to allow_origins in its invokeai.yaml and restart it.`,
    );
  } else {
    const server = await startMockServer({ port, stepMs: Number(process.env['DEMO_STEP_MS'] ?? 60), steps: 12, staticDir: __dirname });
    close = () => server.close();
    console.log(`Open ${server.url}/ in a browser (the simulated InvokeAI serves the page). Ctrl-C stops.`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await close();
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
  process.exit(1);
});
