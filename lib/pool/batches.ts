// A batch on a server: it is the client's own run there, whose events are passed on with the server
// (and what it retries) added, and whose items' durations teach the pool the server's speed. A batch
// whose server is lost before it was enqueued goes back to wait, first in line; once enqueued it is
// never enqueued again as it is: its open items end `failed` with `server_lost`, or
// (`requeueOnServerLoss`) just those items wait again as a new batch whose events carry `retryOf`.
import type { SchedulerLike } from 'rxjs';
import { freshBatchId } from '../run/keys';
import { ConnectionLostError } from '../run/errors';
import { isTerminalRunEvent, type RunEvent } from '../run/events';
import type { Workflow } from '../workflow/workflow';
import { expansionOf, itemResultOf, newAttempt, originOf, recordItem, runOptionsOf } from './attempt';
import { SERVER_LOST, type PoolRunEvent } from './events';
import { learnItem, workflowKeyOf } from './speed';
import type { Attempt, Member, RunHandle } from './state';
import { itemsAsRun } from './sweep';
import type { WaitingRoom } from './waiting';

/** Times a batch not yet enqueued is moved to another server after a connection loss before its run errors. */
const MAX_MOVES = 5;

/** What batches act through. */
export interface BatchHooks {
  readonly room: WaitingRoom;
  readonly scheduler: SchedulerLike;
  readonly requeueOnServerLoss: boolean;
  readonly isClosed: () => boolean;
  readonly pump: () => void;
  /** Completes a run whose batches have all ended. */
  readonly settleRun: (handle: RunHandle) => void;
  /** Ends a run with an error. */
  readonly endRun: (handle: RunHandle, error: unknown) => void;
  /** A batch lost its connection: is its server still there? */
  readonly checkServer: (member: Member) => void;
}

/** How the pool runs its batches on servers. */
export interface Batches {
  /** Runs the batch on the member (already counted there by the dispatcher). */
  readonly start: (attempt: Attempt, member: Member, workflow: Workflow) => void;
  /** No more events of the batch count; it leaves its server, its run and the waiting room. */
  readonly detach: (attempt: Attempt) => void;
  /** Its server is gone: send it elsewhere if it was not enqueued; else end or requeue its open items. */
  readonly lose: (attempt: Attempt) => void;
}

