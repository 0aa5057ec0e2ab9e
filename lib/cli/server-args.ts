// The server a command talks to: --url / --token, or INVOKEAI_URL / INVOKEAI_TOKEN.
import { createClient, type InvokeAIClient } from '../index';
import { CliIo, UsageError } from './io';

/** Makes a client from `--url`/`--token` or the environment; says how to get a server otherwise. */
export const clientFrom = (url: string | undefined, token: string | undefined, io: CliIo): InvokeAIClient => {
  const baseUrl = url ?? io.env['INVOKEAI_URL'];
  if (baseUrl === undefined || baseUrl === '') {
    throw new UsageError('No server: pass --url http://127.0.0.1:9090 or set INVOKEAI_URL. For a simulated server, run `invokeai-rx sim` in another terminal.');
  }
  if (!/^https?:\/\//.test(baseUrl)) throw new UsageError(`The server URL must start with http:// or https://, got "${baseUrl}".`);
  const bearer = token ?? io.env['INVOKEAI_TOKEN'];
  return createClient({ baseUrl, ...(bearer ? { token: bearer } : {}) });
};
