// Generator nodes (`float_generator`, `integer_generator`, `string_generator`, `image_generator`)
// never reach the server: the GUI resolves their values on the client and sends them as batch data.
// These functions compute the same values as the GUI (`resolve*GeneratorField` in its `field.ts`).

import { MersenneTwister } from './mersenne-twister';
import { isRecord } from '../internal/record';

/** A generator value that cannot be resolved here; the message says how to provide the values instead. */
export class GeneratorError extends Error {
  override readonly name = 'GeneratorError';
  constructor(
    message: string,
    /** The generator's `type`, e.g. `string_generator_dynamic_prompts_random`. */
    readonly generatorType: string,
    /** The workflow node holding the generator, when known. */
    readonly nodeId?: string,
  ) {
    super(message);
  }
}

/** Options for resolving generators. */
export interface GeneratorOptions {
  /** The source of randomness for unseeded random generators (the GUI uses `Math.random`). */
  readonly random?: () => number;
  /** The node holding the generator, named in errors. */
  readonly nodeId?: string;
}

type Rec = Readonly<Record<string, unknown>>;


// The GUI's zod defaults, applied when a field is absent.
const num = (g: Rec, key: string, fallback: number): number => {
  const v = g[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
};
const str = (g: Rec, key: string, fallback: string): string => {
  const v = g[key];
  return typeof v === 'string' ? v : fallback;
};

const rngFor = (g: Rec, options: GeneratorOptions | undefined): (() => number) => {
  const seed = g['seed'];
  if (typeof seed === 'number' && Number.isFinite(seed)) {
    const mt = new MersenneTwister(seed);
    return () => mt.random();
  }
  return options?.random ?? Math.random;
};

/** Splits like the GUI: `splitOn` is JSON-unescaped first (so `\n` works); an empty `splitOn` keeps the input whole. */
const splitInput = (input: string, splitOn: string): string[] => {
  if (splitOn === '') return [input];
  let separator = splitOn;
  try {
    const parsed: unknown = JSON.parse(`"${splitOn}"`);
    if (typeof parsed === 'string') separator = parsed;
  } catch {
    // not a JSON string body: split on the text as typed
  }
  return input.split(separator);
};

const precomputed = (g: Rec): readonly unknown[] | undefined => (Array.isArray(g['values']) ? g['values'] : undefined);

/** ` on node <id>` for messages, when the node is known. */
const onNode = (options: GeneratorOptions | undefined): string => (options?.nodeId !== undefined ? ` on node ${options.nodeId}` : '');

const typeOf = (g: unknown): string => (isRecord(g) && typeof g['type'] === 'string' ? g['type'] : String(g));

const unknownType = (kind: string, g: unknown, options: GeneratorOptions | undefined): GeneratorError =>
  new GeneratorError(
    `Unknown ${kind} generator type "${typeOf(g)}"${onNode(options)}; ` +
      `set the generator to one of the types the InvokeAI GUI offers, or give its values in the generator's "values" list.`,
    typeOf(g),
    options?.nodeId,
  );

/**
 * What tells the float generators from the integer ones: the GUI's defaults (`step`; `end` is also
 * the uniform `max`), and the rounding (an integer linear offset to the nearest, an integer uniform
 * draw down over `[min, max]` inclusive).
 */
interface NumberRules {
  readonly kind: 'float' | 'integer';
  readonly step: number;
  readonly end: number;
  readonly linearOffset: (exact: number) => number;
  readonly uniform: (r: number, min: number, max: number) => number;
  readonly defaultInput: string;
  readonly parse: (s: string) => number;
}

const FLOAT_RULES: NumberRules = {
  kind: 'float', step: 0.1, end: 1,
  linearOffset: (exact) => exact,
  uniform: (r, min, max) => r * (max - min) + min,
  defaultInput: '0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1',
  parse: parseFloat,
};

const INTEGER_RULES: NumberRules = {
  kind: 'integer', step: 1, end: 10,
  linearOffset: Math.round,
  uniform: (r, min, max) => Math.floor(r * (max - min + 1)) + min,
  defaultInput: '1,2,3,4,5,6,7,8,9,10',
  parse: (s) => parseInt(s, 10),
};

const resolveNumberGenerator = (rules: NumberRules, generator: unknown, options: GeneratorOptions | undefined): readonly number[] => {
  if (!isRecord(generator)) throw unknownType(rules.kind, generator, options);
  const values = precomputed(generator);
  if (values !== undefined) return values.filter((v): v is number => typeof v === 'number');
  switch (generator['type']) {
    case `${rules.kind}_generator_arithmetic_sequence`: {
      const start = num(generator, 'start', 0);
      const step = num(generator, 'step', rules.step);
      // A step of 0 gives `start` once.
      return step === 0 ? [start] : Array.from({ length: num(generator, 'count', 10) }, (_, i) => start + i * step);
    }
    case `${rules.kind}_generator_linear_distribution`: {
      const start = num(generator, 'start', 0);
      const end = num(generator, 'end', rules.end);
      const count = num(generator, 'count', 10);
      if (count === 1) return [start];
      return Array.from({ length: count }, (_, i) => start + rules.linearOffset((end - start) * (i / (count - 1))));
    }
    case `${rules.kind}_generator_random_distribution_uniform`: {
      const min = num(generator, 'min', 0);
      const max = num(generator, 'max', rules.end);
      const rng = rngFor(generator, options);
      return Array.from({ length: num(generator, 'count', 10) }, () => rules.uniform(rng(), min, max));
    }
    case `${rules.kind}_generator_parse_string`:
      return splitInput(str(generator, 'input', rules.defaultInput), str(generator, 'splitOn', ','))
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
        .map(rules.parse)
        .filter((n) => !Number.isNaN(n));
    default:
      throw unknownType(rules.kind, generator, options);
  }
};

/**
 * The values of a `FloatGeneratorField` (arithmetic, linear, uniform random, parse string), as the GUI computes them.
 * A non-null `values` list (the GUI's cached result) wins.
 */
export const resolveFloatGenerator = (generator: unknown, options?: GeneratorOptions): readonly number[] =>
  resolveNumberGenerator(FLOAT_RULES, generator, options);

/** The values of an `IntegerGeneratorField`, as the GUI computes them. A non-null `values` list wins. */
export const resolveIntegerGenerator = (generator: unknown, options?: GeneratorOptions): readonly number[] =>
  resolveNumberGenerator(INTEGER_RULES, generator, options);

const DYNAMIC_PROMPT_TYPES: ReadonlySet<string> = /*#__PURE__*/ new Set([
  'string_generator_dynamic_prompts_combinatorial',
  'string_generator_dynamic_prompts_random',
]);

/**
 * The values of a `StringGeneratorField`. Parse-string generators are computed here; dynamic-prompt
 * generators need the server, so they resolve only from a precomputed `values` list and otherwise
 * throw a `GeneratorError` that says how to supply the prompts.
 */
export const resolveStringGenerator = (generator: unknown, options?: GeneratorOptions): readonly string[] => {
  if (!isRecord(generator)) throw unknownType('string', generator, options);
  const values = precomputed(generator);
  if (values !== undefined) return values.filter((v): v is string => typeof v === 'string');
  const type = generator['type'];
  if (type === 'string_generator_parse_string') {
    // Unlike the numeric parsers, the GUI does not trim strings: only empty parts are dropped.
    return splitInput(str(generator, 'input', 'foo,bar,baz,qux'), str(generator, 'splitOn', ',')).filter((s) => s.length > 0);
  }
  if (typeof type === 'string' && DYNAMIC_PROMPT_TYPES.has(type)) {
    throw new GeneratorError(
      `The ${type} generator${onNode(options)} expands its prompt on the server ` +
        `(POST /api/v1/utilities/dynamicprompts), so it cannot be resolved offline. Put the expanded prompts in the generator's ` +
        `"values" list (client.utilities can fetch them), or replace the generator with a string_generator_parse_string or a string_batch.`,
      type,
      options?.nodeId,
    );
  }
  throw unknownType('string', generator, options);
};

/** An `ImageGeneratorField` lists a board's images, which only the server knows: always a `GeneratorError` unless `values` are given. */
export const resolveImageGenerator = (generator: unknown, options?: GeneratorOptions): readonly unknown[] => {
  if (isRecord(generator)) {
    const values = precomputed(generator);
    if (values !== undefined) return values;
  }
  throw new GeneratorError(
    `The image generator${onNode(options)} lists the images of a board on the server ` +
      `(GET /api/v1/boards/{board_id}/image_names), so it cannot be resolved offline. Put the images ([{ image_name }]) in the ` +
      `generator's "values" list, or set them on an image_batch node's "images" input instead.`,
    typeOf(generator),
    options?.nodeId,
  );
};

/** Resolves the `generator` input of a generator node by node type. */
export const resolveGenerator = (nodeType: string, generator: unknown, options?: GeneratorOptions): readonly unknown[] => {
  switch (nodeType) {
    case 'float_generator':
      return resolveFloatGenerator(generator, options);
    case 'integer_generator':
      return resolveIntegerGenerator(generator, options);
    case 'string_generator':
      return resolveStringGenerator(generator, options);
    case 'image_generator':
      return resolveImageGenerator(generator, options);
    default:
      throw new GeneratorError(`Node type ${nodeType} is not a generator node.`, typeOf(generator), options?.nodeId);
  }
};
