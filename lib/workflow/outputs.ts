// Which nodes a run reports as outputs. The GUI puts in the gallery the images of executable nodes
// that are not intermediate ("Save to Gallery" checked) and produce images or videos, skipping the
// pass-through nodes `image`, `video` and `load_image`. A node that can save to a board and whose
// board input the workflow author put in the form is an output too: the author meant its result.

import { isExecutableNode } from './graph';
import { fieldKey, nodeDisplayLabel } from './inputs';
import { isRecord } from '../internal/record';
import type { InvocationNode, NodeTemplate, WorkflowJson, WorkflowOutput } from './types';
import type { Workflow } from './workflow';

/** Node types whose image output only passes an existing image through (never a new result). */
const PASS_THROUGH_TYPES: ReadonlySet<string> = /*#__PURE__*/ new Set(['image', 'video', 'load_image']);

const isMediaKind = (kind: string | undefined): boolean => kind === 'image' || kind === 'video';

/** The template outputs an image or a video (single or collection). */
const templateProducesMedia = (template: NodeTemplate): boolean =>
  Object.values(template.outputs).some((o) => isMediaKind(o.kind) || (o.kind === 'collection' && isMediaKind(o.itemKind)));

/** The fields the form shows (its node-field elements; `exposedFields` when the form has none). */
const formFields = (json: WorkflowJson): ReadonlySet<string> => {
  const fields = new Set<string>();
  for (const element of Object.values(json.form?.elements ?? {})) {
    if (element.type === 'node-field') fields.add(fieldKey(element.data.fieldIdentifier.nodeId, element.data.fieldIdentifier.fieldName));
  }
  if (fields.size === 0) for (const f of json.exposedFields ?? []) fields.add(fieldKey(f.nodeId, f.fieldName));
  return fields;
};

/** The board a node saves to: a board id, `'auto'` (the auto-add board, also when unset) or `null` (uncategorized / no board input). */
const boardOf = (node: InvocationNode, template: NodeTemplate | undefined): string | null => {
  const hasBoardInput = template !== undefined ? template.inputs['board']?.typeName === 'BoardField' : node.data.inputs['board'] !== undefined;
  if (!hasBoardInput) return null;
  const value = node.data.inputs['board']?.value;
  if (value === 'none') return null;
  return isRecord(value) && typeof value['board_id'] === 'string' ? value['board_id'] : 'auto';
};

/**
 * The nodes whose results a run reports as outputs, in workflow node order: non-intermediate nodes
 * that produce images or videos, and nodes that save to a board whose `board` input is in the form.
 *
 * @example
 * ```ts
 * import { Workflow, listOutputs } from 'invokeai-rx';
 * for (const o of listOutputs(Workflow.fromJson(text))) console.log(o.nodeId, o.label, o.board);
 * ```
 */
export const listOutputs = (wf: Workflow): ReadonlyArray<WorkflowOutput> => {
  const { json, templates } = wf;
  const inForm = formFields(json);
  const outputs: WorkflowOutput[] = [];
  for (const node of json.nodes) {
    if (!isExecutableNode(node)) continue;
    const template = templates[node.data.type];
    const producesMedia =
      !node.data.isIntermediate && !PASS_THROUGH_TYPES.has(node.data.type) && template !== undefined && templateProducesMedia(template);
    const board = boardOf(node, template);
    const boardInForm = inForm.has(fieldKey(node.id, 'board')) && (template === undefined || template.inputs['board'] !== undefined);
    if (!producesMedia && !boardInForm) continue;
    outputs.push({
      nodeId: node.id,
      nodeType: node.data.type,
      label: nodeDisplayLabel(node, templates),
      board,
      boardInForm,
      producesMedia,
    });
  }
  return outputs;
};
