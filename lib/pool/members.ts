// The servers of the pool: made from what `createPool` was given, and read as the snapshots the
// pure modules decide on (eligibility, dispatch load, status) and as the signature of everything
// eligibility depends on.
import { createClient, type InvokeAIClient } from '../client/client';
import { redactText } from '../transport/redact';
import type { ModelRecord } from '../workflow/sync-models';
import { openItemsOf } from './attempt';
import type { ServerLoad } from './dispatch';
import type { ServerStanding } from './eligibility';
import type { PoolOptions, PoolServer, PoolServerOptions } from './options';
import type { Member } from './state';
import type { PoolServerStatus } from './status';

const DEFAULT_MAX_IN_FLIGHT = 4;

const isClient = (server: PoolServer): server is InvokeAIClient =>
  typeof server === 'object' && 'run' in server && 'context' in server && typeof server.run === 'function';

/** The pool's servers, in the order given: their configuration, and their state as it starts (up, idle, nothing learned). */
export const createMembers = (servers: ReadonlyArray<PoolServer>, options: PoolOptions): Member[] => {
  const defaultMax = Math.max(1, options.maxInFlightPerServer ?? DEFAULT_MAX_IN_FLIGHT);
  return servers.map((server, index) => {
    const spec: PoolServerOptions = typeof server === 'string' ? { url: server } : isClient(server) ? { client: server } : server;
    const owned = spec.client === undefined;
    if (spec.client === undefined && spec.url === undefined) throw new TypeError(`Pool server ${index} has neither a url nor a client; give one.`);
    const client = spec.client ?? createClient({ ...(options.clientOptions ?? {}), baseUrl: spec.url as string });
    return {
      config: {
        // The ref shows in events, logs and errors: without a password the URL may carry.
        ref: { index, url: redactText(client.context.baseUrl) },
        client,
        owned: owned || options.closeClients === true,
        accepts: spec.accepts ?? (() => true),
        weight: spec.weight !== undefined && spec.weight > 0 ? spec.weight : undefined,
        maxInFlight: Math.max(1, spec.maxInFlight ?? defaultMax),
      },
      load: { attempts: new Set(), queue: null, lastDispatch: 0, dispatched: 0 },
      health: { state: 'up', connection: 'idle', everConnected: false, checking: false, probe: undefined, retired: false, abandoned: new Set() },
      models: { list: undefined, version: 0, loading: false, failed: false },
      speed: new Map(),
    };
  });
};

/** The fields of a model config that syncing reads. */
export const toModelRecord = (m: { key: string; name: string; base: string; type: string; hash?: string; format?: string }): ModelRecord => ({
  key: m.key,
  name: m.name,
  base: m.base,
  type: m.type,
  ...(m.hash !== undefined ? { hash: m.hash } : {}),
  ...(m.format !== undefined ? { format: m.format } : {}),
});

/** Items of the pool's batches there that have not ended. */
export const inFlightItems = (member: Member): number => [...member.load.attempts].reduce((sum, a) => sum + openItemsOf(a), 0);

/** In rotation, with a free slot: it could start a batch now. */
export const canStartNow = (member: Member): boolean => member.health.state === 'up' && !member.health.retired && hasFreeSlot(member);

/** Fewer batches in flight there than it may take. */
export const hasFreeSlot = (member: Member): boolean => member.load.attempts.size < member.config.maxInFlight;

/** What eligibility reads of the member. */
export const standingOf = (member: Member): ServerStanding => ({
  ref: member.config.ref,
  accepts: member.config.accepts,
  retired: member.health.retired,
  health: member.health.state,
  models: member.models.list !== undefined ? 'read' : member.models.failed ? 'failed' : 'unread',
});

/**
 * What the "can this run go anywhere at all?" verdicts depend on, as one string: a waiting run
 * checked under the same signature need not be checked again while no server has a free slot.
 */
export const eligibilitySignature = (members: ReadonlyArray<Member>): string =>
  members
    .map((m) => `${m.health.retired ? 'r' : ''}${m.health.state}:${m.models.version}:${m.models.failed ? 'f' : ''}${m.models.list === undefined ? 'u' : ''}`)
    .join('|');

/** What the dispatch functions see of a member, with its relative speed for the run's workflow (not `dispatch.ts`'s `loadOf`, which scores one). */
export const serverLoadOf = (member: Member, weight: number): ServerLoad => ({
  index: member.config.ref.index,
  url: member.config.ref.url,
  queued: member.load.queue === null ? null : member.load.queue.pending + member.load.queue.in_progress,
  inFlight: member.load.attempts.size,
  inFlightItems: inFlightItems(member),
  maxInFlight: member.config.maxInFlight,
  weight,
  lastDispatch: member.load.lastDispatch,
});

/** The member in `pool.status$`. */
export const memberStatus = (member: Member): PoolServerStatus => ({
  ...member.config.ref,
  connection: member.health.connection,
  health: member.health.state,
  queue: member.load.queue,
  inFlight: member.load.attempts.size,
  inFlightItems: inFlightItems(member),
  dispatched: member.load.dispatched,
  msPerItem: Object.fromEntries([...member.speed].flatMap(([key, learned]) => (learned.msPerItem === undefined ? [] : [[key, learned.msPerItem]]))),
});
