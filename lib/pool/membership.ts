// A server's place in the rotation over time. The pool watches each client's connection and queue
// counts; a failed connection makes the server `suspect` until one REST read decides; a server that
// does not answer is `down`, its batches are lost, and it is probed with backoff until it answers and
// rejoins (the batches the pool abandoned there are then canceled, so that a server that kept its
// queue does not run them a second time). A client closed under the pool retires its server for
// good. The model list a workflow's check needs is read here too, and again after a reconnect.
import { Subscription, defer, from, type SchedulerLike } from 'rxjs';
import type { BackoffPolicy } from '../internal/backoff';
import { describeError } from '../run/errors';
import type { Logger } from '../transport/http';
import { probeUntilUp } from './health';
import { toModelRecord } from './members';
import type { Member } from './state';
import { models } from '../client/models';
import { queue } from '../client/queue';

/** What membership changes reach in the rest of the pool. */
export interface MembershipHooks {
  readonly isClosed: () => boolean;
  /** The server is gone or down: its batches in flight are lost. */
  readonly loseBatchesOf: (member: Member) => void;
  /** Something changed that may let a waiting run start (or end one that no server can take). */
  readonly pump: () => void;
  /** Something `status$` shows changed. */
  readonly publish: () => void;
  readonly logger: Logger | undefined;
  readonly scheduler: SchedulerLike;
  readonly random: () => number;
  readonly probePolicy: BackoffPolicy;
}

/** How the pool acts on its servers' health. */
export interface Membership {
  /** Reads the server's model list, unless a read is under way. */
  readonly loadModels: (member: Member) => void;
  /** One REST read decides whether a server whose connection failed is still there. */
  readonly check: (member: Member) => void;
  /** Follows the server's connection and queue counts until `unwatchAll`. */
  readonly watch: (member: Member) => void;
  /** Stops every watch and probe. */
  readonly unwatchAll: (members: ReadonlyArray<Member>) => void;
}

/** The pool's handling of server health, acting through `hooks`. */
export const createMembership = (hooks: MembershipHooks): Membership => {
  const { logger } = hooks;
  const watchers = new Subscription();

  const loadModels = (member: Member): void => {
    if (member.models.loading || hooks.isClosed()) return;
    member.models.loading = true;
    models(member.config.client).list().then(
      (models) => {
        member.models.loading = false;
        if (hooks.isClosed()) return;
        member.models.list = models.map(toModelRecord);
        member.models.version += 1;
        member.models.failed = false;
        hooks.pump();
      },
      (error: unknown) => {
        member.models.loading = false;
        if (hooks.isClosed()) return;
        member.models.failed = true;
        logger?.warn?.(`pool: reading the models of ${member.config.ref.url} failed (${describeError(error)})`);
        check(member);
        hooks.pump();
      },
    );
  };

  const check = (member: Member): void => {
    const health = member.health;
    if (hooks.isClosed() || health.checking || health.state === 'down' || health.retired) return;
    health.checking = true;
    health.state = 'suspect';
    hooks.publish();
    queue(member.config.client).status().then(
      (s) => {
        health.checking = false;
        if (hooks.isClosed() || health.state === 'down' || health.retired) return;
        member.load.queue = s.queue;
        health.state = 'up';
        cancelAbandoned(member);
        hooks.pump();
      },
      () => {
        health.checking = false;
        if (hooks.isClosed()) return;
        declareDown(member);
      },
    );
  };

  const declareDown = (member: Member): void => {
    const health = member.health;
    if (health.state === 'down' || health.retired) return;
    health.state = 'down';
    // Its last counts no longer say anything; the re-read on reconnect brings fresh ones.
    member.load.queue = null;
    logger?.warn?.(`pool: ${member.config.ref.url} is out of rotation (socket down, REST failing); probing it`);
    hooks.loseBatchesOf(member);
    health.probe?.unsubscribe();
    health.probe = probeUntilUp(() => defer(() => from(queue(member.config.client).status())), hooks.probePolicy, hooks.scheduler, hooks.random).subscribe(() =>
      rejoin(member),
    );
    hooks.pump();
  };

  /**
   * The batches the pool gave up on at a server that answers again: cancel them there, in case the
   * server kept its queue (or the enqueue landed after all), so that their items never run twice.
   */
  const cancelAbandoned = (member: Member): void => {
    const abandoned = member.health.abandoned;
    if (abandoned.size === 0) return;
    const batchIds = [...abandoned];
    abandoned.clear();
    queue(member.config.client).cancelBatches(batchIds).catch((error: unknown) => {
      logger?.warn?.(`pool: canceling abandoned batches on ${member.config.ref.url} failed (${describeError(error)}); they may run there: ${batchIds.join(', ')}`);
    });
  };

  /** The client's socket stopped for good (closed by its owner, or refused): out of rotation, no probes. */
  const retire = (member: Member): void => {
    const health = member.health;
    if (health.retired) return;
    health.retired = true;
    health.state = 'down';
    health.probe?.unsubscribe();
    health.probe = undefined;
    logger?.warn?.(`pool: the client of ${member.config.ref.url} was closed or refused; it leaves the pool`);
    hooks.loseBatchesOf(member);
    hooks.pump();
  };

  const rejoin = (member: Member): void => {
    const health = member.health;
    if (hooks.isClosed() || health.state === 'up' || health.retired) return;
    health.probe?.unsubscribe();
    health.probe = undefined;
    health.state = 'up';
    member.models.failed = false;
    // Its models may have changed while it was away.
    if (member.models.list !== undefined) loadModels(member);
    cancelAbandoned(member);
    logger?.debug?.(`pool: ${member.config.ref.url} is back in rotation`);
    hooks.pump();
  };

  const watch = (member: Member): void => {
    const { client } = member.config;
    watchers.add(
      client.connection$.subscribe((connection) => {
        if (hooks.isClosed()) return;
        const health = member.health;
        health.connection = connection.type;
        if (connection.type === 'connected') {
          const reconnect = health.everConnected;
          health.everConnected = true;
          if (health.state !== 'up') rejoin(member);
          else if (reconnect && member.models.list !== undefined) loadModels(member);
        } else if (connection.type === 'reconnecting') {
          check(member);
        } else if (connection.type === 'disconnected') {
          retire(member);
        }
        hooks.publish();
      }),
    );
    watchers.add(
      queue(client).status$.subscribe({
        next: (queue) => {
          member.load.queue = queue;
          hooks.publish();
        },
        error: (error: unknown) => logger?.warn?.(`pool: the queue counts of ${member.config.ref.url} stopped (${describeError(error)})`),
      }),
    );
  };

  const unwatchAll = (members: ReadonlyArray<Member>): void => {
    watchers.unsubscribe();
    for (const member of members) member.health.probe?.unsubscribe();
  };

  return { loadModels, check, watch, unwatchAll };
};
