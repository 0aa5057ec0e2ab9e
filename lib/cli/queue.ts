// `invokeai-rx queue <url>`: the queue's counts, the item in progress, and the latest items.
import { parseArgs } from './args';
import { printable, printableJson, table, truncate } from './format';
import { CliIo } from './io';
import { urlArgument, withClient } from './server-args';
import { queue } from '../index';

/** Usage text of `queue`. */
export const queueUsage = `Usage: invokeai-rx queue [<url>] [--token T] [--timeout S] [--json]

Shows the queue's counts (pending, in progress, completed, failed, canceled), whether the processor
runs, the item in progress and the last items. The URL defaults to $INVOKEAI_URL.
`;

/** Runs `invokeai-rx queue`; resolves to the exit code. */
export const queueCommand = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const args = parseArgs(argv, { values: ['token', 'url', 'timeout'], switches: ['json'] }, queueUsage);
  return withClient(urlArgument('queue', args, queueUsage), { token: args.values['token'], timeout: args.values['timeout'] }, io, async (client) => {
    const [status, items] = await Promise.all([queue(client).status(), queue(client).list()]);
    const latest = [...items].sort((a, b) => b.item_id - a.item_id).slice(0, 10);
    if (args.switches.has('json')) {
      io.stdout.write(`${printableJson({ status, latest: latest.map(({ session: _session, ...rest }) => rest) }, 2)}\n`);
      return 0;
    }
    const q = status.queue;
    io.stdout.write(
      printable(`queue ${q.queue_id}: ${q.pending} pending, ${q.in_progress} in progress, ${q.completed} completed, ${q.failed} failed, ${q.canceled} canceled (${q.total} total)\n` +
        `processor: ${status.processor.is_started ? 'started' : 'stopped'}${status.processor.is_processing ? ', processing' : ', idle'}\n` +
        `current item: ${q.item_id ?? 'none'}\n\n`, true),
    );
    if (latest.length > 0) {
      io.stdout.write(
        table(
          ['item', 'status', 'batch', 'origin', 'error'],
          latest.map((i) => [String(i.item_id), i.status, truncate(i.batch_id, 12), truncate(String(i.origin ?? ''), 24), truncate(i.error_type ?? '', 30)]),
        ),
      );
    }
    return 0;
  });
};
