// The workflows the run-based figures use, built as the GUI's editor saves them.
import { Workflow } from '../../lib/workflow/workflow';
import { invocation, makeWorkflowJson } from '../workflow/builders';

/** One `integer` node: the cheapest item the simulator can run (no output, no image). */
export const singleNodeWorkflow = (): Workflow =>
  Workflow.fromObject(makeWorkflowJson([invocation('int', 'integer', { value: 1 })], [], [['int', 'value']]));

/** One `blank_image` node saved to the gallery: a heavy node (progress steps) with an image output. */
export const imageWorkflow = (): Workflow =>
  Workflow.fromObject(
    makeWorkflowJson([invocation('img', 'blank_image', { width: 64, height: 64 }, { isIntermediate: false, label: 'Picture' })], [], [['img', 'width']]),
  );
