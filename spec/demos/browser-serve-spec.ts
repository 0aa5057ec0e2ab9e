// `npm run demo:browser`'s server, as a user starts it (no browser needed): a taken port is one
// line and a free port, PORT picks the port, INVOKEAI_URL serves the page for your own InvokeAI.
import { ChildProcess, spawn } from 'child_process';
import * as net from 'net';
import * as path from 'path';
import { ROOT } from './run-demo';

interface Started {
  readonly child: ChildProcess;
  /** The lines printed up to the one with the page's address. */
  readonly lines: readonly string[];
  readonly url: string;
}

/** Starts serve.ts and waits for its "Open <url>" line. */
const startServe = (env: Readonly<Record<string, string>>): Promise<Started> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'demos/browser/serve.ts')], {
      cwd: ROOT,
      env: { ...process.env, INVOKEAI_URL: '', DEMO_STEP_MS: '1', ...env },
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const open = /^Open (http:\/\/127\.0\.0\.1:\d+)\S*/m.exec(out);
      if (open) resolve({ child, lines: out.trim().split('\n'), url: open[1]! });
    });
    child.once('exit', (code) => reject(new Error(`serve.ts exited (${code}) before printing its address:\n${out}${err}`)));
  });

const stop = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });

/** Holds a port, as InvokeAI on 9090 would. */
const holdPort = async (): Promise<{ readonly port: number; readonly close: () => Promise<void> }> => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
};

it('on a taken port, says so in one line and serves the simulator and the page on a free one', async () => {
  const held = await holdPort();
  const started = await startServe({ PORT: String(held.port) });
  try {
    expect(started.lines[0]).toBe(`Port ${held.port} is taken: serving on a free port instead (set PORT to choose one).`);
    expect(started.lines[1]).toBe(`Open ${started.url}/ in a browser (the simulated InvokeAI serves the page). Ctrl-C stops.`);
    expect(started.url).not.toBe(`http://127.0.0.1:${held.port}`);
    expect(await (await fetch(`${started.url}/`)).text()).toContain('<title>invokeai-rx in the browser</title>');
    expect((await fetch(`${started.url}/api/v1/app/version`)).status).toBe(200);
  } finally {
    await stop(started.child);
    await held.close();
  }
}, 60_000);

it('with INVOKEAI_URL, serves the page alone, pointed at that server, and says what that InvokeAI must allow', async () => {
  const started = await startServe({ PORT: '0', INVOKEAI_URL: 'http://gpu-box:9090' });
  try {
    expect(started.lines).toEqual([
      `Open ${started.url}/?server=${encodeURIComponent('http://gpu-box:9090')} in a browser: the page talks to the InvokeAI at http://gpu-box:9090. Ctrl-C stops.`,
      `That InvokeAI must let this page's origin in: add ${started.url} to allow_origins in its invokeai.yaml and restart it.`,
    ]);
    expect(await (await fetch(`${started.url}/`)).text()).toContain('<title>invokeai-rx in the browser</title>');
    expect((await fetch(`${started.url}/api/v1/app/version`)).status).toBe(404);
    expect((await fetch(`${started.url}/serve.ts`)).status).toBe(404);
  } finally {
    await stop(started.child);
  }
}, 60_000);

it('refuses a PORT that is no port number in one line', async () => {
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), path.join(ROOT, 'demos/browser/serve.ts')], { cwd: ROOT, env: { ...process.env, PORT: 'eighty' } });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(err).toBe('PORT must be a port number (0 to 65535; 0 picks a free one), got "eighty".\n');
}, 60_000);
