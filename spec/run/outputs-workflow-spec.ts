// The run's output mapping fed with the workflow module's own `listOutputs`, on the real items:
// the two halves of the pipeline agree on which nodes are outputs.
import { outputsOfQueueItem } from '../../lib/run/outputs';
import { listOutputs } from '../../lib/workflow/outputs';
import { Workflow } from '../../lib/workflow/workflow';
import { API_CALL_FIXTURES, loadQueueItem, outputsFromItemWorkflow } from './fixtures';

describe('outputsOfQueueItem with listOutputs of the workflow the item ran', () => {
  it.each(API_CALL_FIXTURES)('%s: the images of the non-intermediate nodes, labelled by the workflow', (name) => {
    const item = loadQueueItem(name);
    const outputs = outputsOfQueueItem(listOutputs(Workflow.fromObject(item.workflow)), item);
    const expected = outputsOfQueueItem(outputsFromItemWorkflow(item), item);
    expect(outputs.map((o) => [o.nodeId, o.images, o.boardId])).toEqual(expected.map((o) => [o.nodeId, o.images, o.boardId]));
    expect(outputs.length).toBeGreaterThan(0);
    expect(outputs.every((o) => o.label.length > 0 && o.images.length > 0)).toBe(true);
  });

  it("a node whose workflow board is 'auto' reports the board it actually saved to (none here)", () => {
    const item = loadQueueItem('call-wf-sdxl-text-to-image.json');
    const [output] = outputsOfQueueItem(listOutputs(Workflow.fromObject(item.workflow)), item);
    expect(output.label).toBe('Latents to Image - SD1.5, SDXL');
    expect(output.boardId).toBeNull();
  });
});
