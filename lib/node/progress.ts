// Progress of a run in a terminal, from its events: a pure fold, two renderings (bars redrawn in
// place on a terminal, one plain line per notable event for pipes and logs), and `showProgress`,
// the operator that draws them as the events pass (what `npm run demo` and `invokeai-rx run` show).
import { MonoTypeOperatorFunction, Observable } from 'rxjs';
import { isTerminalStatus } from '../protocol/dto';
import type { PoolServerRef } from '../pool/events';
import type { QueueItemStatus } from '../protocol/dto';
import type { RunEvent, RunOutput } from '../run/events';
import { buildGraph } from '../workflow/graph';
import type { Workflow } from '../workflow/workflow';
import { printable } from './printable';

/** A run event, and the server it came from when the run goes through a pool of several. */
export type RunProgressEvent = RunEvent & { readonly server?: PoolServerRef };

const countOf = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** One workflow node within one item. */
export interface NodeProgress {
  readonly nodeId: string;
  readonly nodeType: string;
  /** 0..1; 1 once completed. */
  readonly fraction: number;
  readonly done: boolean;
}

/** One queue item of the run. */
export interface ItemProgress {
  readonly itemId: number;
  /** Its server's position in the pool (item ids are per server), when there are several. */
  readonly server?: number;
  readonly status: QueueItemStatus;
  /** In the order the nodes started. */
  readonly nodes: readonly NodeProgress[];
  readonly images: number;
}

/** Everything the renderings need. */
export interface RunProgress {
  /** Items the server made (0 before `enqueued`). */
  readonly total: number;
  /** Graph nodes per item, to turn node completions into an overall fraction. */
  readonly nodesPerItem: number;
  readonly items: readonly ItemProgress[];
}

/** The progress before any event; `nodesPerItem` is the graph's node count, or the workflow to count them in. */
export const initialProgress = (nodesPerItem: number | Workflow): RunProgress => ({
  total: 0,
  nodesPerItem: Math.max(1, typeof nodesPerItem === 'number' ? nodesPerItem : graphNodeCount(nodesPerItem)),
  items: [],
});

/** The nodes the server runs per item (batch and generator nodes are not among them). */
const graphNodeCount = (wf: Workflow): number => {
  try {
    return Object.keys(buildGraph(wf).nodes).length;
  } catch {
    // A workflow that cannot make a graph fails its run anyway; count its invocation nodes meanwhile.
    return wf.json.nodes.filter((n) => n.type === 'invocation').length;
  }
};

const newItem = (itemId: number, server: number | undefined): ItemProgress => ({ itemId, ...(server !== undefined ? { server } : {}), status: 'pending', nodes: [], images: 0 });

const byServerThenId = (a: ItemProgress, b: ItemProgress): number => (a.server ?? 0) - (b.server ?? 0) || a.itemId - b.itemId;

const updateItem = (p: RunProgress, itemId: number, server: number | undefined, f: (item: ItemProgress) => ItemProgress): RunProgress => {
  const same = (i: ItemProgress): boolean => i.itemId === itemId && i.server === server;
  const found = p.items.find(same);
  const next = f(found ?? newItem(itemId, server));
  return { ...p, items: found ? p.items.map((i) => (same(i) ? next : i)) : [...p.items, next].sort(byServerThenId) };
};

/** Adds a batch's items not yet known, sorting once (a large batch added one by one would re-sort per item). */
const addItems = (p: RunProgress, itemIds: readonly number[], server: number | undefined): readonly ItemProgress[] => {
  const known = new Set(p.items.filter((i) => i.server === server).map((i) => i.itemId));
  const added: ItemProgress[] = [];
  for (const id of itemIds) {
    if (known.has(id)) continue;
    known.add(id);
    added.push(newItem(id, server));
  }
  return added.length === 0 ? p.items : [...p.items, ...added].sort(byServerThenId);
};

/** How many images the outputs of an item hold. */
const imageCount = (outputs: readonly RunOutput[]): number => outputs.reduce((n, o) => n + o.images.length, 0);

