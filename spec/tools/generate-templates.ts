// Regenerates lib/workflow/templates-snapshot.json from an InvokeAI OpenAPI document.
// Usage: npx tsx spec/tools/generate-templates.ts [path/to/openapi.json]
// (default lib/testing/data/openapi.json). The snapshot test fails until this is rerun after the
// document or the derivation changes.

import { readFileSync, writeFileSync } from 'fs';
import { join, relative } from 'path';
import { templatesFromOpenApi } from '../../lib/workflow/templates';
import { compactTemplates, type TemplatesSnapshot } from '../../lib/workflow/offline-templates';

const root = join(__dirname, '..', '..');

/** The default OpenAPI document the shipped snapshot is made from. */
export const DEFAULT_OPENAPI = join(root, 'lib', 'testing', 'data', 'openapi.json');
/** Where the snapshot lives. */
export const SNAPSHOT_PATH = join(root, 'lib', 'workflow', 'templates-snapshot.json');

/** The snapshot file's text for an OpenAPI document: one node per line so that diffs stay readable. */
export const snapshotText = (openapiPath: string): string => {
  const openapi: unknown = JSON.parse(readFileSync(openapiPath, 'utf8'));
  const info = (openapi as { info?: { title?: unknown; version?: unknown } }).info;
  const source = `${String(info?.title ?? 'openapi')} ${String(info?.version ?? '')}`.trim();
  const snap: TemplatesSnapshot = compactTemplates(templatesFromOpenApi(openapi), source);
  const types = Object.keys(snap.nodes).sort();
  const lines = types.map((t) => `${JSON.stringify(t)}:${JSON.stringify(snap.nodes[t])}`);
  return `{"format":${snap.format},"source":${JSON.stringify(snap.source)},"nodes":{\n${lines.join(',\n')}\n}}\n`;
};

if (require.main === module) {
  const input = process.argv[2] ?? DEFAULT_OPENAPI;
  const text = snapshotText(input);
  writeFileSync(SNAPSHOT_PATH, text);
  console.log(`wrote ${relative(process.cwd(), SNAPSHOT_PATH)} (${text.length} bytes) from ${input}`);
}
