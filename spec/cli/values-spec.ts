import { parseInputValue, splitAssignment, toRef } from '../../lib/cli/values';
import type { WorkflowInput } from '../../lib/index';
import * as ids from '../run/ids';

const input = (kind: WorkflowInput['kind'], extra: Partial<WorkflowInput> = {}): WorkflowInput => ({
  index: 3,
  nodeId: ids.nodeId('n'),
  nodeType: 't',
  nodeLabel: 'Node',
  fieldName: 'f',
  label: 'Field',
  description: '',
  kind,
  value: undefined,
  required: false,
  input: 'any',
  constraints: {},
  connected: false,
  ...extra,
});

describe('parsing command-line values by kind', () => {
  it('parses numbers, booleans and enums, and states the rule otherwise', () => {
    expect(parseInputValue(input('integer'), '-12')).toBe(-12);
    expect(() => parseInputValue(input('integer'), '1.5')).toThrow('input #3 "Field" (integer) must be an integer, got "1.5"');
    expect(parseInputValue(input('float'), '7.5')).toBe(7.5);
    expect(() => parseInputValue(input('float'), 'x')).toThrow('must be a number');
    expect(parseInputValue(input('boolean'), 'yes')).toBe(true);
    expect(parseInputValue(input('boolean'), 'false')).toBe(false);
    expect(() => parseInputValue(input('boolean'), 'maybe')).toThrow('must be true or false');
    expect(parseInputValue(input('enum', { constraints: { options: ['a', 'b'] } }), 'b')).toBe('b');
    expect(parseInputValue(input('enum', { constraints: { options: [1, 2] } }), '2')).toBe(2);
    expect(() => parseInputValue(input('enum', { constraints: { options: ['a', 'b'] } }), 'c')).toThrow('must be one of a, b; got "c"');
  });

  it('parses colors, collections and JSON objects', () => {
    expect(parseInputValue(input('color'), '#ff000080')).toEqual({ r: 255, g: 0, b: 0, a: 128 });
    expect(parseInputValue(input('color'), '#00ff00')).toEqual({ r: 0, g: 255, b: 0, a: 255 });
    expect(parseInputValue(input('collection', { itemKind: 'integer' }), '1,2,3')).toEqual([1, 2, 3]);
    expect(parseInputValue(input('collection', { itemKind: 'string' }), '["a,b","c"]')).toEqual(['a,b', 'c']);
    expect(() => parseInputValue(input('collection', { itemKind: 'integer' }), '1,x')).toThrow('must be an integer, got "x"');
    expect(parseInputValue(input('object'), '{"a":1}')).toEqual({ a: 1 });
    expect(parseInputValue(input('string'), '{"a":1}')).toBe('{"a":1}');
  });

  it('picks a model by name or key among those the input accepts', () => {
    const models = [
      { key: 'k1', hash: 'h1', name: 'shared', base: 'sd-1', type: 'main' },
      { key: 'k2', hash: 'h2', name: 'shared', base: 'sdxl', type: 'main' },
    ];
    const sdxl = input('model', { constraints: { modelBase: ['sdxl'], modelType: ['main'] } });
    expect(parseInputValue(sdxl, 'shared', models)).toEqual({ key: 'k2', hash: 'h2', name: 'shared', base: 'sdxl', type: 'main' });
    expect(parseInputValue(sdxl, 'k2', models)).toMatchObject({ key: 'k2' });
    expect(() => parseInputValue(sdxl, 'k1', models)).toThrow('"k1" is shared (sd-1 main, key k1), which this input does not take');
    const twins = [...models, { key: 'k3', hash: 'h3', name: 'shared', base: 'sdxl', type: 'main' }];
    expect(() => parseInputValue(sdxl, 'shared', twins)).toThrow('2 installed models that fit are named "shared"; give one\'s key instead');
    expect(() => parseInputValue(sdxl, 'shared')).toThrow('pass --url');
    expect(() => parseInputValue(sdxl, 'other', models)).toThrow(/no model named or keyed "other". Models that fit:\n  shared \(sdxl main, key k2\)/);
  });

  it('splits assignments and refs', () => {
    expect(splitAssignment('--set', 'a=b=c')).toEqual({ ref: 'a', value: 'b=c' });
    expect(() => splitAssignment('--set', '=x')).toThrow('--set takes ref=value');
    expect(toRef('12')).toBe(12);
    expect(toRef('012')).toBe('012');
    expect(toRef('Width')).toBe('Width');
  });
});
