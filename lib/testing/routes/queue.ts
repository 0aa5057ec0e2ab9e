// `/api/v1/queue/{queue_id}/...`: enqueueing a batch (validated against the node schemas, one item
// per combination of its data), reading items (owner fields redacted for other users), canceling,
// deleting, retrying, and the processor's pause and resume.
import { randomUUID } from 'crypto';
import { sqliteNow, unixNow } from '../clock';
import { Handler, Reply, RouteContext, RouteError, json, notFound, unprocessable, ORDER_DIRS, type RequestUser, type Router } from '../http';
import { QueueItemRecord, byQueueOrder, countStatuses, excludeNone, freshPending, isTerminal, itemToJson, redactItem } from '../queue';
import type { Sim } from '../sim';
import { GraphNode, enumIssue, expandBatch, fieldRequired, isRecord, validateEnqueueBody } from '../validate';

/** A queue item as REST serves it: fields that are `None` left out (`exclude_none`). */
export const served = (j: Record<string, unknown>): Record<string, unknown> => excludeNone(j) as Record<string, unknown>;

/** The queue routes. */
export const queueRoutes = ({ route }: Router, sim: Sim): void => {
  const { queue, hub, processor, faultState, index, timers, maxQueueSize, multi, canSee } = sim;
  const { queueStatus, batchStatus, ownerRooms, emitStatus, emitBulk } = sim.events;
  const itemJson = (item: QueueItemRecord, user: RequestUser): Record<string, unknown> => {
    const j = itemToJson(item);
    return canSee(user, item.user_id) ? j : redactItem(j);
  };
  const served = (j: Record<string, unknown>): Record<string, unknown> => excludeNone(j) as Record<string, unknown>;
  const itemOr404 = (queueId: string, id: string): QueueItemRecord => {
    const item = queue.get(Number(id));
    if (!item || item.queue_id !== queueId) return notFound(`Queue item with id ${id} not found in queue ${queueId}`);
    return item;
  };
  /** As InvokeAI's GET of one item: its generic `except` turns the 404 for another queue's item into a 500 that quotes it (`str(HTTPException)`). */
  const itemOrWrapped404 = (queueId: string, id: string): QueueItemRecord => {
    const item = queue.get(Number(id));
    if (item && item.queue_id !== queueId) throw new RouteError(500, `Unexpected error while fetching queue item: 404: Queue item with id ${id} not found in queue ${queueId}`);
    return itemOr404(queueId, id);
  };
  const ownItem = (ctx: RouteContext, item: QueueItemRecord): void => {
    if (!canSee(ctx.user, item.user_id)) throw new RouteError(403, 'You do not have permission to modify this queue item');
  };
  const cancelItem = (item: QueueItemRecord): boolean => {
    if (isTerminal(item.status)) return false;
    queue.setStatus(item, 'canceled');
    emitStatus(item);
    return true;
  };
  /** Cancels the unfinished items among `candidates` (in queue order) that the caller may change. */
  const bulkCancel = (ctx: RouteContext, queueId: string, candidates: ReadonlyArray<QueueItemRecord>): Reply => {
    const targets = candidates.filter((i) => !isTerminal(i.status) && canSee(ctx.user, i.user_id));
    for (const i of targets) {
      // the running item is canceled through the processor path, which emits its status; pending ones are bulk-updated
      if (i.status === 'in_progress') cancelItem(i);
      else queue.setStatus(i, 'canceled');
    }
    if (targets.length) emitBulk('queue_items_canceled', queueId, targets);
    return json(200, { canceled: targets.length });
  };
  const newSession = (graph: QueueItemRecord['session']['graph']): QueueItemRecord['session'] => ({
    id: randomUUID(),
    graph,
    execution_graph: { id: randomUUID(), nodes: {}, edges: [] },
    executed: [],
    executed_history: [],
    results: {},
    errors: {},
    prepared_source_mapping: {},
    // Keyed by the workflow's node ids, which may be `constructor` or `__proto__` (a Python dict takes any key).
    source_prepared_mapping: Object.create(null) as Record<string, string[]>,
  });
  /** Resolves a turn after every item has ended (or is gone: their last events are out by then), or after 10 s on the server's clock. */
  const waitForTerminal = (ids: ReadonlyArray<number>): Promise<void> =>
    new Promise((resolve) => {
      const ended = () => ids.every((id) => { const it = queue.get(id); return !it || isTerminal(it.status); });
      if (ended()) return resolve();
      const stop = queue.watch(() => {
        if (!ended()) return;
        stop();
        timers.after(0, resolve);
      });
      timers.after(10_000, () => {
        stop();
        resolve();
      });
    });

  route('POST', '/api/v1/queue/{queue_id}/enqueue_batch', async (ctx) => {
    const body = await ctx.body();
    const r = validateEnqueueBody(index, body, randomUUID);
    if (!r.ok) return unprocessable(r.issues);
    const queueId = ctx.params.queue_id ?? 'default';
    const combos = expandBatch(r.batch);
    const room = Math.max(0, maxQueueSize - queue.pendingCount());
    const chosen = combos.slice(0, room);
    // the next pending item has the queue's highest pending priority
    const priority = r.prepend ? (queue.next(queueId)?.priority ?? 0) + 1 : 0;
    const now = sqliteNow();
    const ids: number[] = [];
    for (const values of chosen) {
      const nodes: Record<string, GraphNode> = Object.create(null) as Record<string, GraphNode>;
      for (const [id, n] of Object.entries(r.batch.graph.nodes)) nodes[id] = { ...n };
      for (const v of values) {
        const n = nodes[v.node_path];
        if (n) nodes[v.node_path] = { ...n, [v.field_name]: v.value };
      }
      const session = newSession({ ...r.batch.graph, nodes });
      const item: QueueItemRecord = {
        item_id: queue.allocateId(),
        ...freshPending(now),
        priority,
        batch_id: r.batch.batch_id,
        origin: r.batch.origin,
        destination: r.batch.destination,
        session_id: session.id,
        queue_id: queueId,
        user_id: ctx.user.user_id,
        field_values: values,
        retried_from_item_id: null,
        session,
        workflow: r.batch.workflow,
      };
      queue.put(item);
      ids.push(item.item_id);
    }
    const payload = { timestamp: unixNow(), queue_id: queueId, batch_id: r.batch.batch_id, enqueued: ids.length, requested: combos.length, priority, origin: r.batch.origin, user_id: ctx.user.user_id };
    hub.emit({
      name: 'batch_enqueued',
      payload,
      rooms: ownerRooms(ctx.user.user_id),
      sanitized: { room: queueId, payload: { ...payload, user_id: 'redacted', batch_id: 'redacted', origin: null } },
    });
    processor.kick();
    if (faultState.eventsBeforeEnqueueResponse) await waitForTerminal(ids);
    return json(200, { queue_id: queueId, enqueued: ids.length, requested: combos.length, batch: r.batch, priority, item_ids: [...ids].reverse() });
  });
  route('GET', '/api/v1/queue/{queue_id}/status', (ctx) => {
    const qs = queueStatus(ctx.params.queue_id ?? 'default');
    const current = typeof qs.item_id === 'number' ? queue.get(qs.item_id) : undefined;
    const hide = current && !canSee(ctx.user, current.user_id);
    return json(200, {
      queue: { ...qs, ...(hide ? { item_id: null, batch_id: null, session_id: null } : {}), user_pending: null, user_in_progress: null },
      processor: processor.status(),
    });
  });
  route('GET', '/api/v1/queue/{queue_id}/i/{item_id}', (ctx) => json(200, served(itemJson(itemOrWrapped404(ctx.params.queue_id ?? '', ctx.params.item_id ?? ''), ctx.user))));
  route('PUT', '/api/v1/queue/{queue_id}/i/{item_id}/cancel', (ctx) => {
    const item = itemOr404(ctx.params.queue_id ?? '', ctx.params.item_id ?? '');
    ownItem(ctx, item);
    cancelItem(item);
    return json(200, served(itemJson(item, ctx.user)));
  });
  route('DELETE', '/api/v1/queue/{queue_id}/i/{item_id}', (ctx) => {
    const item = itemOr404(ctx.params.queue_id ?? '', ctx.params.item_id ?? '');
    ownItem(ctx, item);
    cancelItem(item);
    queue.delete(item.item_id);
    return json(200, null);
  });
  route('GET', '/api/v1/queue/{queue_id}/b/{batch_id}/status', (ctx) => json(200, batchStatus(ctx.params.queue_id ?? '', ctx.params.batch_id ?? '')));
  route('GET', '/api/v1/queue/{queue_id}/list_all', (ctx) => {
    const dest = ctx.query.get('destination');
    return json(
      200,
      queue
        .list(ctx.params.queue_id)
        .filter((i) => dest === null || i.destination === dest)
        .map((i) => itemJson(i, ctx.user)),
    );
  });
  route('GET', '/api/v1/queue/{queue_id}/item_ids', (ctx) => {
    const dir = ctx.query.get('order_dir') ?? 'DESC';
    if (dir !== 'ASC' && dir !== 'DESC') return unprocessable([enumIssue(['query', 'order_dir'], ORDER_DIRS, dir)]);
    const ids = queue.list(ctx.params.queue_id).map((i) => i.item_id).sort((a, b) => (dir === 'ASC' ? a - b : b - a));
    return json(200, { item_ids: ids, total_count: ids.length });
  });
  // Both by-ids routes take `{item_ids}` and answer the known items of this queue in the order asked.
  const itemsByIds = (shape: (item: QueueItemRecord, ctx: RouteContext) => unknown): Handler => async (ctx) => {
    const body = await ctx.body();
    const ids = isRecord(body) && Array.isArray(body.item_ids) ? body.item_ids : undefined;
    if (!ids) return unprocessable([fieldRequired(['body', 'item_ids'], body)]);
    return json(
      200,
      ids
        .map((id) => queue.get(Number(id)))
        .filter((i): i is QueueItemRecord => i !== undefined && i.queue_id === ctx.params.queue_id)
        .map((i) => shape(i, ctx)),
    );
  };
  route('POST', '/api/v1/queue/{queue_id}/items_by_ids', itemsByIds((i, ctx) => itemJson(i, ctx.user)));
  route(
    'POST',
    '/api/v1/queue/{queue_id}/item_summaries_by_ids',
    itemsByIds((i, ctx) => {
      const j = itemJson(i, ctx.user);
      return {
        item_id: j.item_id,
        created_at: j.created_at,
        status: j.status,
        device: null,
        started_at: j.started_at,
        completed_at: j.completed_at,
        origin: j.origin,
        destination: j.destination,
        batch_id: j.batch_id,
        user_id: j.user_id ?? i.user_id,
        user_display_name: null,
        user_email: null,
        field_values: j.field_values,
        parent_item_id: null,
      };
    }),
  );
  route('GET', '/api/v1/queue/{queue_id}/current', (ctx) => {
    const cur = queue.current(ctx.params.queue_id);
    return json(200, cur ? itemJson(cur, ctx.user) : null);
  });
  route('GET', '/api/v1/queue/{queue_id}/next', (ctx) => {
    const next = queue.next(ctx.params.queue_id);
    return json(200, next ? itemJson(next, ctx.user) : null);
  });
  route('PUT', '/api/v1/queue/{queue_id}/clear', (ctx) => {
    const queueId = ctx.params.queue_id ?? 'default';
    const targets = queue.list(queueId).filter((i) => canSee(ctx.user, i.user_id));
    targets.filter((i) => i.status === 'in_progress').forEach(cancelItem);
    targets.forEach((i) => queue.delete(i.item_id));
    const scoped = multi && !ctx.user.is_admin;
    const payload = { timestamp: unixNow(), queue_id: queueId, user_id: scoped ? ctx.user.user_id : null };
    if (scoped) hub.emit({ name: 'queue_cleared', payload, rooms: ownerRooms(ctx.user.user_id), sanitized: { room: queueId, payload: { ...payload, user_id: null } } });
    else hub.emit({ name: 'queue_cleared', payload, rooms: [queueId] });
    return json(200, { deleted: targets.length });
  });
  route('PUT', '/api/v1/queue/{queue_id}/prune', (ctx) => {
    const targets = queue.list(ctx.params.queue_id).filter((i) => isTerminal(i.status) && canSee(ctx.user, i.user_id));
    targets.forEach((i) => queue.delete(i.item_id));
    return json(200, { deleted: targets.length });
  });
  route('PUT', '/api/v1/queue/{queue_id}/cancel_by_batch_ids', async (ctx) => {
    const body = await ctx.body();
    const batchIds = isRecord(body) && Array.isArray(body.batch_ids) ? (body.batch_ids as unknown[]) : undefined;
    if (!batchIds) return unprocessable([fieldRequired(['body', 'batch_ids'], body)]);
    const queueId = ctx.params.queue_id ?? '';
    // the batch index answers each batch; merged back into queue order, as a scan of the queue would give
    const distinct = [...new Set(batchIds.filter((b): b is string => typeof b === 'string'))];
    return bulkCancel(ctx, queueId, distinct.flatMap((b) => queue.batchItems(queueId, b)).sort(byQueueOrder));
  });
  route('PUT', '/api/v1/queue/{queue_id}/cancel_by_destination', (ctx) => {
    const dest = ctx.query.get('destination');
    if (dest === null) return unprocessable([fieldRequired(['query', 'destination'], null)]);
    return bulkCancel(ctx, ctx.params.queue_id ?? '', queue.list(ctx.params.queue_id).filter((i) => i.destination === dest));
  });
  route('PUT', '/api/v1/queue/{queue_id}/cancel_all_except_current', (ctx) => bulkCancel(ctx, ctx.params.queue_id ?? '', queue.list(ctx.params.queue_id).filter((i) => i.status !== 'in_progress')));
  route('PUT', '/api/v1/queue/{queue_id}/delete_all_except_current', (ctx) => {
    const targets = queue.list(ctx.params.queue_id).filter((i) => i.status !== 'in_progress' && canSee(ctx.user, i.user_id));
    targets.forEach((i) => queue.delete(i.item_id));
    return json(200, { deleted: targets.length });
  });
  // As InvokeAI: an item of another queue is a 404 and another user's a 403 (the whole request);
  // unknown ids and items that are neither failed nor canceled are skipped. The answer and the
  // event name the items retried, not the new ones; a new item's `retried_from_item_id` is the
  // first item of its retry chain.
  route('PUT', '/api/v1/queue/{queue_id}/retry_items_by_id', async (ctx) => {
    const body = await ctx.body();
    if (!Array.isArray(body)) return unprocessable([{ type: 'list_type', loc: ['body'], msg: 'Input should be a valid list', input: body }]);
    const queueId = ctx.params.queue_id ?? 'default';
    const sources: QueueItemRecord[] = [];
    for (const id of body) {
      const old = queue.get(Number(id));
      if (!old) continue;
      if (old.queue_id !== queueId) return notFound(`Queue item with id ${id} not found in queue ${queueId}`);
      if (!canSee(ctx.user, old.user_id)) throw new RouteError(403, `You do not have permission to retry queue item ${id}`);
      if ((old.status === 'failed' || old.status === 'canceled') && !sources.includes(old)) sources.push(old);
    }
    for (const old of sources) {
      const session = newSession(old.session.graph);
      queue.put({
        ...old,
        item_id: queue.allocateId(),
        ...freshPending(sqliteNow()),
        session,
        session_id: session.id,
        retried_from_item_id: old.retried_from_item_id ?? old.item_id,
      });
    }
    emitBulk('queue_items_retried', queueId, sources);
    processor.kick();
    return json(200, { queue_id: queueId, retried_item_ids: sources.map((i) => i.item_id) });
  });
  route('GET', '/api/v1/queue/{queue_id}/counts_by_destination', (ctx) => {
    const dest = ctx.query.get('destination');
    if (dest === null) return unprocessable([fieldRequired(['query', 'destination'], null)]);
    return json(200, { queue_id: ctx.params.queue_id, destination: dest, ...countStatuses(queue.list(ctx.params.queue_id).filter((i) => i.destination === dest)) });
  });
  route('DELETE', '/api/v1/queue/{queue_id}/d/{destination}', (ctx) => {
    const targets = queue.list(ctx.params.queue_id).filter((i) => i.destination === ctx.params.destination && canSee(ctx.user, i.user_id));
    targets.forEach((i) => {
      cancelItem(i);
      queue.delete(i.item_id);
    });
    return json(200, { deleted: targets.length });
  });
  const adminOnly = (ctx: RouteContext): void => {
    if (!ctx.user.is_admin) throw new RouteError(403, 'Admin privileges required');
  };
  route('PUT', '/api/v1/queue/{queue_id}/processor/pause', (ctx) => {
    adminOnly(ctx);
    processor.pause();
    return json(200, processor.status());
  });
  route('PUT', '/api/v1/queue/{queue_id}/processor/resume', (ctx) => {
    adminOnly(ctx);
    processor.resume();
    return json(200, processor.status());
  });

};
