// `invokeai-rx run <workflow.json>`: set inputs, sweep, run, show progress, save the images and videos.
import { promises as fs } from 'fs';
import * as path from 'path';
import { Observable, Subscription } from 'rxjs';
import {
  buildGraph,
  createClient,
  createPool,
  getInput,
  isTerminalRunEvent,
  listInputs,
  models,
  queue,
  setInput,
  validateWorkflow,
  type BatchId,
  type InputIssue,
  type InvokeAIClient,
  type ModelRecord,
  type ModelSync,
  type RunEvent,
  type RunEventOf,
  type RunOptions,
  type Workflow,
} from '../index';
import { parseArgs } from './args';
import { countOf, displayPath, printable, printableJson } from './format';
import { CliIo, UsageError } from './io';
import { foldProgress, initialProgress, liveBlock, plainLine, renderBars, saveOutputs, type RunProgressEvent as CliRunEvent, type RunProgress } from '../node';
import { connectionOptions, serverUrls } from './server-args';
import { parseInputValue, splitAssignment, toRef } from './values';
import { readWorkflow, retypeForServer } from './workflow-file';

/** Usage text of `run`. */
export const runUsage = `Usage: invokeai-rx run <workflow.json> [options]

Options:
  --set ref=value     set an input (repeatable); ref is an index, a label, a field name,
                      nodeId.fieldName or nodeLabel.fieldName (see: invokeai-rx inputs <file>)
  --sweep ref=a,b,c   run once per value (repeatable; several sweeps combine as a product)
  --runs N            run the whole batch N times (default 1)
  --url URL           the InvokeAI server (default: $INVOKEAI_URL); repeat it to spread the
                      items over several servers (a pool: a sweep is split by their speed)
  --token T           bearer token of a multi-user server (default: $INVOKEAI_TOKEN)
  --timeout S         seconds one request to the server may take (default 60)
  --sync-models       point the workflow's model fields at the server's installed models first
                      (same file or name, else one of the main model's base), and say which
  --out DIR           save the output images and videos into DIR (checked before the run)
  --json              print every run event as one JSON line (NDJSON)

Exit code: 0 when every item completed, 1 when any failed or was canceled, 2 for bad arguments,
130 when interrupted (Ctrl-C cancels the batch on the server first).
`;

const wantsModels = (wf: Workflow, refs: readonly string[]): boolean =>
  refs.some((ref) => {
    try {
      return getInput(wf, toRef(ref)).kind === 'model';
    } catch {
      return false;
    }
  });

const loadModels = (client: InvokeAIClient): Promise<readonly ModelRecord[]> => models(client).list();

/** Applies `--set` in order; every message names the ref and what it accepts. */
const applySets = (wf: Workflow, sets: readonly string[], models: readonly ModelRecord[] | undefined): Workflow =>
  sets.reduce((acc, text) => {
    const { ref, value } = splitAssignment('--set', text);
    const input = getInput(acc, toRef(ref));
    return setInput(input.index, parseInputValue(input, value, models))(acc);
  }, wf);

/** `--sweep ref=a,b,c` → the run's sweep values (parsed by each input's kind). */
const sweepValues = (wf: Workflow, sweeps: readonly string[], models: readonly ModelRecord[] | undefined): Record<string, unknown[]> => {
  const values: Record<string, unknown[]> = {};
  for (const text of sweeps) {
    const { ref, value } = splitAssignment('--sweep', text);
    const input = getInput(wf, toRef(ref));
    const items = value.split(',').filter((v) => v !== '');
    if (items.length === 0) throw new UsageError(`--sweep ${ref}= needs at least one value, e.g. --sweep ${ref}=1,2,3.`);
    values[String(input.index)] = items.map((item) => parseInputValue(input, item, models));
  }
  return values;
};

const parseRuns = (text: string | undefined): number => {
  if (text === undefined) return 1;
  if (!/^[1-9][0-9]*$/.test(text)) throw new UsageError(`--runs takes a positive integer, got "${text}".`);
  return Number(text);
};

/** What the arguments make of the workflow: inputs set, sweep parsed, checked runnable. */
interface PreparedRun {
  readonly wf: Workflow;
  readonly options: RunOptions;
}

