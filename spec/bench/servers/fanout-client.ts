// The client side of the frame-cost figure, in a process of its own so that its CPU time is the
// client's alone: `argv[2]` the fanout server's URL, `argv[3]` the numbers of runs in flight (e.g.
// `0,100,1000`), `argv[4]` frames per blast, `argv[5]` blasts per count. For each count it starts
// that many runs (their items stay pending), then asks the server to blast frames of another batch
// and measures the process CPU time until every frame arrived. Sends `{ perFrameUs: { [runs]: number[] } }`.
import { Subscription, firstValueFrom } from 'rxjs';
import { createClient } from '../../../lib/client/client';
import { singleNodeWorkflow } from '../workflows';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const main = async (): Promise<void> => {
  const [url, countsText, framesText, blastsText] = process.argv.slice(2);
  const counts = countsText.split(',').map(Number);
  const frames = Number(framesText);
  const blasts = Number(blastsText);
  const client = createClient({ baseUrl: url });
  const wf = singleNodeWorkflow();
  let received = 0;
  let waiting: (() => void) | undefined;
  let target = 0;
  // Holds the socket open whatever the runs do, and counts the blast's frames.
  const counter = client.events$.subscribe((event) => {
    if (event.type === 'invocation_progress' && ++received === target) waiting?.();
  });
  const perFrameUs: Record<string, number[]> = {};
  const blast = async (): Promise<number> => {
    received = 0;
    target = frames;
    const arrived = new Promise<void>((resolve) => (waiting = resolve));
    const cpu = process.cpuUsage();
    const sent = fetch(`${url}/bench/blast?count=${frames}`, { method: 'POST' }).then((r) => r.text());
    await arrived;
    const used = process.cpuUsage(cpu);
    await sent;
    return (used.user + used.system) / frames;
  };
  // Unrecorded blasts first: the decoder and the dispatcher are compiled before any count is measured.
  while ((await firstValueFrom(client.connection$)).type !== 'connected') await sleep(20);
  for (let w = 0; w < 2; w++) await blast();
  for (const runs of counts) {
    const subscriptions: Subscription[] = [];
    let enqueued = 0;
    for (let i = 0; i < runs; i++) {
      // No polling while the socket is quiet between blasts: the figure is about routing frames.
      subscriptions.push(client.run(wf, { silenceMs: 600000 }).subscribe((event) => void (event.type === 'enqueued' && enqueued++)));
    }
    while (enqueued < runs) await sleep(20);
    // Let the runs' initial reads finish.
    await sleep(300);
    for (let b = 0; b < blasts; b++) (perFrameUs[String(runs)] ??= []).push(await blast());
    subscriptions.forEach((s) => s.unsubscribe());
    await sleep(200);
  }
  counter.unsubscribe();
  await client.close();
  process.send?.({ perFrameUs });
};

main().catch((error: unknown) => process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }));
