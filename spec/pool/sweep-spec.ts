// A sweep expanded into its items in the order the server makes queue items of them, and subsets of
// those items sent again as run options.
import { expandSweep, itemsAsRun } from '../../lib/pool/sweep';
import { buildBatch } from '../../lib/workflow/batch';
import { expandBatch, ValidBatch } from '../../lib/testing/validate';
import { Workflow } from '../../lib/workflow/workflow';
import { invocation, makeWorkflowJson } from '../workflow/builders';

describe('expandSweep', () => {
  const wf = Workflow.fromObject(
    makeWorkflowJson(
      [invocation('a', 'integer', { value: 1 }), invocation('b', 'string', { value: 'x' })],
      [],
      [['a', 'value'], ['b', 'value']],
    ),
  );
  const serverOrder = (sweep: Parameters<typeof expandSweep>[0], runs: number) =>
    expandBatch(buildBatch(wf, { runs, ...(sweep ? { sweep } : {}) }) as unknown as ValidBatch).map((item) =>
      Object.fromEntries(item.map((v) => [`${v.node_path}.${v.field_name}`, v.value])),
    );

  it('lists the items in the order the server expands the batch (runs outermost, first ref outermost)', () => {
    const product = { values: { 'a.value': [1, 2], 'b.value': ['x', 'y', 'z'] } };
    expect(expandSweep(product, 2)).toEqual(serverOrder(product, 2));
    expect(expandSweep(product, 1)[1]).toEqual({ 'a.value': 1, 'b.value': 'y' });
    const zipped = { mode: 'zip' as const, values: { 'a.value': [1, 2, 3], 'b.value': ['x', 'y', 'z'] } };
    expect(expandSweep(zipped, 1)).toEqual(serverOrder(zipped, 1));
    expect(expandSweep(undefined, 3)).toEqual([{}, {}, {}]);
  });

  it('any subset of the items, as run options, enqueues exactly those items in that order', () => {
    const product = { values: { 'a.value': [1, 2, 3], 'b.value': ['x', 'y'] } };
    const items = expandSweep(product, 2);
    const subset = [items[1], items[4], items[10]];
    const part = itemsAsRun(subset);
    expect(part.runs).toBe(1);
    expect(serverOrder(part.sweep, part.runs)).toEqual(subset);
    expect(itemsAsRun([{}, {}])).toEqual({ runs: 2 });
  });
});
