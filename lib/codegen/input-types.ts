// The TypeScript type and the doc line of one form input, from its field template: what the
// generated module says each label takes.
import type { FieldConstraints, FieldKind, OutputFieldTemplate, WorkflowInput, WorkflowOutput, NodeTemplates } from '../index';
import { commentText, quote } from './literal';

/** The names of the library's value types a generated module may use (imported only when used). */
export type ValueTypeName = 'ImageInput' | 'VideoInput' | 'BoardInput' | 'ColorInput' | 'ObjectInput' | 'ModelInput' | 'ModelName' | 'OutputBase' | 'ImagesOutput' | 'VideosOutput' | 'ValuesOutput';

/** A type's text and the library types it names; a union of literals also lists its members, for wrapping. */
export interface TypeText {
  readonly text: string;
  readonly uses: readonly ValueTypeName[];
  readonly members?: readonly string[];
}

const plain = (text: string): TypeText => ({ text, uses: [] });
const named = (name: ValueTypeName, text: string = name): TypeText => ({ text, uses: [name] });

const union = (members: readonly string[]): string => members.join(' | ');

const optionLiteral = (o: string | number): string => (typeof o === 'number' ? String(o) : quote(o));

const modelType = (c: FieldConstraints): TypeText => {
  const bounds = [
    ...(c.modelBase !== undefined && c.modelBase.length > 0 ? [`base: ${union(c.modelBase.map(quote))}`] : []),
    ...(c.modelType !== undefined && c.modelType.length > 0 ? [`type: ${union(c.modelType.map(quote))}`] : []),
  ];
  const identifier = bounds.length === 0 ? 'ModelInput' : `ModelInput<{ ${bounds.join('; ')} }>`;
  return { text: `${identifier} | ModelName`, uses: ['ModelInput', 'ModelName'] };
};

/** The type of one value of a kind (an item of a collection, or the whole value). */
const singleType = (kind: FieldKind, c: FieldConstraints): TypeText => {
  switch (kind) {
    case 'string':
      return plain('string');
    case 'integer':
    case 'float':
      return plain('number');
    case 'boolean':
      return plain('boolean');
    case 'enum': {
      if (c.options === undefined || c.options.length === 0) return plain('string | number');
      const members = [...new Set(c.options)].map(optionLiteral);
      return { text: union(members), uses: [], members };
    }
    case 'image':
      return named('ImageInput');
    case 'video':
      return named('VideoInput');
    case 'board':
      return named('BoardInput');
    case 'model':
      return modelType(c);
    case 'color':
      return named('ColorInput');
    case 'object':
      return named('ObjectInput');
    case 'collection':
      return plain('readonly unknown[]');
    case 'connection':
    case 'unknown':
      return plain('unknown');
  }
};

const listOf = (item: TypeText): TypeText => ({ text: item.text.includes(' ') ? `ReadonlyArray<${item.text}>` : `readonly ${item.text}[]`, uses: item.uses });

/** The type an input takes: a collection is a readonly array; "single or list" fields take either. */
export const inputType = (input: WorkflowInput): TypeText => {
  if (input.kind === 'collection') return listOf(input.itemKind === undefined ? plain('unknown') : singleType(input.itemKind, input.constraints));
  const single = singleType(input.kind, input.constraints);
  if (input.itemKind === undefined) return single;
  const list = listOf(single);
  return { text: `${single.text} | ${list.text}`, uses: single.uses };
};

const KIND_WORDS: Readonly<Record<FieldKind, string>> = {
  string: 'a string',
  integer: 'an integer',
  float: 'a number',
  boolean: 'true or false',
  enum: 'one of the options',
  image: 'an image name',
  video: 'a video name',
  board: "a board id, 'auto' or 'none'",
  model: 'a model (an identifier, or a name or key looked up when the run starts)',
  color: 'a color',
  collection: 'a list',
  object: 'an object',
  connection: 'an edge only',
  unknown: 'any value (the node type is unknown to the templates)',
};

