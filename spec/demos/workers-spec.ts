import { runDemo } from './run-demo';
import { describeWithPeer, peers } from '../peers/requirements';

describeWithPeer(peers().redis, 'demo:workers', () => {
  it('makes each of the 50 prompts exactly once though a worker is killed with its jobs in hand: the jobs it held are taken over and follow their batches', async () => {
    const r = await runDemo('workers.ts', {}, undefined, 110_000);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('killed worker-1 (SIGKILL) with its jobs in hand; starting it again');
    expect(r.stdout).toContain('50/50 jobs completed, each exactly once; 0 failed');
    // One batch per prompt on the servers: the jobs taken over enqueued nothing again.
    expect(r.stdout).toMatch(/^batches enqueued on the servers: 50 \(gpu-a \d+, gpu-b \d+\)$/m);
    // Each job printed once, with its image and server.
    const lines = [...r.stdout.matchAll(/^(prompt-\d+) "[^"]+": [0-9a-f-]+\.png on gpu-[ab]( \(followed the batch its killed worker had enqueued\))?$/gm)].map((m) => m[1]);
    expect(new Set(lines).size).toBe(50);
    expect(lines).toHaveLength(50);
    const [, taken, followed] = /^(\d+) job\(s\) taken over from the killed worker, (\d+) of them following their batch$/m.exec(r.stdout) ?? [];
    expect(Number(taken)).toBeGreaterThan(0);
    expect(Number(followed)).toBeGreaterThan(0);
  }, 120_000);
});
