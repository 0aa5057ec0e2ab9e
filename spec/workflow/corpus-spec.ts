// 178 real workflow files that no one here wrote (spec/fixtures/corpus; sources and licences in its
// README), run through the library as InvokeAI's GUI (6.14) runs them:
// - every file decodes, or is refused, exactly as the GUI decodes or refuses it;
// - for every file whose node types the shipped templates know: the inputs are the GUI's form (same
//   fields, same order), `validateWorkflow` reports the blockers the GUI shows, and once models and
//   images are picked, a workflow the GUI would invoke builds a batch whose graph passes InvokeAI's
//   node schemas (the simulator's validator over the shipped openapi.json), while one the GUI would
//   not invoke is refused by `validateWorkflow` too;
// - the faults found when the corpus was first run stay fixed (named below).
// What the GUI shows is worked out by `gui-oracle.ts`, from the GUI's rules, without the library.

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as E from 'fp-ts/Either';
import { BatchError, buildBatch } from '../../lib/workflow/batch';
import type { InputIssue, WorkflowDecodeError } from '../../lib/workflow/errors';
import { exposeInput } from '../../lib/workflow/expose';
import { buildGraph } from '../../lib/workflow/graph';
import { connectedInputs, fieldKey, listInputs, withInputValues } from '../../lib/workflow/inputs';
import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';
import type { Workflow } from '../../lib/workflow/workflow';
import { updateNodes } from '../../lib/workflow/update-nodes';
import { validateWorkflow } from '../../lib/workflow/validate';
import { makeWorkflow, Workflow as Workflows, workflowWarnings } from '../../lib/workflow/workflow';
import { indexSchemas, loadDefaultOpenApi } from '../../lib/testing/openapi';
import { validateEnqueueBody } from '../../lib/testing/validate';
import { guiBlockers, guiForm } from './gui-oracle';
import { catchError, FIXTURES } from './helpers';

const CORPUS = path.join(FIXTURES, 'corpus');
const FILES: readonly string[] = fs
  .readdirSync(CORPUS)
  .filter((d) => fs.statSync(path.join(CORPUS, d)).isDirectory())
  .flatMap((d) => fs.readdirSync(path.join(CORPUS, d)).filter((f) => f.endsWith('.json')).map((f) => `${d}/${f}`))
  .sort();

type Json = Record<string, any>;
const text = (file: string): string => fs.readFileSync(path.join(CORPUS, file), 'utf8');
const raw = (file: string): Json => JSON.parse(text(file));

const decoded = new Map<string, E.Either<WorkflowDecodeError, Workflow>>(FILES.map((f) => [f, Workflows.decodeJson(text(f))]));
const loaded = (file: string): Workflow => {
  const r = decoded.get(file)!;
  if (E.isLeft(r)) throw r.left;
  return r.right;
};
const DECODED = FILES.filter((f) => E.isRight(decoded.get(f)!));
/** The files whose every node type the shipped (6.14) templates know: the GUI's form, blockers and graph are defined for them. */
const KNOWN = DECODED.filter((f) => loaded(f).json.nodes.every((n) => n.type !== 'invocation' || offlineTemplates[n.data.type] !== undefined));

/** The five files the GUI refuses, and the JSON path of the reason: no `meta.version` (pre-1.0 exports), or a category it does not have. */
const REFUSED: Readonly<Record<string, string>> = {
  'helix4u-load_video_frame/Example_Workflow3_0.vnone.6ed6e96a.json': '$.meta',
  'invokeai-default-workflows/Text_to_Image_SD15.v2.0.0.d660c576.json': '$.meta.category',
  'invokeai-docs-graphs/sdxl-base-example1.vnone.af162ba3.json': '$.meta',
  'invokeai-docs-graphs/sdxl-base-refine-example1.vnone.6935c15f.json': '$.meta',
  'skunkworxdark-xygrid_nodes/XY-Grid-Example2.vnone.f0ec6f99.json': '$.meta',
};

/** The one place the library reports more than the GUI, and why the library is right to. */
const BLOCKERS_BEYOND_THE_GUI: Readonly<Record<string, readonly string[]>> = {
  // A hand-written quiz node without an instance for its required `default_value`: the GUI checks only
  // the inputs a node has, so it would enqueue the graph, and the node would fail on the server.
  'pfannkuchensack-invoke_workflow_quiz/quiz-sd-flux-redux-medium.v3.0.0.60236916.json': ['field:metadata_to_string.default_value'],
};

