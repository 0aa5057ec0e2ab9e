import { isRecord } from '../../lib/internal/record';

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
