// A process that runs a workflow and prints each of its events as a JSON line, until it is killed
// (spec/run/attach-spec.ts kills it with SIGKILL mid-run, then attaches to its batch).
import { createClient } from '../../lib/index';
import { imageWorkflow } from './run-helpers';

const client = createClient({ baseUrl: process.env['SERVER_URL'] ?? '' });
client.run(imageWorkflow(16), { runs: Number(process.env['RUNS'] ?? 4), key: process.env['RUN_KEY'] ?? '' }).subscribe({
  next: (event) => console.log(JSON.stringify(event)),
  error: (error: unknown) => console.log(JSON.stringify({ type: 'error', message: String(error) })),
});
