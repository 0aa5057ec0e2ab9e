// The simulated InvokeAI server in its own process, for bench figures whose client must not share
// an event loop (or a heap) with the server. argv[2] is the JSON of `MockServerOptions`. IPC:
// `{ url }` once listening; `{ type: 'requests' }` → `{ requests: <count> }`; `{ type: 'close' }` exits.
import { startMockServer } from '../../../lib/testing';

const main = async (): Promise<void> => {
  const options = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
  const server = await startMockServer(options);
  process.send?.({ url: server.url });
  process.on('message', (msg: { type?: string }) => {
    if (msg?.type === 'requests') process.send?.({ requests: server.requests.length });
    if (msg?.type === 'close') void server.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
};
void main();
