import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import { WorkflowDecodeError } from '../../lib/workflow/errors';
import { listInputs, setInput } from '../../lib/workflow/inputs';
import { Workflow, workflowWarnings } from '../../lib/workflow/workflow';
import { catchError, deepFreeze, fixtureNames, readFixture, readFixtureText, smallTemplates, smallWorkflow } from './helpers';
import { pathsOf, setAt } from '../fuzz/mutate';
import { defaultWorkflow, seedWorkflow } from './workflow-fixtures';

const decodeError = (f: () => unknown): WorkflowDecodeError => catchError(WorkflowDecodeError, f);
const values = (wf: WorkflowValue) => listInputs(wf).map((i) => [i.nodeId, i.fieldName, i.value]);
type WorkflowValue = ReturnType<typeof Workflow.fromJson>;

const ALL = [
  ...fixtureNames('default-workflows').map((f) => ['default-workflows', f] as const),
  ...fixtureNames('seed-workflows').map((f) => ['seed-workflows', f] as const),
];

/** What loading InvokeAI 6.14's own default workflows with its templates reports, as the GUI reports it. */
const SHIPPED_WARNINGS: Readonly<Record<string, readonly string[]>> = {
  'ESRGAN Upscaling with Canny ControlNet.json': ['unknown-node-type canny_image_processor'],
  'Face Detailer with IP-Adapter & Canny (See Note in Details).json': ['unknown-node-type canny_image_processor'],
  'Multi ControlNet (Canny & Depth).json': ['unknown-node-type canny_image_processor', 'unknown-node-type midas_depth_image_processor'],
  'FLUX Image to Image.json': ['node-not-updated FLUX Denoise'],
  'Flux Text to Image.json': ['node-not-updated FLUX Denoise'],
};

describe('Workflow.fromJson on real files', () => {
  it('finds the 26 default and 5 seed workflows', () => {
    expect(ALL.filter(([d]) => d === 'default-workflows')).toHaveLength(26);
    expect(ALL.filter(([d]) => d === 'seed-workflows')).toHaveLength(5);
  });

  it.each(ALL)('%s/%s decodes, exports 4.0.0 and round-trips its inputs', (dir, name) => {
    const text = readFixtureText(dir, name);
    const wf = Workflow.fromJson(text);
    expect(wf._tag).toBe('Workflow');
    expect(Object.isFrozen(wf.json.nodes)).toBe(true);
    const exported = Workflow.toObject(wf);
    expect(exported.meta.version).toBe('4.0.0');
    const again = Workflow.fromObject(JSON.parse(Workflow.toJson(wf)));
    expect(values(again)).toEqual(values(wf));
    expect(again.json).toEqual(wf.json);
    // Nothing in the shipped files needs repairing, but InvokeAI 6.14's templates lack a few of its
    // own default workflows' node types, and are a newer major version of their FLUX denoise node.
    expect(workflowWarnings(wf).map((w) => `${w.code} ${w.message.replace(/^node "([^"]*)".*$/, '$1')}`).sort()).toEqual(SHIPPED_WARNINGS[name] ?? []);
    // Same node, edge and input sets as the file.
    const raw = JSON.parse(text);
    expect(wf.json.nodes.map((n) => n.id)).toEqual(raw.nodes.map((n: { id: string }) => n.id));
    expect(wf.json.edges).toHaveLength(raw.edges.length);
  });

  it('normalises what real files contain: value null, missing description and nodePack, hidden and collapsed edges', () => {
    const wf = defaultWorkflow('Image to Video - Wan 2.2 TI2V-5B (Low Quality)');
    const loader = wf.json.nodes.find((n) => n.type === 'invocation' && n.data.type === 'wan_model_loader');
    expect(loader?.type === 'invocation' && 'value' in loader.data.inputs.model).toBe(false);
    const sd15 = defaultWorkflow('Text to Image - SD1.5');
    for (const n of sd15.json.nodes) {
      if (n.type !== 'invocation') continue;
      for (const i of Object.values(n.data.inputs)) expect(typeof i.description).toBe('string');
    }
    const all = ALL.map(([d, f]) => Workflow.fromJson(readFixtureText(d, f)));
    expect(all.some((w) => w.json.edges.some((e) => e.type === 'collapsed'))).toBe(true);
    expect(all.some((w) => w.json.edges.some((e) => e.type === 'default' && e.hidden === true))).toBe(true);
    expect(all.some((w) => w.json.nodes.some((n) => n.type === 'notes'))).toBe(true);
  });

  it('keeps unknown top-level keys through a round trip', () => {
    const refine = seedWorkflow('sdxl-flux-refine');
    expect(Workflow.toObject(refine).is_published).toBe(JSON.parse(readFixtureText('seed-workflows', 'sdxl-flux-refine.json')).is_published);
    const small = Workflow.fromObject(smallWorkflow(), { templates: smallTemplates });
    expect(JSON.parse(Workflow.toJson(small)).custom_top_level).toEqual({ kept: [1, 2] });
  });

  it('exports the current values, loadable again', () => {
    const wf = setInput('Positive Prompt', 'a lighthouse')(defaultWorkflow('Text to Image - SD1.5'));
    const text = Workflow.toJson(wf);
    expect(text).toContain('"a lighthouse"');
    expect(listInputs(Workflow.fromJson(text))[1].value).toBe('a lighthouse');
  });

  it('never changes the object it decodes, even a deeply frozen one, and never freezes it', () => {
    const frozen = deepFreeze(readFixture('default-workflows', 'Tiled Upscaling (Beta).json'));
    const before = JSON.parse(JSON.stringify(frozen));
    Workflow.fromObject(frozen);
    expect(frozen).toEqual(before);
    const open = readFixture('seed-workflows', 'sdxl-text-to-image.json');
    const wf = Workflow.fromObject(open);
    expect(Object.isFrozen(open)).toBe(false);
    expect(Object.isFrozen((open as { nodes: object[] }).nodes[0])).toBe(false);
    expect(Object.isFrozen(wf.json.nodes[0])).toBe(true);
    expect(Object.isFrozen(wf)).toBe(true);
  });

  it('decode returns an Either', () => {
    expect(E.isRight(Workflow.decode(smallWorkflow(), { templates: smallTemplates }))).toBe(true);
    const bad = Workflow.decode(42);
    expect(E.isLeft(bad) && bad.left).toBeInstanceOf(WorkflowDecodeError);
  });
});

