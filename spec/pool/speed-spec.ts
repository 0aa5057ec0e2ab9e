// Speed learning as pure functions: the moving average of a server's time per item, the warm-up,
// and the relative speeds that weigh dispatch.
import { learnItem, learnedWeights, nextMsPerItem, speedWeights } from '../../lib/pool/speed';

describe('learned speed', () => {
  it('weighs servers by the median time per item: twice as fast counts 2, an unmeasured server 1', () => {
    expect(learnedWeights([100, 400, undefined])).toEqual([2.5, 0.625, 1]);
    expect(learnedWeights([200, 200])).toEqual([1, 1]);
  });

  it('needs two measured servers before it weighs anyone, and bounds a weight to 1/20..20', () => {
    expect(learnedWeights([100, undefined, undefined])).toEqual([1, 1, 1]);
    expect(learnedWeights([1, 10_000, 5000])).toEqual([20, 0.5, 1]);
  });

  it("moves a server's time per item 30 % of the way to each new item's time", () => {
    expect(nextMsPerItem(undefined, 100)).toBe(100);
    expect(nextMsPerItem(100, 200)).toBeCloseTo(130);
    // A run of identical items converges on their time.
    const settled = Array.from({ length: 40 }, () => 50).reduce<number | undefined>((ms, sample) => nextMsPerItem(ms, sample), 1000);
    expect(settled).toBeCloseTo(50, 0);
  });
});

describe('learnItem and speedWeights', () => {
  it('counts the first item of a workflow on a server as a warm-up, and measures from the second', () => {
    const warm = learnItem(undefined, 9000);
    expect(warm).toEqual({ samples: 1, msPerItem: undefined });
    const first = learnItem(warm, 100);
    expect(first).toEqual({ samples: 2, msPerItem: 100 });
    expect(learnItem(first, 200).msPerItem).toBeCloseTo(130);
  });

  it('keeps a weight the user gave, and learns the others among themselves', () => {
    const servers = [
      { weight: 3, msPerItem: 50 },
      { weight: undefined, msPerItem: 100 },
      { weight: undefined, msPerItem: 400 },
    ];
    expect(speedWeights(servers, true)).toEqual([3, 2.5, 0.625]);
    expect(speedWeights(servers, false)).toEqual([3, 1, 1]);
    expect(speedWeights([{ weight: undefined, msPerItem: 100 }], true)).toEqual([1]);
  });
});
