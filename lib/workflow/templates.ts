// Node templates: what the server says each node type accepts and produces, read from the
// invocation schemas of its OpenAPI document (`components.schemas.*` with `class: "invocation"`).
// The GUI derives its templates from the same document, so kinds, modes, defaults and constraints
// here agree with what the GUI shows and what the server validates.

import type {
  FieldConstraints,
  FieldKind,
  FieldTemplate,
  InputMode,
  NodeTemplate,
  NodeTemplates,
  OutputFieldTemplate,
} from './types';
import { isRecord } from '../internal/record';

/** The OpenAPI document is not an InvokeAI one: it has no invocation schemas to read. */
export class TemplatesError extends Error {
  override readonly name = 'TemplatesError';
}

// A JSON-schema fragment as it appears in the document; read defensively (the document is untrusted).
type Schema = Readonly<Record<string, unknown>>;

const asString = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined);
const asNumber = (u: unknown): number | undefined => (typeof u === 'number' && Number.isFinite(u) ? u : undefined);
const asStrings = (u: unknown): readonly string[] | undefined =>
  Array.isArray(u) && u.every((x) => typeof x === 'string') ? (u as string[]) : undefined;

/** Structured types the user sets a value on, each with a kind of its own. */
const VALUE_TYPE_KINDS: Readonly<Record<string, FieldKind>> = {
  ImageField: 'image',
  VideoField: 'video',
  BoardField: 'board',
  ModelIdentifierField: 'model',
  ColorField: 'color',
};

/**
 * Structured types that carry a direct value in the GUI (stateful fields) without a dedicated kind.
 * Every other structured type (latents, conditioning, UNet, CLIP, VAE ...) is connection-only,
 * unless the schema marks the field `input: "direct"`.
 */
const OBJECT_VALUE_TYPES: ReadonlySet<string> = /*#__PURE__*/ new Set([
  'LoRAField',
  'StylePresetField',
  'SystemPromptField',
  'FloatGeneratorField',
  'IntegerGeneratorField',
  'StringGeneratorField',
  'ImageGeneratorField',
  'LoRAMetadataField',
  'ControlNetMetadataField',
  'IPAdapterMetadataField',
  'T2IAdapterMetadataField',
  'MetadataItemField',
]);

const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);

/** pydantic's default title for a field without one: `tile_size` → `Tile Size`. */
export const titleFromName = (name: string): string =>
  name
    .split('_')
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');

interface Classified {
  readonly kind: FieldKind;
  readonly itemKind?: FieldKind;
  readonly typeName: string;
  readonly nullable: boolean;
  readonly constraints: FieldConstraints;
}

type MutableConstraints = { -readonly [K in keyof FieldConstraints]: FieldConstraints[K] };

const NUMERIC_CONSTRAINTS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
] as const;

/** Copies the numeric constraints of one schema level into `into` (an outer level wins). */
const collectConstraints = (schema: Schema, into: MutableConstraints): void => {
  for (const key of NUMERIC_CONSTRAINTS) {
    const n = asNumber(schema[key]);
    if (n !== undefined && into[key] === undefined) into[key] = n;
  }
  // pydantic leaves `ge`/`le` on a few union fields instead of minimum/maximum.
  const ge = asNumber(schema['ge']);
  if (ge !== undefined && into.minimum === undefined) into.minimum = ge;
  const le = asNumber(schema['le']);
  if (le !== undefined && into.maximum === undefined) into.maximum = le;
};

