// Where and when waiting runs go: each pass offers the waiting batches, in order, to the servers that
// could start one now; a batch that no server will ever take ends its run with
// `NoEligibleServerError`; the strategy (`dispatch.ts`) picks among the servers that may take it,
// and with `splitSweeps` a sweep is shared out over several of them by free capacity and speed.
import { freshBatchId } from '../run/keys';
import { syncModels, type ModelSync } from '../workflow/sync-models';
import type { Workflow } from '../workflow/workflow';
import { expansionOf, newAttempt } from './attempt';
import { chooseServer, freeCapacity, shareByCapacity, type ServerLoad } from './dispatch';
import { eligibility, type Eligibility } from './eligibility';
import { NoEligibleServerError, type Ineligibility } from './errors';
import type { EngineSettings } from './options';
import { canStartNow, eligibilitySignature, hasFreeSlot, serverLoadOf, standingOf } from './members';
import { speedWeights, workflowKeyOf } from './speed';
import type { Attempt, Member, RunHandle } from './state';
import { itemsAsRun } from './sweep';
import type { WaitingRoom } from './waiting';

/** What the dispatcher acts through. */
export interface DispatcherHooks {
  readonly members: ReadonlyArray<Member>;
  readonly room: WaitingRoom;
  readonly settings: EngineSettings;
  readonly isClosed: () => boolean;
  /** Sends a batch to a server, as the client's run there. */
  readonly start: (attempt: Attempt, member: Member, workflow: Workflow) => void;
  /** Ends a run with an error. */
  readonly endRun: (handle: RunHandle, error: unknown) => void;
  /** Starts reading a server's model list. */
  readonly loadModels: (member: Member) => void;
  readonly publish: () => void;
}

/** Runs one pass over the waiting batches (more if one is asked for during a pass), then publishes the status. */
export type Pump = () => void;

