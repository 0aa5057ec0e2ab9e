// Run events for the pure tests of spec/bullmq, written as plain data: the ids of the run's types
// are branded, and these tests are about what the worker makes of the events, not about the ids.
import type { JobRunEvent } from '../../lib/bullmq/result';

/** Plain data as run events (a client's, or a pool's with `server`). */
export const asEvents = (events: readonly object[]): JobRunEvent[] => events as JobRunEvent[];
/** One plain event as a run event. */
export const asEvent = (event: object): JobRunEvent => event as JobRunEvent;