/** A problem `validateWorkflow` found, said with the CLI's flags (`--set 3=...`, not `setInput(3, ...)`). */
const inCliTerms = (wf: Workflow, issue: InputIssue): string => {
  const input = issue.code === 'required-unset' ? listInputs(wf).find((i) => `${i.nodeId}.${i.fieldName}` === issue.ref) : undefined;
  if (input === undefined || input.connected) return issue.message.replace(/setInput\((\d+), \.\.\.\)/g, '--set $1=...');
  const hint = input.kind === 'model' ? ' (a model\'s name or key: invokeai-rx models lists them), or --sync-models to use installed ones' : '';
  return `Input #${input.index} "${input.label}" (${input.kind}) is required but has no value: --set ${input.index}=...${hint}.`;
};

/** The lines `--sync-models` prints: each model chosen, each left unset, in form order where the form has them. */
const syncReport = (sync: ModelSync): readonly string[] => {
  const inputs = listInputs(sync.workflow);
  const inForm = (f: { readonly nodeId: string; readonly fieldName: string }) => inputs.find((i) => i.nodeId === f.nodeId && i.fieldName === f.fieldName);
  const order = (f: { readonly nodeId: string; readonly fieldName: string }) => inForm(f)?.index ?? Infinity;
  const name = (f: { readonly nodeId: string; readonly fieldName: string; readonly label: string }) => {
    const input = inForm(f);
    return input !== undefined ? `#${input.index} ${input.label}` : f.label;
  };
  return [
    ...[...sync.changes].sort((a, b) => order(a) - order(b)).map((c) => `model ${name(c)}: ${c.to.name} (${c.to.base} ${c.to.type}, matched by ${c.by})`),
    ...sync.unresolved.map((u) => `model ${name(u)}: not set: ${u.reason.replace('choose one with setInput', 'choose one with --set')}`),
  ];
};

/** Types the workflow for the server, syncs its models when asked, applies `--set` and `--sweep`, and refuses one that cannot run. */
const prepareRun = async (
  loaded: Workflow,
  file: string,
  flags: { runs: number; sets: readonly string[]; sweeps: readonly string[]; syncModels: boolean },
  client: InvokeAIClient,
  io: CliIo,
  report: (sync: ModelSync) => void,
): Promise<PreparedRun> => {
  const retyped = await retypeForServer(loaded, client, file, io);
  let typed = retyped;
  if (flags.syncModels) {
    const sync = await models(client).sync(retyped, { byBase: true });
    report(sync);
    typed = sync.workflow;
  }
  const refs = [...flags.sets, ...flags.sweeps].map((t) => t.slice(0, Math.max(0, t.indexOf('='))));
  const installed = wantsModels(typed, refs) ? await loadModels(client) : undefined;
  const wf = applySets(typed, flags.sets, installed);
  const sweep = sweepValues(wf, flags.sweeps, installed);
  const valid = validateWorkflow(wf);
  if (valid._tag === 'Left') {
    const lines = valid.left.map((issue) => `  - ${inCliTerms(wf, issue)}`);
    throw new UsageError(`The workflow cannot run yet:\n${lines.join('\n')}\nSet the inputs with --set ref=value (invokeai-rx inputs ${file} lists them).`);
  }
  return { wf, options: { runs: flags.runs, ...(Object.keys(sweep).length > 0 ? { sweep: { values: sweep } } : {}) } };
};

/**
 * `--out DIR` before anything runs: DIR, or the folder it would be made in, must be a writable
 * folder, so that images are never made and then lost to a bad path.
 */
const checkOutDir = async (dir: string): Promise<void> => {
  let probe = dir;
  for (;;) {
    const stat = await fs.stat(probe).catch(() => undefined);
    if (stat !== undefined) {
      if (!stat.isDirectory()) throw new UsageError(`--out ${dir}: ${probe === dir ? 'it is' : `${probe} is`} a file, not a folder. Give a folder to save the images in.`);
      const writable = await fs.access(probe, fs.constants.W_OK).then(() => true, () => false);
      if (!writable) throw new UsageError(`--out ${dir}: ${probe} is not writable. Give a folder you may write in.`);
      return;
    }
    const parent = path.dirname(probe);
    if (parent === probe) return;
    probe = parent;
  }
};

/** How run events reach the terminal: NDJSON, live progress bars on a TTY, or plain lines. */
interface EventPrinter {
  /** Prints an event; never throws (a line that cannot be written is counted in `failures`). */
  readonly onEvent: (event: CliRunEvent) => void;
  /** A line of its own (above the live bars on a TTY), made `printable`. */
  readonly report: (line: string) => void;
  /** Writes one NDJSON line; never throws. */
  readonly jsonLine: (value: unknown, what: string) => void;
  readonly json: boolean;
  readonly progress: () => RunProgress;
  /** What could not be written (a value JSON cannot hold, a failing stdout), one line each. */
  readonly failures: () => readonly string[];
}

