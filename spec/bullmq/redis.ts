// The BullMQ tests' Redis: one real `redis-server` per spec file (started in beforeAll, stopped in
// afterAll), and a fresh queue name per test so that tests never see each other's jobs. On a machine
// without redis-server the tests skip with one line naming the install; under CI=true they never skip.
import { spawnSync } from 'child_process';
import { startRedis, REDIS_INSTALL, type RedisServer } from '../../demos/lib/redis';

let counter = 0;
/** A queue name no other test of this process uses. */
export const freshQueueName = (what: string): string => `${what}-${process.pid}-${++counter}`;

const redisInstalled = (): boolean => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const isCi = (): boolean => process.env['CI'] === 'true' || process.env['CI'] === '1';

/** `describe` for tests that need Redis: `redis()` is the running server inside the body's tests. */
export const describeWithRedis = (title: string, body: (redis: () => RedisServer) => void): void => {
  const available = redisInstalled();
  if (!available && !isCi()) {
    const line = `skipped: tests that need redis-server; to run them: ${REDIS_INSTALL}`;
    process.stderr.write(`${line}\n`);
    describe.skip(`${title} [${line}]`, () => body(() => undefined as never));
    return;
  }
  describe(title, () => {
    let server: RedisServer | undefined;
    beforeAll(async () => {
      if (!available) throw new Error(`CI=true: redis-server is required and missing. ${REDIS_INSTALL}`);
      server = await startRedis();
    });
    afterAll(() => server?.stop());
    body(() => {
      if (server === undefined) throw new Error('Redis did not start (see beforeAll)');
      return server;
    });
  });
};
