// Progress of a run, from its events: a pure fold, and two renderings (bars for a terminal,
// one plain line per notable event for pipes and logs).
import { isTerminalStatus, type PoolServerRef, type QueueItemStatus, type RunEvent, type RunOutput } from '../index';
import { countOf, printable } from './format';

/** A run event, and the server it came from when the run goes through a pool of several. */
export type CliRunEvent = RunEvent & { readonly server?: PoolServerRef };

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

/** The progress before any event. */
export const initialProgress = (nodesPerItem: number): RunProgress => ({ total: 0, nodesPerItem: Math.max(1, nodesPerItem), items: [] });

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
export const foldProgress = (p: RunProgress, e: CliRunEvent): RunProgress => {
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
