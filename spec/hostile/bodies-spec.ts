// Row "no limit on any HTTP body": endless and gzip-bomb JSON answers, a 1.2 GB image read by
// images.download, saveOutputs and downloadTo. The memory cases run the client in a child process
// (rss-probe.ts) and read its peak RSS.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import crossFetch from 'cross-fetch';
import { createClient } from '../../lib/client/client';
import { ResponseTooLargeError } from '../../lib/transport/errors';
import { DEFAULT_LIMITS, type FetchLike } from '../../lib/transport/http';
import { HostileServer, endlessJson, gzipBomb, hugeImage, json, startHostileServer } from './hostile-server';
import { RSS_LIMIT_BYTES, logRss, runProbe } from './probe';
import { images } from '../../lib/client/images';
import { queue } from '../../lib/client/queue';

const HUGE = 1_200_000_000;
const LIMIT_MB = RSS_LIMIT_BYTES / 1e6;

let server: HostileServer;
let dir: string;
beforeEach(async () => {
  server = await startHostileServer();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-hostile-'));
});
afterEach(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('JSON answers are read up to limits.jsonBytes, counted after decompression', () => {
  it('an endless chunked JSON answer ends in ResponseTooLargeError at 16 MiB, and the client stays under 300 MB', async () => {
    server.onHttp((_req, res) => endlessJson(res));
    const report = await runProbe('json', server.url);
    logRss('endless JSON', report);
    expect(report).toMatchObject({ outcome: 'error', error: { name: 'ResponseTooLargeError' } });
    expect(report.error?.message).toContain(`${server.url}/api/v1/queue/default/status answered more than ${DEFAULT_LIMITS.jsonBytes} bytes`);
    expect(report.peakRssMb).toBeLessThan(LIMIT_MB);
  }, 120_000);

  it('a gzip bomb (1 MB that inflates to 1.2 GB) ends in ResponseTooLargeError, not in an untyped string error', async () => {
    server.onHttp((_req, res) => gzipBomb(res, HUGE));
    const report = await runProbe('json', server.url);
    logRss('gzip bomb', report);
    expect(report).toMatchObject({ outcome: 'error', error: { name: 'ResponseTooLargeError' } });
    expect(report.error?.message).toContain('counted after decompression');
    expect(report.peakRssMb).toBeLessThan(LIMIT_MB);
  }, 120_000);

  it('limits.jsonBytes is the caller\'s to set, and the error names the redacted URL and the limit', async () => {
    server.onHttp((_req, res) => json(res, 200, { queue: 'x'.repeat(5000) }));
    const client = createClient({ baseUrl: server.url.replace('http://', 'http://me:hunter2@'), limits: { jsonBytes: 4096 }, retry: false });
    const error = await queue(client).status().catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ limitBytes: 4096, kind: 'json', url: `${server.url}/api/v1/queue/default/status` });
    expect(String((error as Error).stack)).not.toContain('hunter2');
  });
});

// Both body streams in use: node-fetch's Node stream (cross-fetch, the default) and undici's WHATWG one.
describe.each([
  ['cross-fetch (node-fetch)', crossFetch as FetchLike],
  ['the global fetch (undici)', globalThis.fetch as unknown as FetchLike],
])('limits with %s', (_name, fetch) => {
  const MiB = 1024 * 1024;
  const client = () => createClient({ baseUrl: server.url, fetch, retry: false, limits: { jsonBytes: MiB, downloadBytes: MiB } });

  it.each([
    ['an endless JSON answer', (res: Parameters<typeof endlessJson>[0]) => endlessJson(res)],
    ['a gzip bomb', (res: Parameters<typeof endlessJson>[0]) => gzipBomb(res, HUGE)],
  ])('%s stops at limits.jsonBytes', async (_what, answer) => {
    server.onHttp((_req, res) => answer(res));
    const c = client();
    const error = await queue(c).status().catch((e: unknown) => e);
    c.close();
    expect(error).toMatchObject({ name: 'ResponseTooLargeError', kind: 'json', limitBytes: MiB });
  });

  it('a download stops at limits.downloadBytes, and one that says its length up front is refused unread', async () => {
    server.onHttp((req, res) => hugeImage(res, HUGE, req.url.includes('with-length')));
    const c = client();
    await expect(images(c).download('no-length.png')).rejects.toMatchObject({ name: 'ResponseTooLargeError', kind: 'bytes', limitBytes: MiB });
    await expect(images(c).download('with-length.png')).rejects.toMatchObject({ name: 'ResponseTooLargeError', kind: 'bytes' });
    // A streamed download has no limit of its own, unless it is given one.
    let taken = 0;
    await expect(images(c).downloadChunks('no-length.png', (chunk) => void (taken += chunk.byteLength), { maxBytes: 3 * MiB })).rejects.toMatchObject({ kind: 'stream', limitBytes: 3 * MiB });
    expect(taken).toBeLessThanOrEqual(3 * MiB);
    c.close();
  });
});

describe('media', () => {
  it('images.download of a 1.2 GB image stops at limits.downloadBytes (64 MiB) with ResponseTooLargeError, under 300 MB', async () => {
    // Without a Content-Length the limit can only be met by counting.
    server.onHttp((req, res) => (req.url.endsWith('/full') ? hugeImage(res, HUGE, false) : json(res, 404, { detail: 'Not Found' })));
    const report = await runProbe('download', server.url, 'huge.png');
    logRss('images.download of 1.2 GB', report);
    expect(report).toMatchObject({ outcome: 'error', error: { name: 'ResponseTooLargeError' } });
    expect(report.error?.message).toContain(`answered more than ${DEFAULT_LIMITS.downloadBytes} bytes`);
    expect(report.peakRssMb).toBeLessThan(LIMIT_MB);
  }, 120_000);

  it('saveOutputs streams a 1.2 GB image to disk, whole, under 300 MB', async () => {
    server.onHttp((req, res) => (req.url === '/api/v1/images/i/huge.png/full' ? hugeImage(res, HUGE) : json(res, 404, { detail: 'Not Found' })));
    const report = await runProbe('save', server.url, dir);
    logRss('saveOutputs of 1.2 GB', report);
    expect(report).toMatchObject({ outcome: 'ok', detail: { files: [path.join(dir, 'huge.png')], sizes: [HUGE] } });
    expect(report.peakRssMb).toBeLessThan(LIMIT_MB);
    expect(await fs.readdir(dir)).toEqual(['huge.png']);
  }, 180_000);

  it('downloadTo streams a 1.2 GB video to its file, whole, under 300 MB', async () => {
    server.onHttp((req, res) => (req.url === '/api/v1/videos/i/huge.mp4/full' ? hugeImage(res, HUGE) : json(res, 404, { detail: 'Not Found' })));
    const target = path.join(dir, 'clips', 'clip.mp4');
    const report = await runProbe('downloadTo', server.url, target);
    logRss('downloadTo of 1.2 GB', report);
    expect(report).toMatchObject({ outcome: 'ok', detail: { file: target, size: HUGE } });
    expect(report.peakRssMb).toBeLessThan(LIMIT_MB);
    expect(await fs.readdir(path.dirname(target))).toEqual(['clip.mp4']);
  }, 180_000);
});
