// InvokeAI's own templates as the library ships them (invokeai-rx/templates), and the default they are
// where a loader is given none: in Node, not in a browser bundle.
import { readFileSync } from 'fs';
import { join } from 'path';
import { isLeft } from 'fp-ts/Either';
import { compactTemplates, expandTemplates, templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import { templatesFromOpenApi } from '../../lib/workflow/templates';
import { defaultTemplates } from '../../lib/workflow/default-templates';
import { DEFAULT_OPENAPI, SNAPSHOT_PATH, snapshotText } from '../tools/generate-templates';
import type * as WorkflowModule from '../../lib/workflow/workflow';

const openapi: unknown = JSON.parse(readFileSync(DEFAULT_OPENAPI, 'utf8'));
const derived = templatesFromOpenApi(openapi);
const SDXL = readFileSync(join(__dirname, '..', 'fixtures', 'default-workflows', 'Text to Image - SDXL.json'), 'utf8');

describe('offlineTemplates (the shipped snapshot)', () => {
  it('is current: regenerating from lib/testing/data/openapi.json gives the same file (else run `npx tsx spec/tools/generate-templates.ts`)', () => {
    expect(readFileSync(SNAPSHOT_PATH, 'utf8')).toBe(snapshotText(DEFAULT_OPENAPI));
  });

  it('holds the derived templates with descriptions left out', () => {
    const noDescriptions = JSON.parse(
      JSON.stringify(derived, (key, value: unknown) => (key === 'description' ? '' : value)),
    ) as unknown;
    expect(offlineTemplates).toEqual(noDescriptions);
    expect(expandTemplates(compactTemplates(offlineTemplates, 'x'))).toEqual(offlineTemplates);
  });

  it('is small enough to ship in a browser bundle (< 300 KB)', () => {
    expect(readFileSync(join(SNAPSHOT_PATH), 'utf8').length).toBeLessThan(300_000);
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(offlineTemplates)).toBe(true);
    expect(Object.isFrozen(offlineTemplates['l2i']?.inputs['tile_size']?.constraints)).toBe(true);
  });
});

describe('the default templates of a loader', () => {
  it('are the offline templates (outside a browser bundle)', () => {
    expect(defaultTemplates).toBe(offlineTemplates);
  });

  it('are none in a browser bundle: loading without templates is a WorkflowDecodeError that says where to get them', () => {
    // What a browser bundle gets through the package's `browser` field: no-default-templates.ts.
    jest.isolateModules(() => {
      jest.doMock('../../lib/workflow/default-templates', () => jest.requireActual('../../lib/workflow/no-default-templates'));
      const { Workflow } = jest.requireActual<typeof WorkflowModule>('../../lib/workflow/workflow');
      const decoded = Workflow.decodeJson(SDXL);
      expect(isLeft(decoded) && decoded.left.issues).toEqual([{ path: '$', message: expect.stringContaining("import { templates } from 'invokeai-rx/templates'") }]);
      expect(() => Workflow.fromJson(SDXL)).toThrow(/serverTemplates\(client\)/);
      expect(Workflow.fromJson(SDXL, { templates: offlineTemplates }).templates).toBe(offlineTemplates);
    });
  });
});
