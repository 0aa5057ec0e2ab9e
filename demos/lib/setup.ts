// What every demo starts with: a server (the simulated one, or INVOKEAI_URL's) and a client for it.
import * as path from 'path';
import { createClient, type InvokeAIClient } from '../../lib/index';
import { startMockServer, type MockServer } from '../../lib/testing';

/** A client, the simulated server when one was started, and how to stop both. */
export interface DemoServer {
  readonly client: InvokeAIClient;
  /** `undefined` when the demo runs against a real server (INVOKEAI_URL). */
  readonly simulated: MockServer | undefined;
  readonly url: string;
  readonly close: () => Promise<void>;
}

/** Starts the simulated server unless INVOKEAI_URL is set; DEMO_STEP_MS sets its speed (default 40 ms per step). */
export const startDemoServer = async (options: { readonly staticDir?: string } = {}): Promise<DemoServer> => {
  const url = process.env['INVOKEAI_URL'] || undefined;
  const simulated = url ? undefined : await startMockServer({ stepMs: Number(process.env['DEMO_STEP_MS'] ?? 40), steps: 12, ...options });
  const baseUrl = url ?? simulated!.url;
  const client = createClient({ baseUrl, ...(process.env['INVOKEAI_TOKEN'] ? { token: process.env['INVOKEAI_TOKEN'] } : {}) });
  return {
    client,
    simulated,
    url: baseUrl,
    close: async () => {
      client.close();
      await simulated?.close();
    },
  };
};

/** A workflow shipped with the demos. */
export const demoWorkflow = (name: string): string => path.join(__dirname, '..', 'workflows', name);

/** Where a demo writes its images: DEMO_OUT, or ./out under the current directory. */
export const outDir = (sub = ''): string => path.resolve(process.env['DEMO_OUT'] ?? 'out', sub);