/** A GUI blocker key for each issue (`gui-oracle.ts` names them). */
const blockerKey = (i: InputIssue): string => {
  switch (i.code) {
    case 'no-nodes':
      return 'no-nodes';
    case 'batch-not-connected':
      return `batch:${i.ref}`;
    case 'unknown-node-type':
    case 'node-version':
      return `node:${i.ref}`;
    case 'unknown-field':
      return `node:${i.ref.slice(0, i.ref.lastIndexOf('.'))}`;
    default:
      return `field:${i.ref}`;
  }
};
const issuesOf = (wf: Workflow): readonly InputIssue[] => {
  const r = validateWorkflow(wf);
  return E.isLeft(r) ? r.left : [];
};

/** Picks what a GUI user picks before invoking: a model for each required model input, an image (or video) for each required image input. */
const pickModelsAndImages = (wf: Workflow): Workflow => {
  const connected = connectedInputs(wf.json.edges);
  const nodes = wf.json.nodes.map((n) => {
    if (n.type !== 'invocation') return n;
    const template = wf.templates[n.data.type];
    if (template === undefined) return n;
    const edits: { fieldName: string; value: unknown }[] = [];
    for (const f of Object.values(template.inputs)) {
      const value = n.data.inputs[f.name]?.value;
      const unset = value === undefined || (Array.isArray(value) && value.length === 0);
      if (!f.required || !unset || connected.has(fieldKey(n.id, f.name))) continue;
      const { modelBase, modelType } = f.constraints;
      if (f.kind === 'model') edits.push({ fieldName: f.name, value: { key: `picked-${f.name}`, hash: 'blake3:picked', name: 'picked', base: modelBase?.[0] ?? 'any', type: modelType?.[0] ?? 'main' } });
      else if (f.kind === 'image') edits.push({ fieldName: f.name, value: { image_name: 'picked.png' } });
      else if (f.kind === 'video') edits.push({ fieldName: f.name, value: { video_name: 'picked.mp4' } });
      else if (f.kind === 'collection' && f.itemKind === 'image') edits.push({ fieldName: f.name, value: [{ image_name: 'picked.png' }] });
    }
    return edits.length > 0 ? withInputValues(n, edits) : n;
  });
  return makeWorkflow({ ...wf.json, nodes }, wf.templates);
};

const index = indexSchemas(loadDefaultOpenApi());
const passesNodeSchemas = (wf: Workflow): { ok: boolean; detail: string } => {
  const res = validateEnqueueBody(index, { batch: buildBatch(wf, { newId: () => 'graph' }), prepend: false }, () => 'batch');
  return { ok: res.ok, detail: res.ok ? '' : JSON.stringify(res.issues.slice(0, 3)) };
};
const hasOutdatedNode = (wf: Workflow): boolean => issuesOf(wf).some((i) => i.code === 'node-version');
/** The workflow as the user runs it: outdated nodes replaced by `updateNodes` (the GUI's user replaces them by hand), models and images picked. */
const readyToRun = (file: string): Workflow => {
  const wf = loaded(file);
  return pickModelsAndImages(hasOutdatedNode(wf) ? updateNodes(wf).workflow : wf);
};

describe('the corpus', () => {
  it('holds 178 files, each the git blob its README names (the quiz files: the workflow extracted from the named blob)', () => {
    expect(FILES).toHaveLength(178);
    const rows = fs
      .readFileSync(path.join(CORPUS, 'README.md'), 'utf8')
      .split('\n')
      .filter((l) => /^\| [a-z0-9_-]+\/.*\.json \|/.test(l))
      .map((l) => l.split('|').map((c) => c.trim()));
    expect(rows.map((r) => r[1]).sort()).toEqual(FILES);
    for (const [, file, , , , blob] of rows) {
      const bytes = fs.readFileSync(path.join(CORPUS, file!));
      const hash = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
      if (file!.startsWith('pfannkuchensack-invoke_workflow_quiz/')) expect(hash).not.toBe(blob);
      else expect({ file, hash }).toEqual({ file, hash: blob });
    }
  });

  it('decodes 173 files and refuses the 5 the GUI refuses, each for the GUI\'s reason', () => {
    expect(DECODED).toHaveLength(173);
    const refused = FILES.filter((f) => !DECODED.includes(f));
    expect(refused).toEqual(Object.keys(REFUSED).sort());
    for (const f of refused) {
      const r = decoded.get(f)!;
      expect(E.isLeft(r) && r.left.issues.map((i) => i.path)).toEqual([REFUSED[f]]);
    }
  });

  it('knows every node type of 86 files (the others use node packs the server lacks)', () => {
    expect(KNOWN).toHaveLength(86);
  });
});

