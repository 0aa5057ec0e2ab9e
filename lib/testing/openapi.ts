/** Access to InvokeAI's OpenAPI node schemas: which node types exist, their inputs and their outputs. */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

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

/** The shipped node schemas could not be found; pass an OpenAPI document as `openapi` to `startMockServer` instead. */
export class OpenApiNotFoundError extends Error {
  override readonly name = 'OpenApiNotFoundError';
  constructor(tried: ReadonlyArray<string>) {
    super(`InvokeAI's openapi.json was not found (tried ${tried.join(', ')}). Pass the document as the \`openapi\` option of startMockServer.`);
  }
}

/**
 * The file the package ships in `dist/data`: InvokeAI's node schemas, compacted (`compactOpenApi`)
 * and gzipped (about 45 kB, where the whole document is 3 MB).
 */
export const SHIPPED_SCHEMAS_FILE = 'node-schemas.json.gz';

/** Where the node schemas may be: beside the bundle (`dist/data`, compacted) or in the source tree (the whole document). */
const openApiCandidates = (): ReadonlyArray<{ readonly file: string; readonly compacted: boolean }> => {
  // __dirname does not exist in an ES module bundle; fall back to the working directory
  const here = typeof __dirname === 'string' ? __dirname : process.cwd();
  return [
    { file: path.join(here, 'data', SHIPPED_SCHEMAS_FILE), compacted: true },
    { file: path.join(here, 'data', 'openapi.json'), compacted: false },
    { file: path.join(here, 'testing', 'data', 'openapi.json'), compacted: false },
    { file: path.join(here, '..', 'lib', 'testing', 'data', 'openapi.json'), compacted: false },
  ];
};

/** Every `$ref` target named inside a schema. */
const refsOf = (schema: unknown, into: Set<string>): void => {
  if (Array.isArray(schema)) for (const s of schema) refsOf(s, into);
  else if (typeof schema === 'object' && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$ref' && typeof value === 'string') into.add(value.slice(value.lastIndexOf('/') + 1));
      else refsOf(value, into);
    }
  }
};

/** A schema without its prose: `description` annotations go (a property named "description" is an object and stays). */
const withoutDescriptions = (schema: unknown): unknown => {
  if (Array.isArray(schema)) return schema.map(withoutDescriptions);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'description' && typeof value === 'string') continue;
    out[key] = withoutDescriptions(value);
  }
  return out;
};

/**
 * What the simulator needs of an OpenAPI document: the invocation and output schemas and every
 * schema they reference, without descriptions. Graph validation, node execution and the node
 * templates read from its `/openapi.json` are the same as with the whole document.
 */
export const compactOpenApi = (document: OpenApiDocument): OpenApiDocument => {
  const schemas = document.components.schemas;
  const wanted = new Set(Object.keys(schemas).filter((name) => schemas[name]?.class === 'invocation' || schemas[name]?.class === 'output'));
  for (let pending = [...wanted]; pending.length > 0; ) {
    const found = new Set<string>();
    for (const name of pending) refsOf(schemas[name], found);
    pending = [...found].filter((name) => !wanted.has(name) && schemas[name] !== undefined);
    for (const name of pending) wanted.add(name);
  }
  const kept: Record<string, JsonSchema> = {};
  for (const name of Object.keys(schemas)) if (wanted.has(name)) kept[name] = withoutDescriptions(schemas[name]) as JsonSchema;
  return { openapi: document['openapi'], info: document['info'], components: { schemas: kept } };
};

let cachedDefault: OpenApiDocument | undefined;

/** Loads the node schemas of the InvokeAI version the simulator mimics (cached; compacted as the package ships them). */
export const loadDefaultOpenApi = (): OpenApiDocument => {
  if (!cachedDefault) {
    const candidates = openApiCandidates();
    const found = candidates.find((c) => fs.existsSync(c.file));
    if (!found) throw new OpenApiNotFoundError(candidates.map((c) => c.file));
    // decode boundary: the shipped file is trusted data
    cachedDefault = found.compacted
      ? (JSON.parse(zlib.gunzipSync(fs.readFileSync(found.file)).toString('utf8')) as OpenApiDocument)
      : compactOpenApi(JSON.parse(fs.readFileSync(found.file, 'utf8')) as OpenApiDocument);
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
