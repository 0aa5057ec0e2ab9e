// The node schemas the package ships for the simulator: InvokeAI's OpenAPI document cut to what
// the simulator reads. Everything it derives from them must be what the whole document gives.
import { readFileSync } from 'fs';
import * as path from 'path';
import { compactOpenApi, indexSchemas, loadDefaultOpenApi, type OpenApiDocument } from '../../lib/testing/openapi';
import { templatesFromOpenApi } from '../../lib/workflow/templates';
import type { NodeTemplates } from '../../lib/workflow/types';

const full = JSON.parse(readFileSync(path.join(__dirname, '../../lib/testing/data/openapi.json'), 'utf8')) as OpenApiDocument;
const compact = compactOpenApi(full);

/** Templates with the field descriptions left out (the compacted document has none). */
const withoutDescriptions = (templates: NodeTemplates) =>
  Object.fromEntries(Object.entries(templates).map(([type, t]) => [type, { ...t, inputs: Object.fromEntries(Object.entries(t.inputs).map(([n, f]) => [n, { ...f, description: '' }])) }]));

it('is well under half the document (minified), and keeps every invocation and output schema and every schema they reference', () => {
  const size = (d: unknown) => JSON.stringify(d).length;
  expect(size(compact)).toBeLessThan(size(full) * 0.4);
  const fullSchemas = full.components.schemas;
  const kept = compact.components.schemas;
  for (const [name, schema] of Object.entries(fullSchemas)) {
    if (schema.class === 'invocation' || schema.class === 'output') expect(kept[name]).toBeDefined();
  }
  const refs = JSON.stringify(kept).match(/"#\/components\/schemas\/[^"]+"/g) ?? [];
  const missing = [...new Set(refs.map((r) => r.slice('"#/components/schemas/'.length, -1)))].filter((name) => kept[name] === undefined);
  expect(missing).toEqual([]);
  // DTOs and routes are not the simulator's business.
  expect(kept['ImageDTO']).toBeUndefined();
  expect(compact['paths']).toBeUndefined();
});

it('drops description annotations but keeps a field named "description"', () => {
  expect(JSON.stringify(compact.components).match(/"description":"/g)?.length ?? 0).toBe(0);
  expect(JSON.stringify(full.components).match(/"description":"/g)?.length).toBeGreaterThan(1000);
  const withField = compactOpenApi({ components: { schemas: { XInvocation: { class: 'invocation', description: 'prose', properties: { description: { type: 'string', description: 'prose' } } } } } } as unknown as OpenApiDocument);
  expect(withField.components.schemas['XInvocation']).toEqual({ class: 'invocation', properties: { description: { type: 'string' } } });
});

it('gives the same node templates as the whole document, descriptions aside', () => {
  expect(templatesFromOpenApi(compact)).toEqual(withoutDescriptions(templatesFromOpenApi(full)));
});

it('indexes the same node types with the same inputs and outputs', () => {
  const a = indexSchemas(compact);
  const b = indexSchemas(full);
  expect([...a.nodes.keys()]).toEqual([...b.nodes.keys()]);
  for (const [type, node] of a.nodes) {
    expect(Object.keys(node.schema.properties ?? {})).toEqual(Object.keys(b.nodes.get(type)!.schema.properties ?? {}));
    expect(node.outputName).toBe(b.nodes.get(type)!.outputName);
  }
});

it('is what the simulator loads', () => {
  // toBe on the verdict: a failing toEqual would print megabytes.
  expect(JSON.stringify(loadDefaultOpenApi()) === JSON.stringify(compact)).toBe(true);
});
