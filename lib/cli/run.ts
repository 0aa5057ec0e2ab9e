// `invokeai-rx run <workflow.json>`: set inputs, sweep, run, show progress, save the images.
import * as path from 'path';
import { Subscription } from 'rxjs';
import { buildGraph, getInput, setInput, validateWorkflow, type InvokeAIClient, type RunEvent, type Workflow } from '../index';
import { saveOutputs } from '../node';
import { parseArgs } from './args';
import { CliIo, UsageError } from './io';
import { foldProgress, initialProgress, liveBlock, plainLine, renderBars, type RunProgress } from './progress';
import { clientFrom } from './server-args';
import { ModelChoice, parseInputValue, splitAssignment, toRef } from './values';
import { readWorkflow, retypeForServer } from './workflow-file';

/** Usage text of `run`. */
export const runUsage = `Usage: invokeai-rx run <workflow.json> [options]

Options:
  --set ref=value     set an input (repeatable); ref is an index, a label, a field name,
                      nodeId.fieldName or nodeLabel.fieldName (see: invokeai-rx inputs <file>)
  --sweep ref=a,b,c   run once per value (repeatable; several sweeps combine as a product)
  --runs N            run the whole batch N times (default 1)
  --url URL           the InvokeAI server (default: $INVOKEAI_URL)
  --token T           bearer token of a multi-user server (default: $INVOKEAI_TOKEN)
  --out DIR           save the output images into DIR
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

const loadModels = async (client: InvokeAIClient): Promise<readonly ModelChoice[]> =>
  (await client.models.list()).map((m) => ({ key: m.key, hash: m.hash ?? '', name: m.name, base: m.base, type: m.type }));

/** Applies `--set` in order; every message names the ref and what it accepts. */
const applySets = (wf: Workflow, sets: readonly string[], models: readonly ModelChoice[] | undefined): Workflow =>
  sets.reduce((acc, text) => {
    const { ref, value } = splitAssignment('--set', text);
    const input = getInput(acc, toRef(ref));
    return setInput(input.index, parseInputValue(input, value, models))(acc);
  }, wf);

/** `--sweep ref=a,b,c` → the run's sweep values (parsed by each input's kind). */
const sweepValues = (wf: Workflow, sweeps: readonly string[], models: readonly ModelChoice[] | undefined): Record<string, unknown[]> => {
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

/** A path relative to the cwd when it is under it, absolute otherwise. */
const displayPath = (cwd: string, file: string): string => {
  const rel = path.relative(cwd, file);
  return rel === '' || rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
};

/** Runs `invokeai-rx run`; resolves to the exit code. */
export const runCommand = async (argv: readonly string[], io: CliIo): Promise<number> => {
  const args = parseArgs(argv, { values: ['runs', 'url', 'token', 'out'], repeatable: ['set', 'sweep'], switches: ['json'] }, runUsage);
  if (args.positionals.length !== 1) throw new UsageError(`run takes one workflow file.\n\n${runUsage}`);
  const runs = parseRuns(args.values['runs']);
  const sets = args.lists['set'] ?? [];
  const sweeps = args.lists['sweep'] ?? [];
  const loaded = await readWorkflow(args.positionals[0], io);
  const client = clientFrom(args.values['url'], args.values['token'], io);
  try {
    const typed = await retypeForServer(loaded, client);
    const refs = [...sets, ...sweeps].map((t) => t.slice(0, Math.max(0, t.indexOf('='))));
    const models = wantsModels(typed, refs) ? await loadModels(client) : undefined;
    const wf = applySets(typed, sets, models);
    const sweep = sweepValues(wf, sweeps, models);
    const valid = validateWorkflow(wf);
    if (valid._tag === 'Left') {
      const lines = valid.left.map((issue) => `  - ${issue.message}`);
      throw new UsageError(`The workflow cannot run yet:\n${lines.join('\n')}\nSet the inputs with --set ref=value (invokeai-rx inputs ${args.positionals[0]} lists them).`);
    }
    const outDir = args.values['out'] !== undefined ? path.resolve(io.cwd, args.values['out']) : undefined;
    const json = args.switches.has('json');
    const tty = !json && io.stdout.isTTY === true;
    const nodesPerItem = Object.keys(buildGraph(wf).nodes).length;
    let progress: RunProgress = initialProgress(nodesPerItem);
    const block = liveBlock((t) => io.stdout.write(t));
    let lastDraw = 0;
    const saves: Promise<void>[] = [];
    const saveErrors: unknown[] = [];
    const ended = new Map<number, RunEvent['type']>();
    const report = (line: string): void => {
      if (tty) block.done();
      io.stdout.write(`${line}\n`);
    };
    const onEvent = (event: RunEvent): void => {
      progress = foldProgress(progress, event);
      if (event.type === 'completed' || event.type === 'failed' || event.type === 'canceled') ended.set(event.itemId, event.type);
      if (json) io.stdout.write(`${JSON.stringify(event)}\n`);
      else if (tty) {
        const now = Date.now();
        const important = event.type !== 'node_progress';
        if (important || now - lastDraw > 80) {
          lastDraw = now;
          block.draw(renderBars(progress, io.stdout.columns ?? 80));
        }
        if (event.type === 'failed' || event.type === 'canceled') report(plainLine(event) ?? '');
      } else {
        const line = plainLine(event);
        if (line !== undefined) io.stdout.write(`${line}\n`);
      }
      if (event.type === 'completed' && outDir !== undefined) {
        saves.push(
          saveOutputs(client, { items: [{ itemId: event.itemId, status: 'completed', outputs: event.outputs, fieldValues: [], queueItem: event.queueItem }] }, outDir).then((files) => {
            for (const f of files) {
              if (json) io.stdout.write(`${JSON.stringify({ type: 'saved', itemId: event.itemId, file: f })}\n`);
              else report(`saved ${displayPath(io.cwd, f)}`);
            }
          })
            // Kept until the run ends; a rejection must not go unhandled meanwhile.
            .catch((error: unknown) => {
              saveErrors.push(error);
            }),
        );
      }
    };
    let subscription: Subscription | undefined;
    let batchId: string | undefined;
    let interrupted = false;
    let finish: () => void = () => undefined;
    // Ctrl-C: cancel the batch on the server and wait for the answer, so nothing keeps running there.
    const stop = (): void => {
      interrupted = true;
      report('interrupted: canceling the batch on the server…');
      const cancel = batchId === undefined ? Promise.resolve(0) : client.queue.cancelBatches([batchId]);
      void cancel.catch(() => 0).then(() => {
        subscription?.unsubscribe();
        finish();
      });
    };
    process.once('SIGINT', stop);
    try {
      await new Promise<void>((resolve, reject) => {
        finish = resolve;
        subscription = client.run(wf, { runs, ...(Object.keys(sweep).length > 0 ? { sweep: { values: sweep } } : {}) }).subscribe({
          next: (event) => {
            if (event.type === 'enqueued') batchId = event.batchId;
            onEvent(event);
          },
          error: reject,
          complete: resolve,
        });
      });
    } finally {
      process.off('SIGINT', stop);
    }
    await Promise.all(saves);
    if (saveErrors.length > 0) throw saveErrors[0];
    const total = progress.total;
    const completed = [...ended.values()].filter((t) => t === 'completed').length;
    const summary = `${completed}/${total} item${total === 1 ? '' : 's'} completed`;
    if (json) io.stdout.write(`${JSON.stringify({ type: 'summary', total, completed })}\n`);
    else report(summary);
    if (interrupted) return 130;
    return completed === total && total > 0 ? 0 : 1;
  } finally {
    client.close();
  }
};

