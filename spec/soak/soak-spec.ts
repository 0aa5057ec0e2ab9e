// The soak in `npm test`: 200 runs of the default workflows through `client.run` while the
// simulator injects every fault at random. The full 2,000-run version is `npm run soak`.
import { soak, formatSoakReport, SoakReport } from './soak';
import { FAULT_KINDS } from './faults';

// A fixed seed keeps `npm test` repeatable; `npm run soak` draws a new one each time.
const SEED = 20261126;

describe('soak: 200 runs of default workflows under random faults', () => {
  let report: SoakReport;
  beforeAll(async () => {
    report = await soak({ runs: 200, seed: SEED });
  }, 120000);

  it('keeps every invariant (a failure prints the counts and the seed to replay)', () => {
    if (report.violations.length > 0) throw new Error(formatSoakReport(report));
    expect(report.violations).toEqual([]);
  });

  it('ran every run to an end: each item has exactly one terminal event, agreeing with the server', () => {
    const c = report.counts;
    expect(c.runs).toBe(200);
    expect(c.runsHung).toBe(0);
    expect(c.itemsWithoutTerminal + c.itemsWithSeveralTerminals + c.eventsAfterTerminal + c.eventsOfForeignItems).toBe(0);
    expect(c.terminalDisagreeing).toBe(0);
    // Every item that ended is accounted for by the server (or by a queue clear).
    expect(c.terminalAgreeing).toBe(c.itemsCompleted + c.itemsFailed + c.itemsCanceled);
  });

  it('checked real outputs: completed items name the images the server recorded, and their bytes match', () => {
    expect(report.counts.itemsCompleted).toBeGreaterThan(0);
    // Each completed item was checked, unless a queue clear deleted it before its record was read.
    expect(report.counts.completedOutputsChecked + report.counts.completedGoneFromServer).toBe(report.counts.itemsCompleted);
    expect(report.counts.completedOutputsChecked).toBeGreaterThan(report.counts.itemsCompleted / 2);
    expect(report.counts.outputsMismatched).toBe(0);
    expect(report.counts.imageBytesChecked).toBeGreaterThan(0);
    expect(report.counts.imageBytesMismatched).toBe(0);
  });

  it('exercised the faults it claims to: every kind was injected', () => {
    expect(FAULT_KINDS.filter((k) => report.faults[k] === 0)).toEqual([]);
    expect(report.counts.itemsFailed).toBeGreaterThan(0); // node failures reached runs
  });

  it('left no socket, timer or handle behind', () => {
    expect(report.socketsLeft).toBe(0);
    expect(report.handlesLeft).toEqual({});
  });
});