/** Tells what a (property or output) schema holds. */
const classify = (schema: Schema, schemas: Schema, input: InputMode | undefined, constraints: MutableConstraints): Classified => {
  collectConstraints(schema, constraints);
  const anyOf = schema['anyOf'];
  if (Array.isArray(anyOf)) {
    const branches = anyOf.filter(isRecord);
    const nonNull = branches.filter((b) => b['type'] !== 'null');
    const nullable = nonNull.length < branches.length;
    if (nonNull.length === 1) return { ...classify(nonNull[0]!, schemas, input, constraints), nullable };
    if (nonNull.length === 2) {
      // "single or collection" (e.g. `float | list[float]`, `LoRAField | list[LoRAField]`):
      // the kind is the single one, and `itemKind` says that a list of it is accepted too.
      const arrayIdx = nonNull.findIndex((b) => b['type'] === 'array');
      if (arrayIdx >= 0) {
        const single = classify(nonNull[1 - arrayIdx]!, schemas, input, constraints);
        const arr = nonNull[arrayIdx]!;
        collectConstraints(arr, constraints);
        return { ...single, itemKind: single.kind, nullable };
      }
    }
    return { kind: 'unknown', typeName: 'AnyField', nullable, constraints };
  }
  const uiType = asString(schema['ui_type']);
  const ref = asString(schema['$ref']);
  if (ref !== undefined) {
    const name = refName(ref);
    const target = schemas[name];
    const valueKind = VALUE_TYPE_KINDS[name];
    if (valueKind !== undefined) return { kind: valueKind, typeName: name, nullable: false, constraints };
    if (isRecord(target) && Array.isArray(target['enum'])) {
      constraints.options = (target['enum'] as unknown[]).filter(
        (x): x is string | number => typeof x === 'string' || typeof x === 'number',
      );
      return { kind: 'enum', typeName: name, nullable: false, constraints };
    }
    const kind: FieldKind = OBJECT_VALUE_TYPES.has(name) || input === 'direct' ? 'object' : 'connection';
    return { kind, typeName: name, nullable: false, constraints };
  }
  const enumValues = schema['enum'];
  if (Array.isArray(enumValues)) {
    constraints.options = enumValues.filter((x): x is string | number => typeof x === 'string' || typeof x === 'number');
    return { kind: 'enum', typeName: uiType ?? 'EnumField', nullable: false, constraints };
  }
  if (schema['const'] !== undefined && (typeof schema['const'] === 'string' || typeof schema['const'] === 'number')) {
    constraints.options = [schema['const'] as string | number];
    return { kind: 'enum', typeName: uiType ?? 'EnumField', nullable: false, constraints };
  }
  switch (schema['type']) {
    case 'integer':
      return { kind: 'integer', typeName: 'IntegerField', nullable: false, constraints };
    case 'number':
      return { kind: 'float', typeName: 'FloatField', nullable: false, constraints };
    case 'string':
      return { kind: 'string', typeName: uiType ?? 'StringField', nullable: false, constraints };
    case 'boolean':
      return { kind: 'boolean', typeName: 'BooleanField', nullable: false, constraints };
    case 'array': {
      const items = isRecord(schema['items']) ? schema['items'] : {};
      const item = classify(items, schemas, input, {});
      return { kind: 'collection', itemKind: item.kind, typeName: item.typeName, nullable: false, constraints };
    }
    case 'object':
      return { kind: 'object', typeName: uiType ?? 'object', nullable: false, constraints };
    default:
      return { kind: 'unknown', typeName: uiType ?? 'AnyField', nullable: false, constraints };
  }
};

const inputModeOf = (u: unknown): InputMode => (u === 'connection' || u === 'direct' ? u : 'any');

const fieldTemplate = (name: string, prop: Schema, requiredNames: readonly string[], schemas: Schema): FieldTemplate => {
  const input = inputModeOf(prop['input']);
  const constraints: MutableConstraints = {};
  const c = classify(prop, schemas, input, constraints);
  const modelBase = asStrings(prop['ui_model_base']);
  const modelType = asStrings(prop['ui_model_type']);
  const modelVariant = asStrings(prop['ui_model_variant']);
  const modelFormat = asStrings(prop['ui_model_format']);
  if (modelBase) constraints.modelBase = modelBase;
  if (modelType) constraints.modelType = modelType;
  if (modelVariant) constraints.modelVariant = modelVariant;
  if (modelFormat) constraints.modelFormat = modelFormat;
  const def = 'orig_default' in prop ? prop['orig_default'] : prop['default'];
  const uiType = asString(prop['ui_type']);
  const uiOrder = asNumber(prop['ui_order']);
  return {
    name,
    title: asString(prop['title']) ?? titleFromName(name),
    description: asString(prop['description']) ?? '',
    kind: c.kind,
    ...(c.itemKind !== undefined ? { itemKind: c.itemKind } : {}),
    typeName: c.typeName,
    input,
    fieldKind: prop['field_kind'] === 'internal' ? 'internal' : 'input',
    required: typeof prop['orig_required'] === 'boolean' ? prop['orig_required'] : requiredNames.includes(name),
    nullable: c.nullable,
    ...(def !== undefined && def !== null ? { default: def } : {}),
    constraints,
    ...(uiType !== undefined ? { uiType } : {}),
    ...(prop['ui_hidden'] === true ? { uiHidden: true } : {}),
    ...(uiOrder !== undefined ? { uiOrder } : {}),
  };
};