describe('bad input gives a WorkflowDecodeError with a JSON path', () => {
  const mutate = (f: (w: any) => void) => {
    const w = smallWorkflow();
    f(w);
    return w;
  };
  const cases: [string, () => unknown, string, RegExp][] = [
    ['non-JSON text', () => Workflow.fromJson('{"nodes": ['), '$', /not JSON/],
    ['a JSON array', () => Workflow.fromJson('[1,2]'), '$', /expected a workflow object, got an array/],
    ['no meta', () => Workflow.fromObject(mutate((w) => delete w.meta)), '$.meta', /expected/],
    ['unknown schema version', () => Workflow.fromObject(mutate((w) => (w.meta.version = '5.0.0'))), '$.meta.version', /unknown workflow schema version "5.0.0"/],
    ['nodes not an array', () => Workflow.fromObject(mutate((w) => (w.nodes = {}))), '$.nodes', /expected/],
    ['a node without data.type', () => Workflow.fromObject(mutate((w) => delete w.nodes[1].data.type)), '$.nodes[1].data.type', /expected/],
    ['an input that is not an object', () => Workflow.fromObject(mutate((w) => (w.nodes[0].data.inputs.seed = 3))), '$.nodes[0].data.inputs.seed', /expected/],
    ['an unknown node type', () => Workflow.fromObject(mutate((w) => (w.nodes[2].type = 'group'))), '$.nodes[2]', /expected/],
    ['an edge without handles', () => Workflow.fromObject(mutate((w) => delete w.edges[0].targetHandle)), '$.edges[0].targetHandle', /expected/],
    ['duplicate node ids', () => Workflow.fromObject(mutate((w) => (w.nodes[2].id = 'a'))), '$.nodes[2].id', /duplicate node id "a"/],
    ['a function inside', () => Workflow.fromObject(mutate((w) => (w.nodes[0].data.inputs.seed.value = () => 1))), '$.nodes[0].data.inputs.seed.value', /not JSON data/],
  ];
  it.each(cases)('%s', (_, run, path, message) => {
    const err = decodeError(run);
    expect(err.name).toBe('WorkflowDecodeError');
    expect(err.issues.map((i) => i.path)).toContain(path);
    const issue = err.issues.find((i) => i.path === path)!;
    expect(issue.message).toMatch(message);
    expect(err.message).toContain(path);
  });

  it('reports every structural problem at once', () => {
    const err = decodeError(() =>
      Workflow.fromObject(
        mutate((w) => {
          delete w.nodes[0].data.inputs;
          w.edges[0].id = 7;
        }),
      ),
    );
    expect(err.issues.map((i) => i.path)).toEqual(expect.arrayContaining(['$.nodes[0].data.inputs', '$.edges[0].id']));
  });

  it('a cyclic object is an error, not a stack overflow', () => {
    const w: any = smallWorkflow();
    w.nodes[0].data.inputs.seed.value = w;
    expect(decodeError(() => Workflow.fromObject(w)).issues[0].path).toBe('$.nodes[0].data.inputs.seed.value');
  });
});

describe('decoding mutated real workflows only ever gives a Workflow or a WorkflowDecodeError', () => {
  const replacement = fc.oneof(
    fc.constant(undefined), // deletion
    fc.constant(null),
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 4 }),
    fc.boolean(),
    fc.constant([]),
    fc.constant({}),
    fc.constantFrom('4.0.0', '1.0.0', '2.0.0', 'invocation', 'connector', 'notes', 'default', 'collapsed', 'container', 'node-field', 'root', 'a'),
  );
  const check = (base: unknown, runs: number, options?: Parameters<typeof Workflow.decode>[1]) => {
    const paths = pathsOf(base);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(paths.length - 1), replacement), { minLength: 1, maxLength: 3 }), (mutations) => {
        let value = base;
        for (const [p, v] of mutations) value = setAt(value, paths[p], v);
        const r = Workflow.decode(value, options);
        if (E.isLeft(r)) {
          // Plain checks: jest's expect is too slow for ten thousand cases.
          if (!(r.left instanceof WorkflowDecodeError)) throw new Error(`not a WorkflowDecodeError: ${String(r.left)}`);
          if (r.left.issues.length === 0 || !r.left.issues.every((i) => i.path.startsWith('$'))) {
            throw new Error(`issues without a path: ${r.left.message}`);
          }
        } else {
          // A decoded workflow is usable: its inputs list and its export work.
          listInputs(r.right);
          Workflow.toJson(r.right);
        }
      }),
      { numRuns: runs },
    );
  };

  it('10,000 mutations of a small workflow', () => {
    check(deepFreeze(smallWorkflow()), 10_000, { templates: smallTemplates });
  });

  it.each([
    ['seed-workflows', 'sdxl-text-to-image.json'],
    ['default-workflows', 'Text to Image - SDXL.json'],
    ['default-workflows', 'Image to Video - Wan 2.2 TI2V-5B (Low Quality).json'],
  ])('300 mutations of %s/%s', (dir, name) => {
    check(deepFreeze(readFixture(dir, name)), 300);
  });
});