const updateNode = (item: ItemProgress, nodeId: string, nodeType: string, f: (n: NodeProgress) => NodeProgress): ItemProgress => {
  const found = item.nodes.find((n) => n.nodeId === nodeId);
  const next = f(found ?? { nodeId, nodeType, fraction: 0, done: false });
  return { ...item, nodes: found ? item.nodes.map((n) => (n.nodeId === nodeId ? next : n)) : [...item.nodes, next] };
};

/** Folds one run event into the progress (several batches, as a pool makes, add up). */
export const foldProgress = (p: RunProgress, e: RunProgressEvent): RunProgress => {
  const server = e.server?.index;
  switch (e.type) {
    case 'enqueued':
      return { ...p, total: p.total + e.enqueued, items: addItems(p, e.itemIds, server) };
    case 'status':
      return updateItem(p, e.itemId, server, (i) => ({ ...i, status: e.status }));
    case 'node_started':
      return updateItem(p, e.itemId, server, (i) => updateNode(i, e.nodeId, e.nodeType, (n) => ({ ...n, done: false })));
    case 'node_progress':
      return updateItem(p, e.itemId, server, (i) => updateNode(i, e.nodeId, '', (n) => ({ ...n, fraction: e.percentage ?? n.fraction })));
    case 'node_completed':
      return updateItem(p, e.itemId, server, (i) => updateNode(i, e.nodeId, e.nodeType, (n) => ({ ...n, nodeType: e.nodeType, fraction: 1, done: true })));
    case 'output':
      return updateItem(p, e.itemId, server, (i) => ({ ...i, images: i.images + e.output.images.length }));
    case 'completed':
      return updateItem(p, e.itemId, server, (i) => ({ ...i, status: 'completed', images: imageCount(e.outputs) }));
    case 'failed':
      return updateItem(p, e.itemId, server, (i) => ({ ...i, status: 'failed' }));
    case 'canceled':
      return updateItem(p, e.itemId, server, (i) => ({ ...i, status: 'canceled' }));
  }
};

/** The run's overall fraction: finished items count whole, running ones by their completed nodes. */
export const overallFraction = (p: RunProgress): number => {
  if (p.total === 0) return 0;
  const sum = p.items.reduce(
    (acc, i) => acc + (isTerminalStatus(i.status) ? 1 : Math.min(1, i.nodes.reduce((n, node) => n + (node.done ? 1 : node.fraction), 0) / p.nodesPerItem)),
    0,
  );
  return Math.min(1, sum / p.total);
};

/** A text bar of `width` cells. */
export const bar = (fraction: number, width: number): string => {
  const cells = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `${'█'.repeat(cells)}${'░'.repeat(width - cells)}`;
};

const pct = (f: number): string => `${Math.round(f * 100)}%`.padStart(4);

/** The bars: one overall line, then each running item's nodes (the last `maxNodes` of them). */
export const renderBars = (p: RunProgress, columns = 80, maxNodes = 8): string[] => {
  const width = Math.max(10, Math.min(40, columns - 40));
  const done = p.items.filter((i) => isTerminalStatus(i.status)).length;
  const overall = overallFraction(p);
  const lines = [`overall ${bar(overall, width)} ${pct(overall)}  ${done}/${p.total} items`];
  for (const item of p.items.filter((i) => i.status === 'in_progress')) {
    lines.push(`item ${item.itemId}${item.server !== undefined ? ` on server ${item.server}` : ''}`);
    for (const n of item.nodes.slice(-maxNodes)) {
      lines.push(`  ${printable(n.nodeType).slice(0, 22).padEnd(22)} ${bar(n.fraction, width)} ${pct(n.fraction)}${n.done ? ' ✓' : ''}`);
    }
  }
  return lines;
};

/** One plain line for the events worth a line in a log (not every progress step); what came from the server or the file is made `printable`. */
export const plainLine = (e: RunEvent): string | undefined => {
  const text = eventText(e);
  return text === undefined ? undefined : printable(text);
};

