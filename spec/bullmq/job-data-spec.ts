import { InputError, Workflow, WorkflowDecodeError, getInput } from '../../lib/index';
import { decodeRunJobData, runJobData } from '../../lib/bullmq/job-data';
import { imageWorkflow } from '../run/run-helpers';

describe('runJobData / decodeRunJobData', () => {
  it('round-trips through JSON: the workflow, its input values and the run options', () => {
    const data = JSON.parse(JSON.stringify(runJobData(imageWorkflow(), { inputs: { 'img.width': 32 }, options: { runs: 2, sweep: { values: { 'img.height': [8, 16] } } } })));
    const run = decodeRunJobData(data);
    expect(getInput(run.workflow, 'img.width').value).toBe(32);
    expect(run.options).toEqual({ runs: 2, sweep: { values: { 'img.height': [8, 16] } } });
    expect(Workflow.toObject(decodeRunJobData(runJobData(imageWorkflow())).workflow)).toEqual(Workflow.toObject(imageWorkflow()));
  });

  it('says what is wrong with data that is not a run', () => {
    expect(() => decodeRunJobData('hello')).toThrow(new TypeError('the job data is not { workflow, inputs?, options? } (expected an object, got string)'));
    expect(() => decodeRunJobData({ prompt: 'x' })).toThrow(new TypeError('the job data is not { workflow, inputs?, options? } (workflow: expected UnknownRecord, got undefined)'));
    expect(() => decodeRunJobData({ workflow: {}, options: { runs: 'two' } })).toThrow('(options.runs: expected number, got string)');
    expect(() => decodeRunJobData({ workflow: { nodes: 'none' } })).toThrow(WorkflowDecodeError);
    expect(() => decodeRunJobData({ workflow: Workflow.toObject(imageWorkflow()), inputs: { nowhere: 1 } })).toThrow(InputError);
  });
});