const outputFieldTemplate = (name: string, prop: Schema, schemas: Schema): OutputFieldTemplate => {
  const c = classify(prop, schemas, undefined, {});
  return { name, kind: c.kind, ...(c.itemKind !== undefined ? { itemKind: c.itemKind } : {}), typeName: c.typeName };
};

const constOf = (prop: unknown): string | undefined =>
  isRecord(prop) ? asString(prop['const']) ?? asString(prop['default']) : undefined;

const nodeTemplate = (schema: Schema, schemas: Schema): NodeTemplate | undefined => {
  const props = isRecord(schema['properties']) ? schema['properties'] : {};
  const type = constOf(props['type']);
  if (type === undefined) return undefined;
  const requiredNames = asStrings(schema['required']) ?? [];
  const inputs: Record<string, FieldTemplate> = {};
  for (const [name, prop] of Object.entries(props)) {
    if (!isRecord(prop) || prop['field_kind'] === 'node_attribute') continue;
    inputs[name] = fieldTemplate(name, prop, requiredNames, schemas);
  }
  const outputRef = isRecord(schema['output']) ? asString(schema['output']['$ref']) : undefined;
  const outputSchema = outputRef !== undefined ? schemas[refName(outputRef)] : undefined;
  const outputs: Record<string, OutputFieldTemplate> = {};
  let outputType = '';
  if (isRecord(outputSchema) && isRecord(outputSchema['properties'])) {
    for (const [name, prop] of Object.entries(outputSchema['properties'])) {
      if (!isRecord(prop)) continue;
      if (prop['field_kind'] === 'node_attribute' || name === 'type') {
        outputType = constOf(prop) ?? outputType;
        continue;
      }
      outputs[name] = outputFieldTemplate(name, prop, schemas);
    }
  }
  const useCacheProp = props['use_cache'];
  const useCache = isRecord(useCacheProp) && typeof useCacheProp['default'] === 'boolean' ? useCacheProp['default'] : true;
  const category = asString(schema['category']);
  const classification = asString(schema['classification']);
  return {
    type,
    title: asString(schema['title']) ?? type,
    version: asString(schema['version']) ?? '1.0.0',
    nodePack: asString(schema['node_pack']) ?? 'invokeai',
    ...(category !== undefined ? { category } : {}),
    ...(classification !== undefined ? { classification } : {}),
    useCache,
    inputs,
    outputType,
    outputs,
  };
};

/**
 * Derives node templates from an InvokeAI OpenAPI document (the server's `/openapi.json`).
 *
 * @example
 * ```ts
 * import { templatesFromOpenApi } from 'invokeai-rx';
 * const templates = templatesFromOpenApi(await (await fetch(`${url}/openapi.json`)).json());
 * templates['l2i'].inputs['tile_size'].constraints.multipleOf; // 8
 * ```
 */
export const templatesFromOpenApi = (openapi: unknown): NodeTemplates => {
  const components = isRecord(openapi) ? openapi['components'] : undefined;
  const schemas = isRecord(components) ? components['schemas'] : undefined;
  if (!isRecord(schemas)) {
    throw new TemplatesError('The OpenAPI document has no components.schemas; pass the InvokeAI server\'s /openapi.json.');
  }
  const templates: Record<string, NodeTemplate> = {};
  for (const schema of Object.values(schemas)) {
    if (!isRecord(schema) || schema['class'] !== 'invocation') continue;
    const template = nodeTemplate(schema, schemas);
    if (template !== undefined) templates[template.type] = template;
  }
  if (Object.keys(templates).length === 0) {
    throw new TemplatesError('The OpenAPI document has no invocation schemas (class: "invocation"); pass the InvokeAI server\'s /openapi.json.');
  }
  return templates;
};
