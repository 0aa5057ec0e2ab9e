// The server a command talks to: --url / --token / --timeout, or INVOKEAI_URL / INVOKEAI_TOKEN.
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

/** `--timeout S` as client options: how long one request may take before it fails (RequestTimeoutError). */
export const timeoutOptions = (text: string | undefined): { readonly requestTimeoutMs?: number } => {
  if (text === undefined) return {};
  if (!/^\d+(\.\d+)?$/.test(text) || Number(text) <= 0) throw new UsageError(`--timeout takes a number of seconds greater than 0 (e.g. --timeout 300), got "${text}".`);
  return { requestTimeoutMs: Math.round(Number(text) * 1000) };
};

/** How a command reaches its server: `--token` and `--timeout`, as given. */
export interface ConnectionArgs {
  readonly token?: string;
  readonly timeout?: string;
}

/** The client options of `--token` (or INVOKEAI_TOKEN) and `--timeout`. */
export const connectionOptions = (args: ConnectionArgs, io: CliIo): { readonly token?: string; readonly requestTimeoutMs?: number } => ({
  ...tokenOptions(args.token, io),
  ...timeoutOptions(args.timeout),
});

/** Runs `use` with a client from `--url`/`--token`/`--timeout` or the environment (says how to get a server otherwise), and closes the client however `use` ends. */
export const withClient = async <T>(url: string | undefined, connection: ConnectionArgs, io: CliIo, use: (client: InvokeAIClient) => Promise<T>): Promise<T> => {
  const client = createClient({ baseUrl: serverUrls(url === undefined ? [] : [url], io)[0], ...connectionOptions(connection, io) });
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
