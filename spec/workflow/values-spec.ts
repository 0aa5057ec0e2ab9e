import * as E from 'fp-ts/Either';
import type { FieldTemplate, WorkflowInput } from '../../lib/workflow/types';
import { checkValue } from '../../lib/workflow/values';
import * as ids from '../run/ids';

const input = (over: Partial<WorkflowInput> & Pick<WorkflowInput, 'kind'>, template?: Partial<FieldTemplate>): WorkflowInput => ({
  index: 0,
  nodeId: ids.nodeId('n'),
  nodeType: 't',
  nodeLabel: 'T',
  fieldName: 'f',
  label: 'F',
  description: '',
  value: undefined,
  required: false,
  input: 'any',
  constraints: {},
  connected: false,
  ...(template ? { template: { name: 'f', title: 'F', description: '', kind: over.kind, typeName: 'X', input: 'any', fieldKind: 'input', required: false, nullable: false, constraints: {}, ...template } } : {}),
  ...over,
});
const ok = (i: WorkflowInput, v: unknown) => {
  const r = checkValue(i, v);
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const rule = (i: WorkflowInput, v: unknown) => {
  const r = checkValue(i, v);
  return E.isLeft(r) ? r.left.message : 'accepted';
};

describe('checkValue', () => {
  it('accepts a single value or a list for "single or collection" fields (itemKind on a scalar kind)', () => {
    const cfg = input({ kind: 'float', itemKind: 'float', constraints: { minimum: 1 } });
    expect(ok(cfg, 7.5)).toBe(7.5);
    expect(ok(cfg, [7.5, 3])).toEqual([7.5, 3]);
    expect(rule(cfg, [7.5, 0.5])).toMatch(/item 1 must be >= 1/);
  });

  it('normalises image lists item by item', () => {
    const images = input({ kind: 'collection', itemKind: 'image' });
    expect(ok(images, ['a.png', { image_name: 'b.png' }])).toEqual([{ image_name: 'a.png' }, { image_name: 'b.png' }]);
  });

  it('lets nullable primitives and every non-primitive kind be unset, but not plain primitives', () => {
    expect(ok(input({ kind: 'integer' }, { nullable: true }), null)).toBeUndefined();
    expect(rule(input({ kind: 'integer' }, { nullable: false }), null)).toMatch(/needs a value/);
    expect(ok(input({ kind: 'model' }), undefined)).toBeUndefined();
    expect(ok(input({ kind: 'unknown' }), null)).toBeUndefined();
  });

  it('keeps any value for the unknown kind, and an enum without options accepts any string', () => {
    expect(ok(input({ kind: 'unknown' }), { x: [1] })).toEqual({ x: [1] });
    expect(ok(input({ kind: 'enum' }), 'anything')).toBe('anything');
  });

  it('names the input, the value and the rule', () => {
    expect(rule(input({ kind: 'integer', constraints: { multipleOf: 8 } }), 12)).toBe(
      'Input #0 "F" (n.f, integer) cannot take 12: it must be a multiple of 8.',
    );
  });

  it('checks multipleOf on floats without rounding noise', () => {
    const f = input({ kind: 'float', constraints: { multipleOf: 0.1 } });
    expect(ok(f, 0.3)).toBe(0.3);
    expect(rule(f, 0.35)).toMatch(/multiple of 0.1/);
  });
});
