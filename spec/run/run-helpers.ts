// Shared helpers of the run pipeline specs: small workflows for the simulator, a collector of a
// run's events, and the checker of the invariants every run must keep whatever the faults.
import { Observable } from 'rxjs';
import type { MockServer } from '../../lib/testing';
import type { RunEvent, RunOutput } from '../../lib/run/events';
import { Workflow } from '../../lib/workflow/workflow';
import { edge, invocation, makeWorkflowJson } from '../workflow/builders';

/** One `blank_image` node saved to the gallery (an output), plus an optional failing upstream. */
export const imageWorkflow = (size = 64): Workflow =>
  Workflow.fromObject(
    makeWorkflowJson(
      [invocation('img', 'blank_image', { width: size, height: size }, { isIntermediate: false, label: 'Picture' })],
      [],
      [['img', 'width']],
    ),
  );

/** An integer node feeding a `blank_image` output: sweep `int.value` to fan out. */
export const sweepWorkflow = (): Workflow =>
  Workflow.fromObject(
    makeWorkflowJson(
      [invocation('int', 'integer', { value: 8 }), invocation('img', 'blank_image', { width: undefined, height: 8 }, { isIntermediate: false })],
      [edge('int', 'value', 'img', 'width')],
      [['int', 'value']],
    ),
  );

/** Just an integer node: no output, the cheapest item the simulator can run. */
export const integerWorkflow = (): Workflow =>
  Workflow.fromObject(makeWorkflowJson([invocation('int', 'integer', { value: 1 })], [], [['int', 'value']]));

/** What a run stream did: its events, and how it ended. */
export interface Collected {
  readonly events: RunEvent[];
  readonly error?: unknown;
  readonly completed: boolean;
}

/** Subscribes and waits for the end (complete or error); `onEvent` sees each event as it arrives. */
export const collect = (run$: Observable<RunEvent>, onEvent?: (event: RunEvent) => void): Promise<Collected> =>
  new Promise((resolve) => {
    const events: RunEvent[] = [];
    run$.subscribe({
      next: (event) => {
        events.push(event);
        onEvent?.(event);
      },
      error: (error: unknown) => resolve({ events, error, completed: false }),
      complete: () => resolve({ events, completed: true }),
    });
  });

/** Polls a condition with short real delays (for server-side effects such as a cancel landing). */
export const eventually = async (cond: () => boolean, what: string, limitMs = 10000): Promise<void> => {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const outputKey = (o: RunOutput): string => `${o.nodeId}:${o.images.map((i) => i.imageName).join(',')}`;

/**
 * The invariants of every run stream (docs/server-contract.md, Runs), as a list of violations (empty when kept):
 * the stream completed; `enqueued` comes first and once; every enqueued item has exactly one
 * terminal event and nothing after it; no event names an item outside the batch; each completed
 * item's early `output` events agree with its authoritative outputs; when `server` is given,
 * each terminal event matches the item's final status on the server.
 */
export const runViolations = (run: Collected, server?: MockServer): string[] => {
  const problems: string[] = [];
  if (!run.completed) problems.push(`the stream did not complete (error: ${String(run.error)})`);
  const enqueued = run.events.filter((e) => e.type === 'enqueued');
  if (enqueued.length !== 1 || run.events[0]?.type !== 'enqueued') problems.push(`expected one leading enqueued event, got ${enqueued.length}`);
  const ids = new Set(enqueued[0]?.type === 'enqueued' ? enqueued[0].itemIds : []);
  const ended = new Map<number, RunEvent>();
  const early = new Map<number, string[]>();
  for (const event of run.events) {
    if (event.type === 'enqueued') continue;
    if (!ids.has(event.itemId)) problems.push(`event ${event.type} of item ${event.itemId}, which is not in the batch`);
    if (ended.has(event.itemId)) problems.push(`event ${event.type} of item ${event.itemId} after its terminal event`);
    if (event.type === 'output') early.set(event.itemId, [...(early.get(event.itemId) ?? []), outputKey(event.output)]);
    if (event.type === 'completed' || event.type === 'failed' || event.type === 'canceled') ended.set(event.itemId, event);
  }
  for (const id of ids) {
    const end = ended.get(id);
    if (end === undefined) {
      problems.push(`item ${id} has no terminal event`);
      continue;
    }
    if (end.type === 'completed') {
      // Events may be dropped, so the early outputs are a subset of the authoritative ones.
      const authoritative = new Set(end.outputs.flatMap((o) => o.images.map((i) => `${o.nodeId}:${i.imageName}`)));
      for (const key of early.get(id) ?? []) {
        const [nodeId, names] = key.split(':');
        for (const name of names.split(',').filter(Boolean)) {
          if (!authoritative.has(`${nodeId}:${name}`)) problems.push(`item ${id}: early output ${key} is not among its outputs`);
        }
      }
    }
    if (server !== undefined) {
      const status = server.queueItem(id)?.status;
      if (status !== undefined && status !== end.type) problems.push(`item ${id} ended as ${end.type} but is ${String(status)} on the server`);
    }
  }
  return problems;
};