const describeFailure = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error));

const eventPrinter = (io: CliIo, json: boolean, nodesPerItem: number): EventPrinter => {
  const tty = !json && io.stdout.isTTY === true;
  const failures: string[] = [];
  // A line that cannot be written must neither stop the run nor its saves: it is noted, and the exit code tells.
  const write = (text: () => string, what: string): void => {
    try {
      io.stdout.write(text());
    } catch (error) {
      failures.push(`${what} could not be written (${describeFailure(error)})`);
    }
  };
  const block = liveBlock((t) => write(() => t, 'the progress bars'));
  let progress: RunProgress = initialProgress(nodesPerItem);
  let lastDraw = 0;
  const report = (line: string): void => {
    if (tty) block.done();
    write(() => `${printable(line)}\n`, 'a line');
  };
  const jsonLine = (value: unknown, what: string): void => write(() => `${printableJson(value)}\n`, what);
  const describeEvent = (event: CliRunEvent): string => `the ${event.type} event${'itemId' in event ? ` of item ${event.itemId}` : ''}`;
  // With several servers, item ids repeat across them: plain lines name the server.
  const line = (event: CliRunEvent): string | undefined => {
    const text = plainLine(event);
    return text === undefined || event.server === undefined ? text : `${text} [${event.server.url}]`;
  };
  const onEvent = (event: CliRunEvent): void => {
    progress = foldProgress(progress, event);
    if (json) {
      jsonLine(event, describeEvent(event));
    } else if (tty) {
      // Progress events come many per second: redraw at most every 80 ms, anything else at once.
      const now = Date.now();
      if (event.type !== 'node_progress' || now - lastDraw > 80) {
        lastDraw = now;
        block.draw(renderBars(progress, io.stdout.columns ?? 80));
      }
      if (event.type === 'failed' || event.type === 'canceled') report(line(event) ?? '');
    } else {
      const text = line(event);
      if (text !== undefined) write(() => `${text}\n`, describeEvent(event));
    }
  };
  return { onEvent, report, jsonLine, json, progress: () => progress, failures: () => failures };
};

/** Saves each completed item's outputs as it ends; `settled` waits for all and answers what could not be saved. */
const outputSaver = (clientOf: (event: CliRunEvent) => InvokeAIClient, outDir: string, io: CliIo, printer: EventPrinter) => {
  const saves: Promise<void>[] = [];
  const errors: string[] = [];
  const onCompleted = (event: RunEventOf<'completed'> & CliRunEvent): void => {
    saves.push(
      saveOutputs(clientOf(event), event, outDir)
        .then((files) => {
          for (const f of files) {
            if (printer.json) printer.jsonLine({ type: 'saved', itemId: event.itemId, file: f }, `the saved line of ${f}`);
            else printer.report(`saved ${displayPath(io.cwd, f)}`);
          }
        })
        // Kept until the run ends; a rejection must not go unhandled meanwhile.
        .catch((error: unknown) => {
          errors.push(`the outputs of item ${event.itemId} could not be saved (${describeFailure(error)})`);
        }),
    );
  };
  const settled = async (): Promise<readonly string[]> => {
    await Promise.all(saves);
    return errors;
  };
  return { onCompleted, settled };
};

/** Where the run goes: one server, or a pool of several (whose events say which server). */
interface Target {
  /** The server whose templates and models type the workflow (the first one). */
  readonly first: InvokeAIClient;
  readonly run: (wf: Workflow, options: RunOptions) => Observable<CliRunEvent>;
  /** The client of the server an event came from (to download its outputs, to cancel its batch). */
  readonly clientOf: (event: CliRunEvent) => InvokeAIClient;
  readonly close: () => void;
}

const targetFrom = (urls: readonly string[], connection: { readonly token?: string; readonly requestTimeoutMs?: number }): Target => {
  if (urls.length === 1) {
    const client = createClient({ baseUrl: urls[0], ...connection });
    return { first: client, run: (wf, options) => client.run(wf, options), clientOf: () => client, close: () => client.close() };
  }
  // Lost servers' items end failed (server_lost) rather than being resubmitted, so the exit code tells.
  const pool = createPool(urls, { splitSweeps: true, clientOptions: connection });
  return { first: pool.clients[0], run: (wf, options) => pool.run(wf, options), clientOf: (event) => pool.clients[event.server?.index ?? 0], close: () => pool.close() };
};

