// Shared by the resource tests: a simulated server and a client on it, closed after each test.
import { createClient, InvokeAIClient } from '../../lib/client/client';
import type { ClientOptions } from '../../lib/transport/context';
import { MockServer, MockServerOptions, startMockServer } from '../../lib/testing';
import { renderPng } from '../../lib/testing/png';

/** A simulated server and a client; `close()` releases both. */
export interface SimClient {
  readonly server: MockServer;
  readonly client: InvokeAIClient;
  close(): Promise<void>;
}

/** Starts a simulated server and a client with fast retries and reconnects. */
export const startSim = async (serverOptions: MockServerOptions = {}, clientOptions: Partial<ClientOptions> = {}): Promise<SimClient> => {
  const server = await startMockServer({ stepMs: 1, steps: 1, ...serverOptions });
  const client = createClient({
    baseUrl: server.url,
    retry: { initialDelayMs: 1, maxDelayMs: 5, jitter: 0 },
    reconnect: { initialDelayMs: 5, maxDelayMs: 20, jitter: 0 },
    ...clientOptions,
  });
  return {
    server,
    client,
    close: async () => {
      client.close();
      await server.close();
    },
  };
};

/** A small PNG. */
export const png = (width = 8, height = 8, key = 'test'): Uint8Array => new Uint8Array(renderPng(width, height, key));

/** The requests of the log with this method whose path starts with `prefix`. */
export const requestsTo = (server: MockServer, method: string, prefix: string) =>
  server.requests.filter((r) => r.method === method && r.path.startsWith(prefix));

/** Waits until `check` is true, polling every 5 ms (no timing assertion: the test timeout bounds it). */
export const until = async (check: () => boolean): Promise<void> => {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 5));
};
