// The text the generator writes for values that come from a file: whatever a workflow holds, each
// string, key and literal reads back as the same value, and a comment stays one comment.
import fc from 'fast-check';
import { commentText, literal, propertyKey, quote } from '../../lib/codegen/literal';

/** Evaluates an expression the way a module would (the literals are plain JavaScript too). */
const evaluate = (expression: string): unknown => new Function(`return (${expression});`)();

const json = fc.jsonValue();

describe('quote', () => {
  it('reads back as the same string, whatever it holds', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => evaluate(quote(s)) === s));
    expect(quote("it's\n\u2028")).toBe("'it\\'s\\n\\u2028'");
  });
});

describe('propertyKey', () => {
  it('leaves identifiers bare and quotes the rest', () => {
    expect(['Width', 'Positive Prompt', '0x', '__proto__', 'a-b', '$x'].map(propertyKey)).toEqual(['Width', "'Positive Prompt'", "'0x'", '__proto__', "'a-b'", '$x']);
  });
});

describe('literal', () => {
  it('reads back as equal JSON data, keys named __proto__ included', () => {
    fc.assert(
      fc.property(json, fc.integer({ min: 20, max: 120 }), (value, width) => {
        expect(evaluate(literal(value, '', { width, flatDepth: Infinity }))).toEqual(value);
      }),
    );
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "a": [1, {"__proto__": 2}]}') as unknown;
    const back = evaluate(literal(hostile)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back).toEqual(hostile);
  });

  it('puts what fits on one line and indents the rest by two spaces a level', () => {
    expect(literal({ a: [1, 2], b: { c: 'x' } })).toBe("{ a: [1, 2], b: { c: 'x' } }");
    expect(literal({ long: 'x'.repeat(100), short: [1] })).toBe(`{\n  long: '${'x'.repeat(100)}',\n  short: [1],\n}`);
    expect(literal({ t: { inputs: { a: { name: 'a'.repeat(200) } } } }, '', { width: 100, flatDepth: 3 })).toBe(
      `{\n  t: {\n    inputs: {\n      a: { name: '${'a'.repeat(200)}' },\n    },\n  },\n}`,
    );
  });
});

describe('commentText', () => {
  it('never ends the comment or the line, and is bounded', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const text = commentText(s);
        expect(text).not.toMatch(/\*\/|[\n\r\u2028\u2029]/);
        expect(text.length).toBeLessThanOrEqual(160);
        // And a block comment around it is one comment: the code after it still runs.
        expect(new Function(`/** ${text} */ return 1;`)()).toBe(1);
        expect(new Function(`// ${text}\nreturn 2;`)()).toBe(2);
      }),
    );
  });
});