/** The rules types cannot carry, in words: bounds, multiples, lengths, model formats. */
const ruleWords = (c: FieldConstraints): readonly string[] => [
  ...(c.minimum !== undefined ? [`>= ${c.minimum}`] : []),
  ...(c.exclusiveMinimum !== undefined ? [`> ${c.exclusiveMinimum}`] : []),
  ...(c.maximum !== undefined ? [`<= ${c.maximum}`] : []),
  ...(c.exclusiveMaximum !== undefined ? [`< ${c.exclusiveMaximum}`] : []),
  ...(c.multipleOf !== undefined ? [`a multiple of ${c.multipleOf}`] : []),
  ...(c.minLength !== undefined ? [`at least ${c.minLength} characters`] : []),
  ...(c.maxLength !== undefined ? [`at most ${c.maxLength} characters`] : []),
  ...(c.minItems !== undefined ? [`at least ${c.minItems} items`] : []),
  ...(c.maxItems !== undefined ? [`at most ${c.maxItems} items`] : []),
  ...(c.modelFormat !== undefined && c.modelFormat.length > 0 ? [`format ${c.modelFormat.join(' or ')}`] : []),
  ...(c.modelVariant !== undefined && c.modelVariant.length > 0 ? [`variant ${c.modelVariant.join(' or ')}`] : []),
];

const shownValue = (value: unknown): string | undefined => {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && value !== null && typeof (value as { name?: unknown }).name === 'string') return (value as { name: string }).name;
  return JSON.stringify(value);
};

/** The doc comment lines of an input: where it lives, what it takes, the rules checked at run time, its value. */
export const inputDoc = (input: WorkflowInput, requiredUnset: boolean): readonly string[] => {
  const kind = input.kind === 'collection' && input.itemKind !== undefined ? `a list of ${input.itemKind} values` : KIND_WORDS[input.kind];
  const rules = ruleWords(input.constraints);
  const value = shownValue(input.value);
  return [
    commentText(`#${input.index} "${input.label}": ${input.nodeLabel}.${input.fieldName}, ${kind}${rules.length > 0 ? `; ${rules.join(', ')} (checked when set)` : ''}.`, 200),
    ...(input.description !== '' ? [commentText(input.description, 200)] : []),
    requiredUnset ? 'Required: it has no value yet, so the workflow runs only once it is set.' : value !== undefined ? commentText(`In the workflow: ${value}.`, 120) : undefined,
  ].filter((l): l is string => l !== undefined);
};

const PRIMITIVE_TYPES: Readonly<Partial<Record<FieldKind, string>>> = { string: 'string', integer: 'number', float: 'number', boolean: 'boolean' };

/** What an output node gives per item, from its template's outputs: images, videos, plain values. */
export const outputType = (output: WorkflowOutput, templates: NodeTemplates): TypeText & { readonly gives: readonly string[] } => {
  const fields: readonly OutputFieldTemplate[] = Object.values(templates[output.nodeType]?.outputs ?? {});
  const has = (kind: FieldKind) => fields.some((f) => f.kind === kind || (f.kind === 'collection' && f.itemKind === kind));
  const valueTypes = [
    ...new Set(
      fields
        .filter((f) => f.name === 'value' || f.name === 'collection')
        .map((f) => PRIMITIVE_TYPES[f.kind === 'collection' ? f.itemKind ?? 'unknown' : f.kind])
        .filter((t): t is string => t !== undefined),
    ),
  ].sort();
  const parts: TypeText[] = [
    ...(has('image') ? [named('ImagesOutput')] : []),
    ...(has('video') ? [named('VideosOutput')] : []),
    ...(valueTypes.length > 0 ? [named('ValuesOutput', `ValuesOutput<${union(valueTypes)}>`)] : []),
  ];
  const gives = [...(has('image') ? ['images'] : []), ...(has('video') ? ['videos'] : []), ...(valueTypes.length > 0 ? ['values'] : [])];
  if (parts.length === 0) return { ...named('OutputBase'), gives };
  return { text: parts.map((p) => p.text).join(' & '), uses: parts.flatMap((p) => p.uses), gives };
};
