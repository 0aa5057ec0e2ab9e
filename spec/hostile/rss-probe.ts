// The client side of a memory case, run in a child process of its own (`runProbe`), so that its
// resident memory is the library's alone, not jest's. Prints one JSON line: how the case ended and
// the process's peak RSS. A watchdog ends the process as soon as RSS passes the limit, so a case
// that would take gigabytes fails fast instead of taking the machine.
//   node --import tsx spec/hostile/rss-probe.ts <case> <baseUrl> [arg]
import { promises as fs, readFileSync } from 'fs';
import { createClient } from '../../lib/client/client';
import type { ConnectionState } from '../../lib/transport/socket';
import { downloadTo, saveOutputs } from '../../lib/node';
import type { ItemId, NodeId } from '../../lib/protocol/ids';
import type { RunOutput } from '../../lib/run/events';
import { images } from '../../lib/client/images';
import { queue } from '../../lib/client/queue';
import { videos } from '../../lib/client/videos';

/** The RSS no memory case may reach, in bytes (300 MB). */
export const RSS_LIMIT_BYTES = 300 * 1000 * 1000;

/** What a probe prints. */
export interface ProbeReport {
  /** `ok`, `error` (the case threw: `error` says what), or `over` (the watchdog stopped it past the limit). */
  readonly outcome: 'ok' | 'error' | 'over';
  readonly error?: { readonly name: string; readonly message: string };
  /** Peak resident set size of the process, in MB (10^6 bytes). */
  readonly peakRssMb: number;
  /** RSS once the library was loaded, before the case ran, in MB. */
  readonly startRssMb: number;
  readonly detail?: unknown;
}

const mb = (bytes: number): number => Math.round(bytes / 1e4) / 100;

// The watchdog's samples, every 5 ms.
let sampledPeak = 0;

/**
 * The process's peak RSS: Linux's VmHWM (the high-water mark of this process image), else the
 * sampled peak. Not `resourceUsage().maxRSS`: Linux carries the parent's peak over into a child
 * across fork and exec, so under a large jest worker it reports the worker's memory.
 */
const peakRss = (): number => {
  try {
    const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Math.max(Number(hwm[1]) * 1024, sampledPeak);
  } catch {
    // Not Linux: the samples are all there is.
  }
  return sampledPeak;
};

const report = (r: Omit<ProbeReport, 'peakRssMb' | 'startRssMb'>, startRss: number): void => {
  process.stdout.write(`${JSON.stringify({ ...r, peakRssMb: mb(peakRss()), startRssMb: mb(startRss) })}\n`);
};

const cases: Readonly<Record<string, (baseUrl: string, arg: string | undefined) => Promise<unknown>>> = {
  /** A JSON read (queue status): the server answers an endless or gzip-bomb body. */
  json: async (baseUrl) => {
    const client = createClient({ baseUrl, retry: false });
    try {
      return await queue(client).status();
    } finally {
      client.close();
    }
  },
  /** `images.download` of a huge image. */
  download: async (baseUrl, name) => {
    const client = createClient({ baseUrl, retry: false });
    try {
      return (await images(client).download(name ?? 'huge.png')).byteLength;
    } finally {
      client.close();
    }
  },
  /** `saveOutputs` of a result with one huge image, into the folder `arg`. */
  save: async (baseUrl, dir) => {
    const client = createClient({ baseUrl, retry: false, requestTimeoutMs: 120_000 });
    try {
      const output: RunOutput = { nodeId: 'n' as NodeId, nodeType: 'save_image', label: 'out', boardId: null, images: [{ imageName: 'huge.png', width: 1, height: 1 }], videos: [], values: [] };
      const files = await saveOutputs(client, { items: [{ itemId: 1 as ItemId, status: 'completed', outputs: [output], fieldValues: [], queueItem: null }] }, dir ?? '.');
      return { files, sizes: await Promise.all(files.map(async (f) => (await fs.stat(f)).size)) };
    } finally {
      client.close();
    }
  },
  /** `downloadTo` of a huge video into the file `arg`. */
  downloadTo: async (baseUrl, file) => {
    const client = createClient({ baseUrl, retry: false, requestTimeoutMs: 120_000 });
    try {
      const written = await downloadTo(videos(client), 'huge.mp4', file ?? 'huge.mp4');
      return { file: written, size: (await fs.stat(written)).size };
    } finally {
      client.close();
    }
  },
  /** Listens to the socket until it has lost the connection three times (the server sends oversized frames). */
  socket: (baseUrl) =>
    new Promise((resolve, reject) => {
      const client = createClient({ baseUrl, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } });
      const reasons: string[] = [];
      const timer = setTimeout(() => {
        sub.unsubscribe();
        client.close();
        reject(new Error(`only ${reasons.length} reconnects in 60 s: ${reasons.join(' | ')}`));
      }, 60_000);
      const sub = client.connection$.subscribe((state: ConnectionState) => {
        if (state.type !== 'reconnecting') return;
        reasons.push(state.reason);
        if (reasons.length < 3) return;
        clearTimeout(timer);
        sub.unsubscribe();
        client.close();
        resolve({ reasons });
      });
    }),
};

const main = async (): Promise<void> => {
  const [name, baseUrl, arg] = process.argv.slice(2);
  const run = cases[name];
  if (run === undefined || baseUrl === undefined) throw new Error(`usage: rss-probe <${Object.keys(cases).join('|')}> <baseUrl> [arg]`);
  const startRss = process.memoryUsage.rss();
  const watchdog = setInterval(() => {
    const rss = process.memoryUsage.rss();
    sampledPeak = Math.max(sampledPeak, rss);
    if (rss <= RSS_LIMIT_BYTES) return;
    report({ outcome: 'over' }, startRss);
    process.exit(3);
  }, 5);
  try {
    const detail = await run(baseUrl, arg);
    report({ outcome: 'ok', detail }, startRss);
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    report({ outcome: 'error', error: { name: e.name, message: e.message } }, startRss);
  } finally {
    clearInterval(watchdog);
  }
  process.exit(0);
};

if (require.main === module) void main();