/**
 * Runs until every batch ends. Ctrl-C cancels the batches on their servers and waits for the
 * answers, so nothing keeps running there; resolves whether it was interrupted.
 */
const runToEnd = async (target: Target, prepared: PreparedRun, onEvent: (event: CliRunEvent) => void, report: (line: string) => void): Promise<{ interrupted: boolean }> => {
  let subscription: Subscription | undefined;
  const batches = new Map<BatchId, InvokeAIClient>();
  let interrupted = false;
  let finish: () => void = () => undefined;
  const stop = (): void => {
    interrupted = true;
    report(`interrupted: canceling the batch${batches.size === 1 ? '' : 'es'} on the server${batches.size === 1 ? '' : 's'}…`);
    const cancels = [...batches].map(([batchId, client]) => queue(client).cancelBatches([batchId]).catch(() => 0));
    void Promise.all(cancels).then(() => {
      subscription?.unsubscribe();
      finish();
    });
  };
  process.once('SIGINT', stop);
  try {
    await new Promise<void>((resolve, reject) => {
      finish = resolve;
      subscription = target.run(prepared.wf, prepared.options).subscribe({
        next: (event) => {
          if (event.type === 'enqueued') batches.set(event.batchId, target.clientOf(event));
          onEvent(event);
        },
        error: reject,
        complete: resolve,
      });
    });
  } finally {
    process.off('SIGINT', stop);
  }
  return { interrupted };
};

/** Runs `invokeai-rx run`; resolves to the exit code. */
export const runCommand = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const args = parseArgs(argv, { values: ['runs', 'token', 'out', 'timeout'], repeatable: ['set', 'sweep', 'url'], switches: ['json', 'sync-models'] }, runUsage);
  if (args.positionals.length !== 1) throw new UsageError(`run takes one workflow file.\n\n${runUsage}`);
  const file = args.positionals[0];
  const json = args.switches.has('json');
  const flags = { runs: parseRuns(args.values['runs']), sets: args.lists['set'] ?? [], sweeps: args.lists['sweep'] ?? [], syncModels: args.switches.has('sync-models') };
  const outDir = args.values['out'] !== undefined ? path.resolve(io.cwd, args.values['out']) : undefined;
  if (outDir !== undefined) await checkOutDir(outDir);
  const loaded = await readWorkflow(file, io);
  const target = targetFrom(serverUrls(args.lists['url'] ?? [], io), connectionOptions({ token: args.values['token'], timeout: args.values['timeout'] }, io));
  try {
    const reportSync = (sync: ModelSync): void => {
      if (json) io.stdout.write(`${JSON.stringify({ type: 'models_synced', changes: sync.changes, unresolved: sync.unresolved })}\n`);
      else for (const line of syncReport(sync)) io.stdout.write(`${line}\n`);
    };
    const prepared = await prepareRun(loaded, file, flags, target.first, io, reportSync);
    const printer = eventPrinter(io, json, Object.keys(buildGraph(prepared.wf).nodes).length);
    const saver = outDir !== undefined ? outputSaver(target.clientOf, outDir, io, printer) : undefined;
    // Keyed by server and item: item ids repeat across the servers of a pool.
    const ended = new Map<string, RunEvent['type']>();
    const { interrupted } = await runToEnd(
      target,
      prepared,
      (event) => {
        if (isTerminalRunEvent(event)) ended.set(`${event.server?.index ?? 0}:${event.itemId}`, event.type);
        printer.onEvent(event);
        if (event.type === 'completed') saver?.onCompleted(event);
      },
      printer.report,
    );
    const unsaved = (await saver?.settled()) ?? [];
    const total = printer.progress().total;
    const completed = [...ended.values()].filter((t) => t === 'completed').length;
    if (printer.json) printer.jsonLine({ type: 'summary', total, completed }, 'the summary');
    else printer.report(`${completed}/${countOf(total, 'item')} completed`);
    // Every line or file that could not be written is said on stderr, and fails the command.
    const failures = [...printer.failures(), ...unsaved];
    for (const failure of failures) io.stderr.write(`${printable(failure)}\n`);
    if (interrupted) return 130;
    return completed === total && total > 0 && failures.length === 0 ? 0 : 1;
  } finally {
    target.close();
  }
};
