// The BullMQ tests' Redis: one real `redis-server` per spec file (started in beforeAll, stopped in
// afterAll), and a fresh queue name per test so that tests never see each other's jobs. On a machine
// without redis-server the tests skip with one line naming the install; under CI=true they never skip.
import { startRedis, type RedisServer } from '../../demos/lib/redis';
import { describeWithPeer, findOnPath, peers } from '../peers/requirements';

let counter = 0;
/** A queue name no other test of this process uses. */
export const freshQueueName = (what: string): string => `${what}-${process.pid}-${++counter}`;

/** `describe` for tests that need Redis: `redis()` is the running server inside the body's tests. */
export const describeWithRedis = (title: string, body: (redis: () => RedisServer) => void): void =>
  describeWithPeer(peers().redis, title, () => {
    let server: RedisServer | undefined;
    beforeAll(async () => {
      server = await startRedis(findOnPath('redis-server', process.env['PATH']));
    });
    afterAll(() => server?.stop());
    body(() => {
      if (server === undefined) throw new Error('Redis did not start (see beforeAll)');
      return server;
    });
  });
