import {
  GeneratorError,
  resolveFloatGenerator,
  resolveGenerator,
  resolveImageGenerator,
  resolveIntegerGenerator,
  resolveStringGenerator,
} from '../../lib/workflow/generators';

// The first MT19937 outputs for seed 5489 (the reference implementation's default seed).
const MT5489 = [3499211612, 581869302, 3890346734, 3586334585, 545404204];

describe('float generators', () => {
  it('arithmetic sequence: start + i*step, a single value when step is 0', () => {
    expect(resolveFloatGenerator({ type: 'float_generator_arithmetic_sequence', start: 1, step: 0.5, count: 4 })).toEqual([1, 1.5, 2, 2.5]);
    expect(resolveFloatGenerator({ type: 'float_generator_arithmetic_sequence', start: 3, step: 0, count: 4 })).toEqual([3]);
  });

  it('linear distribution: count points from start to end inclusive, [start] for a count of 1', () => {
    expect(resolveFloatGenerator({ type: 'float_generator_linear_distribution', start: 0, end: 1, count: 5 })).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(resolveFloatGenerator({ type: 'float_generator_linear_distribution', start: 2, end: 9, count: 1 })).toEqual([2]);
  });

  it('uniform random with a seed: MT19937 draws scaled to [min, max)', () => {
    const values = resolveFloatGenerator({ type: 'float_generator_random_distribution_uniform', min: 2, max: 4, count: 3, seed: 5489 });
    expect(values).toEqual(MT5489.slice(0, 3).map((u) => (u / 2 ** 32) * 2 + 2));
  });

  it('uniform random without a seed uses the injected source (Math.random by default)', () => {
    const draws = [0.5, 0.25];
    const values = resolveFloatGenerator({ type: 'float_generator_random_distribution_uniform', min: 0, max: 10, count: 2 }, { random: () => draws.shift()! });
    expect(values).toEqual([5, 2.5]);
  });

  it('parse string: split, trim, drop empties and non-numbers', () => {
    expect(resolveFloatGenerator({ type: 'float_generator_parse_string', input: ' 0.5, x, 1e1,, 2 ', splitOn: ',' })).toEqual([0.5, 10, 2]);
    expect(resolveFloatGenerator({ type: 'float_generator_parse_string', input: '1\n2.5\n', splitOn: '\\n' })).toEqual([1, 2.5]);
  });

  it('a non-null values list (the GUI cached result) wins', () => {
    expect(resolveFloatGenerator({ type: 'float_generator_arithmetic_sequence', start: 0, step: 1, count: 3, values: [9, 8] })).toEqual([9, 8]);
  });

  it('uses the GUI defaults for absent fields', () => {
    expect(resolveFloatGenerator({ type: 'float_generator_linear_distribution' })).toHaveLength(10);
    expect(resolveFloatGenerator({ type: 'float_generator_parse_string' })).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
  });

  it('an unknown generator type is a GeneratorError', () => {
    expect(() => resolveFloatGenerator({ type: 'nope' }, { nodeId: 'n1' })).toThrow(GeneratorError);
    expect(() => resolveFloatGenerator(undefined)).toThrow(/float generator/);
  });
});

describe('integer generators', () => {
  it('arithmetic and linear (rounded) sequences', () => {
    expect(resolveIntegerGenerator({ type: 'integer_generator_arithmetic_sequence', start: 10, step: -3, count: 4 })).toEqual([10, 7, 4, 1]);
    expect(resolveIntegerGenerator({ type: 'integer_generator_linear_distribution', start: 0, end: 10, count: 4 })).toEqual([0, 3, 7, 10]);
  });

  it('uniform random with a seed: floor(u * (max - min + 1)) + min over MT19937 draws', () => {
    // u = 0.8147, 0.1355, 0.9058, 0.8350, 0.1270 for seed 5489
    expect(resolveIntegerGenerator({ type: 'integer_generator_random_distribution_uniform', min: 0, max: 10, count: 5, seed: 5489 })).toEqual([8, 1, 9, 9, 1]);
    const again = resolveIntegerGenerator({ type: 'integer_generator_random_distribution_uniform', min: 0, max: 10, count: 5, seed: 5489 });
    expect(again).toEqual([8, 1, 9, 9, 1]);
  });

  it('parse string uses parseInt (so 2.7 is 2) and JSON-unescapes splitOn', () => {
    expect(resolveIntegerGenerator({ type: 'integer_generator_parse_string', input: '1, 2.7, a, 3', splitOn: ',' })).toEqual([1, 2, 3]);
    expect(resolveIntegerGenerator({ type: 'integer_generator_parse_string', input: '4\t5', splitOn: '\\t' })).toEqual([4, 5]);
    expect(resolveIntegerGenerator({ type: 'integer_generator_parse_string', input: '7', splitOn: '' })).toEqual([7]);
  });
});

describe('string generators', () => {
  it('parse string splits without trimming and drops empty parts', () => {
    expect(resolveStringGenerator({ type: 'string_generator_parse_string', input: 'foo, bar,,baz', splitOn: ',' })).toEqual(['foo', ' bar', 'baz']);
    expect(resolveStringGenerator({ type: 'string_generator_parse_string', input: 'a cat\na dog', splitOn: '\\n' })).toEqual(['a cat', 'a dog']);
    expect(resolveStringGenerator({ type: 'string_generator_parse_string', input: 'a,b', splitOn: '' })).toEqual(['a,b']);
    // not a valid JSON string body: split on the text as typed
    expect(resolveStringGenerator({ type: 'string_generator_parse_string', input: 'a"b"c', splitOn: '"' })).toEqual(['a', 'b', 'c']);
  });

  it('dynamic prompts need the server: a GeneratorError that says how to give the values', () => {
    for (const type of ['string_generator_dynamic_prompts_combinatorial', 'string_generator_dynamic_prompts_random']) {
      let error: unknown;
      try {
        resolveStringGenerator({ type, input: 'a {red|blue} ball', maxPrompts: 10 }, { nodeId: 'gen-1' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GeneratorError);
      const g = error as GeneratorError;
      expect(g.name).toBe('GeneratorError');
      expect(g.generatorType).toBe(type);
      expect(g.nodeId).toBe('gen-1');
      expect(g.message).toContain('/api/v1/utilities/dynamicprompts');
      expect(g.message).toContain('"values"');
    }
  });

  it('dynamic prompts with precomputed values resolve to them', () => {
    expect(resolveStringGenerator({ type: 'string_generator_dynamic_prompts_random', input: 'x', count: 2, values: ['a', 'b'] })).toEqual(['a', 'b']);
  });
});

describe('image generators', () => {
  it('need the server unless values are given', () => {
    expect(() => resolveImageGenerator({ type: 'image_generator_images_from_board', board_id: 'b', category: 'images' })).toThrow(/boards\/\{board_id\}\/image_names/);
    expect(resolveImageGenerator({ type: 'image_generator_images_from_board', values: [{ image_name: 'a.png' }] })).toEqual([{ image_name: 'a.png' }]);
  });

  it('resolveGenerator dispatches by node type', () => {
    expect(resolveGenerator('integer_generator', { type: 'integer_generator_arithmetic_sequence', start: 1, step: 1, count: 2 })).toEqual([1, 2]);
    expect(() => resolveGenerator('integer', {})).toThrow(GeneratorError);
  });
});