/** The dispatcher of a pool. */
export const createDispatcher = (hooks: DispatcherHooks): Pump => {
  const { members, room, settings } = hooks;
  const isGone = (attempt: Attempt): boolean => attempt.done || attempt.handle.ended;
  let sequence = 0;
  let lastIndex = -1;

  /** The member's load as dispatch sees it for a workflow, weighed by its given or learned speed. */
  const serverLoad = (member: Member, workflowKey: string): ServerLoad => {
    const speeds = members.map((m) => ({ weight: m.config.weight, msPerItem: m.speed.get(workflowKey)?.msPerItem }));
    return serverLoadOf(member, speedWeights(speeds, settings.learnSpeed)[member.config.ref.index] ?? 1);
  };

  /** The run's workflow synced to the member's model list, redone when the list changed. */
  const syncedFor = (handle: RunHandle, member: Member): ModelSync => {
    let cached = handle.synced.get(member.config.ref.index);
    if (cached === undefined || cached.version !== member.models.version) {
      cached = { version: member.models.version, sync: syncModels(handle.workflow, member.models.list ?? [], settings.modelSync || {}) };
      handle.synced.set(member.config.ref.index, cached);
    }
    return cached.sync;
  };

  /** The member's verdict on the run; a server whose model list is needed starts reading it. */
  const verdictOf = (handle: RunHandle, member: Member): Eligibility => {
    const verdict = eligibility(handle, standingOf(member), settings.modelSync, () => syncedFor(handle, member));
    if (verdict.kind === 'later' && verdict.readModels) hooks.loadModels(member);
    return verdict;
  };

  /** The members that could start a run now (up, with a free slot), by pool position. */
  const freeMembers = (): number[] => members.filter(canStartNow).map((m) => m.config.ref.index);

  let lastSignature = '';
  let pumping = false;
  let pumpAgain = false;

  // A pass looks at the waiting runs in order only while some server has a free slot, and at the
  // others only if they are unchecked: a run behind full servers costs nothing per pass, so handing
  // the pool thousands of runs at once stays linear. A pump asked for while one is running (a run
  // that ends synchronously as it starts) becomes one more pass, so runs keep their order.
  const pump = (): void => {
    if (hooks.isClosed()) return;
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = true;
    try {
      do {
        pumpAgain = false;
        dispatchPass();
      } while (pumpAgain && !hooks.isClosed());
    } finally {
      pumping = false;
    }
    hooks.publish();
  };

  type Open = { member: Member; verdict: { kind: 'ok'; workflow: Workflow } };

  const dispatchPass = (): void => {
    const signature = eligibilitySignature(members);
    if (signature !== lastSignature) {
      lastSignature = signature;
      room.uncheckAll();
    }
    let free = freeMembers();
    let anyFree = free.length > 0;
    // A run checked under this signature can only start on a server that could take it then: while
    // none of those has a free slot, looking at it again costs a set lookup, not a check per server
    // (a server that takes none of the waiting runs stays idle without making each pass quadratic).
    const mayStartNow = (attempt: Attempt): boolean => attempt.checkedSignature !== signature || free.some((index) => attempt.okMembers.has(index));
    /** Checks one waiting run; `placeIt` also starts it if a server can take it. Whether it stopped waiting. */
    const consider = (attempt: Attempt, placeIt: boolean): boolean => {
      room.unchecked.delete(attempt);
      const handle = attempt.handle;
      const verdicts = members.map((member) => ({ member, verdict: verdictOf(handle, member) }));
      attempt.checkedSignature = signature;
      attempt.okMembers = new Set(verdicts.filter((v) => v.verdict.kind === 'ok').map((v) => v.member.config.ref.index));
      if (verdicts.every((v) => v.verdict.kind === 'no')) {
        hooks.endRun(handle, new NoEligibleServerError(verdicts.map((v) => (v.verdict as { why: Ineligibility }).why)));
        return true;
      }
      if (!placeIt) return false;
      // A sweep to split waits until every server still reading its model list has answered (one
      // request each, once): otherwise the first server to answer would take the whole sweep.
      if (settings.splitSweeps && attempt.splittable && verdicts.some((v) => v.verdict.kind === 'later' && v.member.models.loading)) return false;
      const open = verdicts.filter((v): v is Open => v.verdict.kind === 'ok' && hasFreeSlot(v.member));
      if (open.length === 0) return false;
      place(attempt, open);
      free = freeMembers();
      anyFree = free.length > 0;
      return true;
    };

    if (room.front.length > 0) {
      const front = room.front;
      room.front = [];
      const kept = front.filter((attempt) => !isGone(attempt) && !hooks.isClosed() && !(((anyFree && mayStartNow(attempt)) || room.unchecked.has(attempt)) && consider(attempt, anyFree)));
      // Batches sent back during this pass (a server lost as they started) went in front of these.
      room.front.push(...kept);
    }
    for (const attempt of room.back) {
      if (!anyFree || hooks.isClosed()) break;
      if (isGone(attempt)) room.back.delete(attempt);
      else if (mayStartNow(attempt) && consider(attempt, true)) room.back.delete(attempt);
    }
    // Runs that no server can take end now, even while every server is busy.
    for (const attempt of room.unchecked) {
      if (hooks.isClosed()) break;
      if (isGone(attempt) || consider(attempt, false)) {
        room.unchecked.delete(attempt);
        room.back.delete(attempt);
        room.front = room.front.filter((a) => a !== attempt);
      }
    }
  };

  /** Starts a waiting run on one of the `free` servers, or splits its sweep over several. */
  const place = (attempt: Attempt, free: ReadonlyArray<Open>): void => {
    const handle = attempt.handle;
    const key = workflowKeyOf(handle.workflow);
    const expansion = settings.splitSweeps && attempt.splittable ? expansionOf(handle) : null;
    if (expansion !== null && expansion.length > 1 && free.length > 1) {
      const shares = shareByCapacity(expansion.length, free.map((v) => freeCapacity(serverLoad(v.member, key))));
      let next = 0;
      const parts: Array<{ member: Member; workflow: Workflow; positions: number[] }> = [];
      free.forEach((v, i) => {
        if (shares[i] === 0) return;
        parts.push({ member: v.member, workflow: v.verdict.workflow, positions: Array.from({ length: shares[i] }, (_, k) => next + k) });
        next += shares[i];
      });
      if (parts.length > 1) {
        handle.attempts.delete(attempt);
        parts.forEach((part, i) => {
          // A batch that failed at once (a workflow the server rejects) has ended the run.
          if (handle.ended) return;
          const child = newAttempt(handle, {
            part: itemsAsRun(part.positions.map((p) => expansion[p])),
            positions: part.positions,
            retryOf: attempt.retryOf,
            splittable: false,
            batchId: i === 0 ? attempt.batchId : freshBatchId(),
          });
          dispatchTo(child, part.member, part.workflow);
        });
        return;
      }
    }
    const request = { candidates: free.map((v) => serverLoad(v.member, key)), workflow: handle.workflow, options: handle.options };
    const chosen = chooseServer(settings.strategy, request, lastIndex);
    const target = free.find((v) => v.member.config.ref.index === chosen.index) ?? free[0];
    dispatchTo(attempt, target.member, target.verdict.workflow);
  };

  /** Sends the batch to the member: it counts there from now on (load, round-robin turn), then starts. */
  const dispatchTo = (attempt: Attempt, member: Member, workflow: Workflow): void => {
    member.load.lastDispatch = ++sequence;
    member.load.dispatched += 1;
    lastIndex = member.config.ref.index;
    hooks.start(attempt, member, workflow);
  };

  return pump;
};
