// `npm run demo:browser`: serves the built page from the simulated server and prints its address.
import * as path from 'path';
import { startMockServer } from '../../lib/testing';

const main = async (): Promise<void> => {
  const server = await startMockServer({ port: Number(process.env['PORT'] ?? 9090), stepMs: Number(process.env['DEMO_STEP_MS'] ?? 60), steps: 12, staticDir: __dirname });
  console.log(`Open ${server.url}/ in a browser (the simulated InvokeAI serves the page). Ctrl-C stops.`);
  await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  await server.close();
};

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
