import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { contextPath, FormCodec, issuesFromErrors, WorkflowCodecV3 } from '../../lib/workflow/codec';
import { smallWorkflow } from './helpers';

const pathsOf = (codec: t.Mixed, value: unknown): string[] => {
  const r = codec.decode(value);
  return E.isLeft(r) ? issuesFromErrors(r.left).map((i) => i.path) : [];
};

describe('codec error paths', () => {
  it('writes array indices in brackets and skips union and intersection branches', () => {
    const w: any = smallWorkflow();
    w.nodes[1].data.inputs.seed = 'x';
    w.edges[0].sourceHandle = '';
    expect(pathsOf(WorkflowCodecV3, w)).toEqual(['$.nodes[1].data.inputs.seed', '$.edges[0].sourceHandle']);
  });

  it('quotes keys that are not identifiers', () => {
    const form: any = smallWorkflow().form;
    form.elements['fa-seed'].data.fieldIdentifier = { nodeId: 1 };
    expect(pathsOf(FormCodec, form)).toEqual(expect.arrayContaining(['$.elements["fa-seed"].data.fieldIdentifier.nodeId']));
  });

  it('says what was expected and what was found', () => {
    const r = t.type({ a: t.number }).decode({ a: 'x' });
    expect(E.isLeft(r) && issuesFromErrors(r.left)).toEqual([{ path: '$.a', message: 'expected number, got "x"' }]);
    expect(E.isLeft(r) && contextPath(r.left[0].context)).toBe('$.a');
  });

  it('keeps unknown keys (decoding does not strip)', () => {
    const w: any = smallWorkflow();
    const r = WorkflowCodecV3.decode(w);
    expect(E.isRight(r) && (r.right as any).custom_top_level).toEqual({ kept: [1, 2] });
  });
});
