// Regenerates spec/fixtures/socket-events/denoise-latents-progress.json, the payloads the socket
// figure of `npm run bench` sends: the 16 `invocation_progress` events of the denoise_latents node
// of InvokeAI's own "Text to Image - SDXL", as the simulated server emits them over its socket.io
// server while it runs that workflow with 16 steps, read raw (undecoded) by socket.io-client.
// The simulator's previews are 8×8 PNGs; a real server's are larger, so each preview (on every
// other step, as the simulator and InvokeAI send them) is re-rendered at 18×18, which makes the
// payloads 1.7 to 2.8 kB, the size of those a real InvokeAI server sends.
// Usage: npx tsx spec/tools/capture-progress-events.ts
import { writeFileSync } from 'fs';
import { join, relative } from 'path';
import { io } from 'socket.io-client';
import { createClient } from '../../lib/client/client';
import { loadWorkflowFile } from '../../lib/node/files';
import { renderPng } from '../../lib/testing/png';
import { startMockServer } from '../../lib/testing/server';
import { models } from '../../lib/client/models';

const root = join(__dirname, '..', '..');
/** Where the captured payloads are stored. */
export const PROGRESS_FIXTURE = join(root, 'spec', 'fixtures', 'socket-events', 'denoise-latents-progress.json');
const WORKFLOW = join(root, 'spec', 'fixtures', 'default-workflows', 'Text to Image - SDXL.json');
const STEPS = 16;
const PREVIEW_SIZE = 18;

type Payload = Record<string, unknown> & { invocation: { type: string }; image: { width: number; height: number; dataURL: string } | null };

const capture = async (): Promise<Payload[]> => {
  const server = await startMockServer({ stepMs: 1, steps: STEPS });
  const client = createClient({ baseUrl: server.url });
  const url = new URL(server.url);
  const socket = io(`${url.protocol}//${url.host}`, { path: '/ws/socket.io', transports: ['websocket'], forceNew: true, reconnection: false });
  try {
    const payloads: Payload[] = [];
    socket.on('invocation_progress', (p: Payload) => {
      if (p.invocation.type === 'denoise_latents') payloads.push(p);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => {
        socket.emit('subscribe_queue', { queue_id: 'default' });
        resolve();
      });
      socket.once('connect_error', reject);
    });
    const { workflow } = await models(client).sync(await loadWorkflowFile(WORKFLOW), { byBase: true });
    await client.submit(workflow);
    // The last progress event may still be on its way when the run's completion is read.
    for (let waited = 0; payloads.length < STEPS && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    if (payloads.length !== STEPS) throw new Error(`expected ${STEPS} denoise_latents progress events, got ${payloads.length}`);
    return payloads;
  } finally {
    socket.close();
    client.close();
    await server.close();
  }
};

const enlargePreviews = (payloads: readonly Payload[]): Payload[] =>
  payloads.map((p, step) =>
    p.image === null
      ? p
      : { ...p, image: { width: PREVIEW_SIZE, height: PREVIEW_SIZE, dataURL: `data:image/png;base64,${renderPng(PREVIEW_SIZE, PREVIEW_SIZE, `preview:${step}`).toString('base64')}` } },
  );

if (require.main === module) {
  capture().then(
    (raw) => {
      const payloads = enlargePreviews(raw);
      const sizes = payloads.map((p) => JSON.stringify(p).length);
      writeFileSync(PROGRESS_FIXTURE, `[\n${payloads.map((p) => JSON.stringify(p)).join(',\n')}\n]\n`);
      console.log(`wrote ${relative(process.cwd(), PROGRESS_FIXTURE)}: ${payloads.length} payloads of ${Math.min(...sizes)} to ${Math.max(...sizes)} bytes`);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
