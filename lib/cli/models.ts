// `invokeai-rx models <url>`: the installed models, as a workflow's model inputs would need them.
import { parseArgs } from './args';
import { countOf, printableJson, table, truncate } from './format';
import { CliIo } from './io';
import { urlArgument, withClient } from './server-args';
import { models } from '../index';

/** Usage text of `models`. */
export const modelsUsage = `Usage: invokeai-rx models [<url>] [--token T] [--timeout S] [--base B] [--type T] [--json]

Lists the server's installed models: name, base, type, format, key. The URL defaults to $INVOKEAI_URL.
`;

/** Runs `invokeai-rx models`; resolves to the exit code. */
export const modelsCommand = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const args = parseArgs(argv, { values: ['token', 'base', 'type', 'url', 'timeout'], switches: ['json'] }, modelsUsage);
  return withClient(urlArgument('models', args, modelsUsage), { token: args.values['token'], timeout: args.values['timeout'] }, io, async (client) => {
    const all = await models(client).list();
    const matching = all.filter((m) => (args.values['base'] === undefined || m.base === args.values['base']) && (args.values['type'] === undefined || m.type === args.values['type']));
    if (args.switches.has('json')) {
      io.stdout.write(`${printableJson(matching, 2)}\n`);
      return 0;
    }
    io.stdout.write(`${countOf(matching.length, 'model')}${matching.length < all.length ? ` (of ${all.length})` : ''}\n\n`);
    io.stdout.write(
      table(
        ['name', 'base', 'type', 'format', 'key'],
        [...matching]
          .sort((a, b) => a.base.localeCompare(b.base) || a.type.localeCompare(b.type) || a.name.localeCompare(b.name))
          .map((m) => [truncate(m.name, 40), m.base, m.type, String(m.format ?? ''), m.key]),
      ),
    );
    return 0;
  });
};
