// The cost of the workflow value: decode + listInputs + 10 setInput + buildBatch on the largest
// default workflow, against `JSON.parse` of the same text (the least any client must do).
import * as fs from 'fs';
import * as path from 'path';
import { Workflow } from '../../../lib/workflow/workflow';
import { listInputs, setInput } from '../../../lib/workflow/inputs';
import { buildBatch } from '../../../lib/workflow/batch';
import { BenchContext, Figure, FigureModule, compareSync } from '../harness';

const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'default-workflows', 'Tiled Upscaling (Beta).json');

// Ten edits a script makes: the exposed scalar inputs and the image, each set twice.
const EDITS: ReadonlyArray<readonly [string, unknown]> = [
  ['Scale Factor', 4],
  ['Creativity', 0.5],
  ['Sharpen Strength', 40],
  ['Structural Control', 0.9],
  ['Image to Upscale', { image_name: 'photo-1.png' }],
  ['Scale Factor', 3],
  ['Creativity', 0.25],
  ['Sharpen Strength', 60],
  ['Structural Control', 0.75],
  ['Image to Upscale', { image_name: 'photo-2.png' }],
];

/** The measured pipeline; returns the batch so the work cannot be optimised away. */
export const editAndBuild = (text: string): unknown => {
  let wf = Workflow.fromJson(text);
  if (listInputs(wf).length === 0) throw new Error('the fixture lost its inputs');
  for (const [ref, value] of EDITS) wf = setInput(ref, value)(wf);
  return buildBatch(wf, { newId: () => 'graph', origin: 'bench' });
};

/** The workflow-edit figure module. */
export const workflowEdit: FigureModule = {
  id: 'workflow',
  measure: async (ctx: BenchContext): Promise<readonly Figure[]> => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    let sink: unknown;
    const r = compareSync(
      () => (sink = editAndBuild(text)),
      () => (sink = JSON.parse(text)),
      ctx.quick ? 3 : 7,
    );
    if (sink === undefined) throw new Error('nothing measured');
    return [
      {
        name: 'decode + listInputs + 10 setInput + buildBatch (Tiled Upscaling, 53 kB)',
        baseline: 'JSON.parse of the same text',
        value: r.ratio,
        unit: 'ratio',
        goal: '< 10x',
        met: r.ratio.median < 10,
        info: { 'ours ms': r.ours.median, 'JSON.parse ms': r.baseline.median, 'text bytes': Buffer.byteLength(text) },
      },
    ];
  },
};