describe('as the GUI shows them (files whose node types the templates know)', () => {
  it.each(KNOWN)('%s: the inputs are the GUI\'s form, field for field and in its order', (file) => {
    expect(listInputs(loaded(file)).map((i) => `${i.nodeId}.${i.fieldName}`)).toEqual(guiForm(raw(file), offlineTemplates));
  });

  it.each(KNOWN)('%s: validateWorkflow reports the blockers the GUI shows', (file) => {
    const wf = loaded(file);
    const ours = [...new Set(issuesOf(wf).map(blockerKey))].sort();
    const gui = [...guiBlockers(wf.json as Json, offlineTemplates), ...(BLOCKERS_BEYOND_THE_GUI[file] ?? [])].sort();
    expect(ours).toEqual(gui);
  });

  it.each(KNOWN)('%s: runs as the GUI would once models and images are picked, its graph passing InvokeAI\'s node schemas', (file) => {
    const wf = readyToRun(file);
    const guiWouldRun = guiBlockers(wf.json as Json, offlineTemplates).size === 0;
    const ours = issuesOf(wf);
    if (guiWouldRun && BLOCKERS_BEYOND_THE_GUI[file] === undefined) {
      expect(ours).toEqual([]);
      expect(passesNodeSchemas(wf)).toEqual({ ok: true, detail: '' });
    } else {
      expect(ours).not.toEqual([]);
    }
  });
});

