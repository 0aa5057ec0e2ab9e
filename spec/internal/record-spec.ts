import { exceedsDepth, isRecord, mayExceedDepth } from '../../lib/internal/record';

describe('isRecord', () => {
  it('accepts objects whose fields can be read', () => {
    expect(isRecord({})).toBe(true);
    expect(isRecord({ image_name: 'a.png' })).toBe(true);
    expect(isRecord(Object.create(null))).toBe(true);
  });

  it('rejects null, arrays and non-objects', () => {
    for (const value of [null, undefined, [], [{}], 'x', 0, true, () => ({})]) expect(isRecord(value)).toBe(false);
  });
});

describe('exceedsDepth and mayExceedDepth', () => {
  it('tell a value nested more than the limit, however deep, without overflowing the stack', () => {
    let deep: unknown = 0;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(exceedsDepth(deep, 128)).toBe(true);
    expect(exceedsDepth([[[0]]], 3)).toBe(false);
    expect(exceedsDepth([[[0]]], 2)).toBe(true);
    expect(exceedsDepth({ a: { b: [1, { c: 2 }] } }, 4)).toBe(false);
    expect(exceedsDepth({ a: { b: [1, { c: 2 }] } }, 3)).toBe(true);
    expect(exceedsDepth('[[[[', 1)).toBe(false);
  });

  it('mayExceedDepth rules out text with too few brackets, and never a value too deep', () => {
    expect(mayExceedDepth('{"a":[1,2],"b":{"c":"[["}}', 5)).toBe(false);
    expect(mayExceedDepth('[[[[[[0]]]]]]', 5)).toBe(true);
    const text = JSON.stringify({ a: [[[{ b: [[1]] }]]] });
    expect(mayExceedDepth(text, 6)).toBe(exceedsDepth(JSON.parse(text), 6));
  });
});
