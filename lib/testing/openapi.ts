/** Access to InvokeAI's OpenAPI node schemas: which node types exist, their inputs and their outputs. */
import * as fs from 'fs';
import * as path from 'path';

/** A JSON-schema fragment as found in InvokeAI's OpenAPI document (decode boundary: shapes vary). */
export interface JsonSchema {
  readonly type?: string;
  readonly $ref?: string;
  readonly anyOf?: ReadonlyArray<JsonSchema>;
  readonly oneOf?: ReadonlyArray<JsonSchema>;
  readonly allOf?: ReadonlyArray<JsonSchema>;
  readonly enum?: ReadonlyArray<unknown>;
  readonly const?: unknown;
  readonly items?: JsonSchema;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: ReadonlyArray<string>;
  readonly default?: unknown;
  readonly orig_required?: boolean;
  readonly orig_default?: unknown;
  readonly field_kind?: string;
  readonly input?: string;
  readonly class?: string;
  readonly output?: JsonSchema;
  readonly title?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly additionalProperties?: JsonSchema | boolean;
}

/** The OpenAPI document shape we rely on. */
export interface OpenApiDocument {
  readonly components: { readonly schemas: Readonly<Record<string, JsonSchema>> };
  readonly [key: string]: unknown;
}

/** One invocation (node) type: its schema name, input schema and output schema. */
export interface NodeSchema {
  readonly type: string;
  readonly schemaName: string;
  readonly schema: JsonSchema;
  readonly output: JsonSchema | undefined;
  readonly outputName: string | undefined;
}

/** Index over an OpenAPI document's invocation schemas. */
export interface SchemaIndex {
  readonly document: OpenApiDocument;
  readonly nodes: ReadonlyMap<string, NodeSchema>;
  resolve(schema: JsonSchema): JsonSchema;
  refName(schema: JsonSchema): string | undefined;
}

/** The shipped OpenAPI document could not be found; pass `openapi` to `startMockServer` instead. */
export class OpenApiNotFoundError extends Error {
  override readonly name = 'OpenApiNotFoundError';
  constructor(tried: ReadonlyArray<string>) {
    super(`InvokeAI's openapi.json was not found (tried ${tried.join(', ')}). Pass the document as the \`openapi\` option of startMockServer.`);
  }
}

/** Where the shipped InvokeAI OpenAPI document may be: next to this module (source) or the bundle (`dist/data`). */
const openApiCandidates = (): ReadonlyArray<string> => {
  // __dirname does not exist in an ES module bundle; fall back to the working directory
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [path.join(here, 'data', 'openapi.json'), path.join(here, 'testing', 'data', 'openapi.json'), path.join(here, '..', 'lib', 'testing', 'data', 'openapi.json')];
};

let cachedDefault: OpenApiDocument | undefined;

/** Loads the shipped InvokeAI OpenAPI document (cached: it is 3 MB). */
export const loadDefaultOpenApi = (): OpenApiDocument => {
  if (!cachedDefault) {
    const candidates = openApiCandidates();
    const found = candidates.find((c) => fs.existsSync(c));
    if (!found) throw new OpenApiNotFoundError(candidates);
    // decode boundary: the shipped file is trusted data
    cachedDefault = JSON.parse(fs.readFileSync(found, 'utf8')) as OpenApiDocument;
  }
  return cachedDefault;
};

const indexCache = new WeakMap<OpenApiDocument, SchemaIndex>();

/** Builds (and caches per document) the node-type index of an OpenAPI document. */
export const indexSchemas = (document: OpenApiDocument): SchemaIndex => {
  const cached = indexCache.get(document);
  if (cached) return cached;
  const schemas = document.components.schemas;
  const refName = (s: JsonSchema): string | undefined => (s.$ref ? s.$ref.split('/').pop() : undefined);
  const resolve = (s: JsonSchema): JsonSchema => {
    let cur = s;
    for (let i = 0; i < 10 && cur.$ref; i++) cur = schemas[refName(cur) ?? ''] ?? {};
    return cur;
  };
  const nodes = new Map<string, NodeSchema>();
  for (const [schemaName, schema] of Object.entries(schemas)) {
    if (schema.class !== 'invocation') continue;
    const typeConst = schema.properties?.type?.const ?? schema.properties?.type?.default;
    if (typeof typeConst !== 'string') continue;
    const outputName = schema.output ? refName(schema.output) : undefined;
    nodes.set(typeConst, {
      type: typeConst,
      schemaName,
      schema,
      output: outputName ? schemas[outputName] : undefined,
      outputName,
    });
  }
  const index: SchemaIndex = { document, nodes, resolve, refName };
  indexCache.set(document, index);
  return index;
};

/** The non-null alternatives of a field schema (`anyOf: [X, null]` → `[X]`). */
export const nonNullAlternatives = (s: JsonSchema): ReadonlyArray<JsonSchema> => {
  const alts = s.anyOf ?? s.oneOf;
  if (!alts) return [s];
  return alts.filter((a) => a.type !== 'null');
};

/** Whether a field schema admits null. */
export const isNullable = (s: JsonSchema): boolean =>
  (s.anyOf ?? s.oneOf ?? []).some((a) => a.type === 'null') || s.type === 'null';