/** The batches of a pool. */
export const createBatches = (hooks: BatchHooks): Batches => {
  /** Learns from an item's status and end: the time from `in_progress` to `completed`, per workflow. */
  const learnFrom = (attempt: Attempt, member: Member, event: RunEvent): void => {
    if (event.type === 'status' && event.status === 'in_progress') {
      attempt.itemStarts.set(event.itemId, hooks.scheduler.now());
    } else if (isTerminalRunEvent(event)) {
      const startedAt = attempt.itemStarts.get(event.itemId);
      attempt.itemStarts.delete(event.itemId);
      // A failed or canceled item says nothing about the server's speed.
      if (startedAt === undefined || event.type !== 'completed') return;
      const key = workflowKeyOf(attempt.handle.workflow);
      member.speed.set(key, learnItem(member.speed.get(key), hooks.scheduler.now() - startedAt));
    }
  };

  const start = (attempt: Attempt, member: Member, workflow: Workflow): void => {
    attempt.member = member;
    member.load.attempts.add(attempt);
    const sub = member.config.client.run(workflow, runOptionsOf(attempt)).subscribe({
      next: (event) => onEvent(attempt, event),
      error: (error: unknown) => onAttemptError(attempt, error),
      complete: () => onAttemptEnd(attempt),
    });
    if (attempt.done) sub.unsubscribe();
    else attempt.sub = sub;
  };

  const onEvent = (attempt: Attempt, event: RunEvent): void => {
    if (attempt.member !== undefined) learnFrom(attempt, attempt.member, event);
    if (attempt.done || attempt.handle.ended) return;
    const origin = originOf(attempt);
    if (event.type === 'enqueued') {
      attempt.enqueued = event;
      event.itemIds.forEach((id, k) => attempt.open.set(id, attempt.positions === null ? k : attempt.positions[k] ?? -1));
      attempt.handle.batches.push({ batchId: event.batchId, server: origin.server });
    } else {
      const result = itemResultOf(attempt, event);
      if (result !== undefined) recordItem(attempt, result);
    }
    attempt.handle.emit({ ...event, ...origin } as PoolRunEvent);
  };

  const detach = (attempt: Attempt): void => {
    attempt.done = true;
    attempt.member?.load.attempts.delete(attempt);
    attempt.handle.attempts.delete(attempt);
    hooks.room.leave(attempt);
  };

  const onAttemptEnd = (attempt: Attempt): void => {
    if (attempt.done) return;
    detach(attempt);
    hooks.settleRun(attempt.handle);
    hooks.pump();
  };

  const onAttemptError = (attempt: Attempt, error: unknown): void => {
    if (attempt.done) return;
    const member = attempt.member;
    // A batch that keeps losing its server before it is even enqueued (a client closed under the
    // pool, a server that answers REST but never runs anything) ends with the error, not a loop.
    const movable = attempt.enqueued !== null || attempt.moves < MAX_MOVES;
    if (error instanceof ConnectionLostError && member !== undefined && !hooks.isClosed() && movable) {
      // The run could not reach its server: that is the server's loss, not the run's.
      lose(attempt);
      hooks.checkServer(member);
      return;
    }
    detach(attempt);
    hooks.endRun(attempt.handle, error);
  };

  /** Its server is gone: send it elsewhere if it was not enqueued; else end or requeue its open items. */
  const lose = (attempt: Attempt): void => {
    if (attempt.done) return;
    const member = attempt.member as Member;
    const handle = attempt.handle;
    const sub = attempt.sub;
    detach(attempt);
    // The server cannot be asked to cancel now; `membership` cancels the batch if the server comes back with it.
    member.health.abandoned.add(attempt.batchId);
    sub?.unsubscribe();
    if (handle.ended) return;
    const userBatchId = handle.options.batchId !== undefined && attempt.batchId === handle.options.batchId;
    if (attempt.enqueued === null) {
      // Nothing of it was emitted: the same batch again, on another server.
      hooks.room.waitFirst(
        newAttempt(handle, {
          part: attempt.part,
          positions: attempt.positions,
          retryOf: attempt.retryOf,
          splittable: attempt.splittable,
          batchId: userBatchId ? attempt.batchId : freshBatchId(),
          moves: attempt.moves + 1,
        }),
      );
    } else {
      const lost = [...attempt.open.keys()];
      const positions = [...attempt.open.values()];
      const origin = originOf(attempt);
      const message = `The server ${member.config.ref.url} was lost (its socket and REST calls failed) after batch ${attempt.batchId} was enqueued there. ${hooks.requeueOnServerLoss ? 'The pool resubmits the item elsewhere when it can (events with retryOf); ' : 'Run it again, or set requeueOnServerLoss to have the pool resubmit it; '}if the server comes back with its queue, the pool cancels the batch there.`;
      for (const itemId of lost) {
        if (handle.ended) return;
        const error = { type: SERVER_LOST, message, traceback: '' };
        recordItem(attempt, { itemId, status: 'failed', outputs: [], error, fieldValues: [], queueItem: null, batchId: attempt.batchId, ...origin });
        handle.emit({ type: 'failed', itemId, error, ...origin });
      }
      const expansion = expansionOf(handle);
      if (hooks.requeueOnServerLoss && lost.length > 0 && expansion !== null && !handle.ended) {
        hooks.room.waitFirst(
          newAttempt(handle, {
            part: itemsAsRun(positions.map((p) => expansion[p])),
            positions,
            retryOf: { batchId: attempt.batchId, server: member.config.ref, itemIds: lost, attempt: (attempt.retryOf?.attempt ?? 0) + 1 },
            splittable: false,
            batchId: freshBatchId(),
          }),
        );
      }
    }
    hooks.settleRun(handle);
  };

  return { start, detach, lose };
};
