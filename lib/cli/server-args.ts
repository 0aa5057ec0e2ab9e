// The server a command talks to: --url / --token, or INVOKEAI_URL / INVOKEAI_TOKEN.
import { createClient, type InvokeAIClient } from '../index';
import type { ParsedArgs } from './args';
import { CliIo, UsageError } from './io';

/** The servers of `--url` (repeatable for `run`) or INVOKEAI_URL; says how to get a server otherwise. */
export const serverUrls = (urls: readonly string[], io: CliIo): readonly string[] => {
  const given = urls.length > 0 ? urls : [io.env['INVOKEAI_URL'] ?? ''].filter((u) => u !== '');
  if (given.length === 0) {
    throw new UsageError('No server: pass --url http://127.0.0.1:9090 or set INVOKEAI_URL. For a simulated server, run `invokeai-rx sim` in another terminal.');
  }
  for (const url of given) if (!/^https?:\/\//.test(url)) throw new UsageError(`The server URL must start with http:// or https://, got "${url}".`);
  return given;
};

/** The bearer token of `--token` or INVOKEAI_TOKEN, as client options. */
export const tokenOptions = (token: string | undefined, io: CliIo): { readonly token?: string } => {
  const bearer = token ?? io.env['INVOKEAI_TOKEN'];
  return bearer ? { token: bearer } : {};
};

/** Runs `use` with a client from `--url`/`--token` or the environment (says how to get a server otherwise), and closes the client however `use` ends. */
export const withClient = async <T>(url: string | undefined, token: string | undefined, io: CliIo, use: (client: InvokeAIClient) => Promise<T>): Promise<T> => {
  const client = createClient({ baseUrl: serverUrls(url === undefined ? [] : [url], io)[0], ...tokenOptions(token, io) });
  try {
    return await use(client);
  } finally {
    client.close();
  }
};

/** The server URL of a `<command> [<url>] [--url U]` command line (the positional wins); `undefined` leaves it to INVOKEAI_URL. */
export const urlArgument = (command: string, args: ParsedArgs, usage: string): string | undefined => {
  if (args.positionals.length > 1) throw new UsageError(`${command} takes at most one URL.\n\n${usage}`);
  return args.positionals[0] ?? args.values['url'];
};