const eventText = (e: RunEvent): string | undefined => {
  switch (e.type) {
    case 'enqueued':
      return `enqueued batch ${e.batchId}: ${countOf(e.enqueued, 'item')} (${e.itemIds.join(', ')})`;
    case 'status':
      // The terminal statuses get their own, richer line from the terminal event.
      return isTerminalStatus(e.status) ? undefined : `item ${e.itemId}: ${e.status}`;
    case 'node_started':
      return `item ${e.itemId}: ${e.nodeType} (${e.nodeId}) started`;
    case 'node_progress':
      return undefined;
    case 'node_completed':
      return `item ${e.itemId}: ${e.nodeType} (${e.nodeId}) done`;
    case 'output':
      return `item ${e.itemId}: output ${e.output.label}: ${e.output.images.map((i) => i.imageName).join(', ') || 'no images'}`;
    case 'completed':
      return `item ${e.itemId}: completed with ${imageCount(e.outputs)} image(s)`;
    case 'failed':
      return `item ${e.itemId}: failed${e.nodeId ? ` at node ${e.nodeId}` : ''}: ${e.error.type}: ${e.error.message}`;
    case 'canceled':
      return `item ${e.itemId}: canceled${e.reason ? ` (${e.reason})` : ''}`;
  }
};

/** Redraws a block of lines in place on a terminal (cursor up, clear to end). */
export const liveBlock = (write: (text: string) => unknown): { readonly draw: (lines: readonly string[]) => void; readonly done: () => void } => {
  let shown = 0;
  return {
    draw: (lines) => {
      write(`${shown > 0 ? `\x1b[${shown}A` : ''}\x1b[0J${lines.join('\n')}\n`);
      shown = lines.length;
    },
    done: () => {
      shown = 0;
    },
  };
};

/** Where `showProgress` draws: a terminal (`isTTY`, `columns`) or any text sink. */
export interface ProgressOutput {
  readonly write: (text: string) => unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Options of `showProgress`. */
export interface ShowProgressOptions {
  /** Where to draw (default `process.stdout`): bars on a terminal, plain lines otherwise. */
  readonly output?: ProgressOutput;
  /** Least time between two redraws for progress steps, in ms (default 80); other events redraw at once. */
  readonly redrawMs?: number;
  /** The clock of the redraw limit (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * Draws a run's progress as its events pass, unchanged: on a terminal an overall bar and a bar per
 * node of each running item, redrawn in place; elsewhere one line per notable event.
 *
 * @example
 * import { lastValueFrom, toArray } from 'rxjs';
 * import { showProgress } from 'invokeai-rx/node';
 * const result = await lastValueFrom(client.run(wf).pipe(showProgress(wf), toArray()));
 */
export const showProgress =
  <E extends RunProgressEvent>(nodesPerItem: number | Workflow, options: ShowProgressOptions = {}): MonoTypeOperatorFunction<E> =>
  (events) =>
    new Observable<E>((subscriber) => {
      const output = options.output ?? process.stdout;
      const tty = output.isTTY === true;
      const now = options.now ?? Date.now;
      const redrawMs = options.redrawMs ?? 80;
      const block = liveBlock((t) => output.write(t));
      let progress = initialProgress(nodesPerItem);
      let lastDraw = -Infinity;
      let drawn = true;
      const draw = (): void => {
        lastDraw = now();
        drawn = true;
        block.draw(renderBars(progress, output.columns ?? 80));
      };
      return events.subscribe({
        next: (event) => {
          progress = foldProgress(progress, event);
          if (!tty) {
            const line = plainLine(event);
            if (line !== undefined) output.write(`${line}${event.server !== undefined ? ` [${event.server.url}]` : ''}\n`);
          } else if (event.type !== 'node_progress' || now() - lastDraw >= redrawMs) draw();
          else drawn = false;
          subscriber.next(event);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          // The last step may have come within the redraw limit: the final state is always shown.
          if (tty && !drawn) draw();
          subscriber.complete();
        },
      });
    });
