// Rows "image or video names `.` and `..`" and "legal names of 238 to 255 characters": a name never
// becomes a step in the URL path, and saved names fit the file system, keeping extension and uniqueness.
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createClient } from '../../lib/client/client';
import { UnsafePathError } from '../../lib/transport/errors';
import { apiPath, hasDotSegment } from '../../lib/transport/http';
import { SaveOutputsError, downloadTo, saveOutputs } from '../../lib/node';
import { fitFileName } from '../../lib/node/files';
import type { ItemId, NodeId } from '../../lib/protocol/ids';
import type { RunItemResult } from '../../lib/run/events';
import { HostileServer, json, startHostileServer } from './hostile-server';
import { images } from '../../lib/client/images';
import { videos } from '../../lib/client/videos';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** A run result whose one output lists these image and video names. */
const resultWith = (images: readonly string[], videos: readonly string[] = []): { items: RunItemResult[] } => ({
  items: [
    {
      itemId: 1 as ItemId,
      status: 'completed',
      outputs: [{ nodeId: 'n' as NodeId, nodeType: 'save_image', label: 'out', boardId: null, images: images.map((imageName) => ({ imageName, width: 1, height: 1 })), videos: videos.map((videoName) => ({ videoName, width: 1, height: 1 })), values: [] }],
      fieldValues: [],
      queueItem: null,
    },
  ],
});

let server: HostileServer;
let dir: string;
beforeEach(async () => {
  server = await startHostileServer();
  // Every file route answers a few PNG bytes; anything else is a 404.
  server.onHttp((req, res) => {
    if (/^\/api\/v1\/(images|videos)\/i\/[^/]+\/(full|thumbnail)$/.test(req.url)) {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG);
    } else json(res, 404, { detail: 'Not Found' });
  });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'invokeai-rx-names-'));
});
afterEach(async () => {
  await server.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('"." and ".." stay names', () => {
  it('encodes a name of dots, and knows that URL parsers would still resolve it', () => {
    expect(apiPath`/api/v1/images/i/${'..'}/full`).toBe('/api/v1/images/i/%2E%2E/full');
    expect(apiPath`/api/v1/images/i/${'.'}/full`).toBe('/api/v1/images/i/%2E/full');
    expect(apiPath`/api/v1/images/i/${'a..b.png'}/full`).toBe('/api/v1/images/i/a..b.png/full');
    expect(hasDotSegment('/api/v1/images/i/%2E%2E/full')).toBe(true);
    expect(hasDotSegment('/api/v1/images/i/.%2e/full')).toBe(true);
    expect(hasDotSegment('/api/v1/images/i/a..b.png/full?x=..')).toBe(false);
  });

  it('download, get and downloadTo of "." or ".." send nothing and throw UnsafePathError, for images and videos', async () => {
    const client = createClient({ baseUrl: server.url, retry: false });
    try {
      for (const name of ['.', '..']) {
        await expect(images(client).download(name)).rejects.toBeInstanceOf(UnsafePathError);
        await expect(images(client).get(name)).rejects.toMatchObject({ name: 'UnsafePathError' });
        await expect(videos(client).download(name, { thumbnail: true })).rejects.toBeInstanceOf(UnsafePathError);
        await expect(downloadTo(images(client), name, path.join(dir, 'x.png'))).rejects.toBeInstanceOf(UnsafePathError);
      }
      expect(server.requests).toEqual([]);
      expect(await fs.readdir(dir)).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('saveOutputs of a result naming ".." requests no other route, and says which name it could not save', async () => {
    const client = createClient({ baseUrl: server.url, retry: false });
    try {
      const error = await saveOutputs(client, resultWith(['good.png', '..']), dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SaveOutputsError);
      expect(error).toMatchObject({ failedImage: '..', saved: [path.join(dir, 'good.png')] });
      expect((error as SaveOutputsError).cause).toBeInstanceOf(UnsafePathError);
      expect(server.requests.map((r) => r.url)).toEqual(['/api/v1/images/i/good.png/full']);
    } finally {
      client.close();
    }
  });
});

describe('saved names fit the file system', () => {
  const ext = '.png';
  const named = (length: number, fill = 'a'): string => `${fill.repeat(length - ext.length)}${ext}`;

  it('saves legal server names of 238 to 255 characters under their own names', async () => {
    const names = [238, 240, 250, 255].map((n, i) => named(n, String.fromCharCode(98 + i)));
    const client = createClient({ baseUrl: server.url, retry: false });
    try {
      const saved = await saveOutputs(client, resultWith(names), dir);
      expect(saved.map((f) => path.basename(f))).toEqual(names);
      for (const f of saved) expect(await fs.readFile(f)).toEqual(PNG);
    } finally {
      client.close();
    }
  });

  it('shortens longer names to 255 bytes, keeping the extension, a character whole and every name distinct', async () => {
    const client = createClient({ baseUrl: server.url, retry: false });
    try {
      // Two names the same in their first 300 characters, and one of 3-byte characters (300 of them: 900 bytes).
      const long = ['x'.repeat(300), 'x'.repeat(300), '\u6f22'.repeat(300)];
      let i = 0;
      const saved = await saveOutputs(client, resultWith(['a.png', 'b.png', 'c.png']), dir, { naming: () => `${long[i++]}.webp` });
      const basenames = saved.map((f) => path.basename(f));
      for (const name of basenames) {
        expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
        expect(name.endsWith('.webp')).toBe(true);
        expect(name).not.toContain('\ufffd');
      }
      expect(basenames[1]).toBe(`${'x'.repeat(255 - '-1.webp'.length)}-1.webp`);
      expect(new Set(basenames).size).toBe(3);
      expect((await fs.readdir(dir)).sort()).toEqual([...basenames].sort());
    } finally {
      client.close();
    }
  });

  it('downloadTo shortens a file name that is too long the same way, and never overwrites', async () => {
    const client = createClient({ baseUrl: server.url, retry: false });
    try {
      const target = path.join(dir, `${'y'.repeat(400)}.png`);
      const first = await downloadTo(images(client), 'a.png', target);
      const second = await downloadTo(images(client), 'a.png', target);
      expect(path.basename(first)).toBe(`${'y'.repeat(251)}.png`);
      expect(path.basename(second)).toBe(`${'y'.repeat(249)}-1.png`);
    } finally {
      client.close();
    }
  });

  it('fitFileName keeps the suffix and extension within the bytes it is given', () => {
    expect(fitFileName('short.png', 0)).toBe('short.png');
    expect(fitFileName('short.png', 2)).toBe('short-2.png');
    expect(fitFileName(`${'z'.repeat(200)}.png`, 3, 100)).toBe(`${'z'.repeat(100 - '-3.png'.length)}-3.png`);
    // An "extension" too long to be one is cut with the rest.
    expect(Buffer.byteLength(fitFileName(`a.${'e'.repeat(300)}`, 0))).toBe(255);
  });
});