describe('the faults the corpus showed, fixed', () => {
  it('1. an edge into a field its node type no longer has is deleted on load, with a warning, and the rest runs', () => {
    const file = 'invokeai-7-default-workflows/Extend_Video_-_Wan_2.2_Lightning.v4.0.0.fe888c35.json';
    const wf = loaded(file);
    const removed = workflowWarnings(wf).filter((w) => w.code === 'edge-removed');
    expect(removed.map((w) => w.message)).toEqual([
      expect.stringMatching(/^invalid edge \S+\.width -> 52e0f43e-\S+\.width deleted: node "52e0f43e-\S+" \(extract_video_range\) has no input "width"$/),
      expect.stringMatching(/^invalid edge \S+\.height -> 52e0f43e-\S+\.height deleted: node "52e0f43e-\S+" \(extract_video_range\) has no input "height"$/),
    ]);
    expect(raw(file).edges).toHaveLength(wf.json.edges.length + 2);
    expect(buildGraph(wf).edges.filter((e) => e.destination.node_id.startsWith('52e0f43e'))).not.toContainEqual(expect.objectContaining({ destination: expect.objectContaining({ field: 'width' }) }));
    expect(passesNodeSchemas(readyToRun(file)).ok).toBe(true);
  });

  it('2. a form field its node type no longer has is left out of the form, with a warning', () => {
    const file = 'invokeai-default-workflows/Flux_Text_to_Image.v3.0.0.4be8ebf0.json';
    const exposed = (raw(file).exposedFields as Json[]).map((f) => `${f.nodeId}.${f.fieldName}`);
    expect(exposed).toContain('7187b891-8b9e-41f2-bad0-579c14c92faf.positive_prompt');
    const wf = loaded(file);
    expect(listInputs(wf).map((i) => `${i.nodeId}.${i.fieldName}`)).not.toContain('7187b891-8b9e-41f2-bad0-579c14c92faf.positive_prompt');
    expect(listInputs(wf).every((i) => i.kind !== 'unknown')).toBe(true);
    expect(workflowWarnings(wf)).toContainEqual(
      expect.objectContaining({ code: 'exposed-field-skipped', message: expect.stringMatching(/7187b891-\S+\.positive_prompt left out of the form: its node type has no input "positive_prompt"/) }),
    );
  });

  it('3. a sweep over a batch node\'s input is refused with INVALID_SWEEP, never sent for a node the graph lacks', () => {
    const wf = exposeInput('image_batch.images')(loaded('pfannkuchensack-invoke_workflow_quiz/quiz-flux-img2img-hard.v3.0.0.d96e4bd7.json'));
    const images = [[{ image_name: 'a.png' }], [{ image_name: 'b.png' }]];
    const error = catchError(BatchError, () => buildBatch(wf, { sweep: { values: { 'image_batch.images': images } } }));
    expect(error.reason).toBe('INVALID_SWEEP');
    expect(error.message).toMatch(/belongs to a image_batch node, which never reaches the server/);
  });

  it('4. a schema 1.0.0 node without useCache runs with use_cache true, as the GUI\'s v1 schema defaults it', () => {
    const cases = DECODED.filter((f) => raw(f).meta?.version === '1.0.0').flatMap((f) =>
      (raw(f).nodes as Json[])
        .filter((n) => n.type === 'invocation' && n.data.useCache === undefined && offlineTemplates[n.data.type]?.useCache === false)
        .map((n) => ({ file: f, id: n.id as string, type: n.data.type as string })),
    );
    expect(new Set(cases.map((c) => c.file)).size).toBe(10);
    expect([...new Set(cases.map((c) => c.type))].sort()).toEqual(['collect', 'iterate', 'rand_int', 'random_range']);
    for (const c of cases) {
      const node = loaded(c.file).json.nodes.find((n) => n.id === c.id);
      expect({ ...c, useCache: node?.type === 'invocation' && node.data.useCache }).toEqual({ ...c, useCache: true });
      expect(buildGraph(loaded(c.file)).nodes[c.id]).toMatchObject({ use_cache: true });
    }
  });

  it('5. a node whose type is a newer major version stops validation and buildBatch until updateNodes replaces it', () => {
    const outdated = DECODED.filter((f) => hasOutdatedNode(loaded(f)));
    expect(outdated).toHaveLength(11);
    const nodes = outdated.flatMap((f) => issuesOf(loaded(f)).filter((i) => i.code === 'node-version').map(() => f));
    expect(nodes).toHaveLength(11);
    for (const f of outdated) {
      expect(catchError(BatchError, () => buildBatch(loaded(f))).reason).toBe('OUTDATED_NODE');
      const { workflow, updated } = updateNodes(loaded(f));
      expect(updated.filter((u) => u.how === 'replaced').map((u) => u.nodeType)).toEqual([expect.stringMatching(/^(flux_denoise|color_correct)$/)]);
      expect(issuesOf(workflow).filter((i) => i.code === 'node-version')).toEqual([]);
    }
  });

  it('6. no message names an input "#-1": inputs outside the form are named nodeLabel.field', () => {
    const messages = DECODED.flatMap((f) => issuesOf(loaded(f)).map((i) => i.message));
    expect(messages.length).toBeGreaterThan(100);
    expect(messages.filter((m) => m.includes('#-1'))).toEqual([]);
    expect(messages.some((m) => /^Input "[^"]+\.[a-z_0-9]+" \(ref "/.test(m))).toBe(true);
  });
});

describe('totals over the corpus', () => {
  it('173 decoded; 86 known; 86 GUI-equal forms; 84 would run, 84 graphs pass the node schemas; 11 outdated nodes caught', () => {
    const formsEqual = KNOWN.filter((f) => JSON.stringify(listInputs(loaded(f)).map((i) => `${i.nodeId}.${i.fieldName}`)) === JSON.stringify(guiForm(raw(f), offlineTemplates)));
    const runnable = KNOWN.filter((f) => guiBlockers(readyToRun(f).json as Json, offlineTemplates).size === 0);
    const passing = runnable.filter((f) => passesNodeSchemas(readyToRun(f)).ok);
    const outdatedNodes = DECODED.flatMap((f) => issuesOf(loaded(f)).filter((i) => i.code === 'node-version'));
    expect({ decoded: DECODED.length, known: KNOWN.length, formsEqual: formsEqual.length, runnable: runnable.length, passing: passing.length, outdatedNodes: outdatedNodes.length }).toEqual({
      decoded: 173,
      known: 86,
      formsEqual: 86,
      runnable: 84,
      passing: 84,
      outdatedNodes: 11,
    });
  });
});
