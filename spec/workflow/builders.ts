// Small GUI-shaped workflow objects (schema 4.0.0) for focused tests.

import { templates as offlineTemplates } from '../../lib/workflow/offline-templates';

type Json = Record<string, unknown>;

/** The top-level fields every 4.0.0 export carries, empty. */
export const workflowHeader = (name: string): Json => ({
  name,
  author: '',
  description: '',
  version: '',
  contact: '',
  tags: '',
  notes: '',
  exposedFields: [],
  meta: { version: '4.0.0', category: 'user' },
});

/**
 * An invocation node with the given input values (`undefined` leaves an input without a value), of
 * its type's version in the shipped templates (so that loading does not update it) unless given.
 */
export const invocation = (
  id: string,
  type: string,
  values: Record<string, unknown>,
  data: { label?: string; useCache?: boolean; isIntermediate?: boolean; version?: string } = {},
): Json => ({
  id,
  type: 'invocation',
  data: {
    id,
    type,
    version: data.version ?? offlineTemplates[type]?.version ?? '1.0.0',
    label: data.label ?? '',
    notes: '',
    isOpen: true,
    isIntermediate: data.isIntermediate ?? true,
    useCache: data.useCache ?? true,
    inputs: Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, value === undefined ? { name, label: '' } : { name, label: '', value }]),
    ),
  },
  position: { x: 0, y: 0 },
});

/** A default edge. */
export const edge = (source: string, sourceHandle: string, target: string, targetHandle: string): Json => ({
  id: `reactflow__edge-${source}${sourceHandle}-${target}${targetHandle}`,
  type: 'default',
  source,
  sourceHandle,
  target,
  targetHandle,
});

/** A workflow around nodes and edges, with a form listing `formFields` (nodeId, fieldName) in order. */
export const makeWorkflowJson = (nodes: readonly unknown[], edges: readonly unknown[], formFields: readonly [string, string][] = []): Json => {
  const fieldElements = formFields.map(([nodeId, fieldName], i) => ({
    id: `node-field-${i}`,
    parentId: 'root',
    type: 'node-field',
    data: { fieldIdentifier: { nodeId, fieldName }, showDescription: false },
  }));
  return {
    ...workflowHeader('test'),
    id: 'wf-test-id',
    form: {
      rootElementId: 'root',
      elements: {
        root: { id: 'root', type: 'container', data: { layout: 'column', children: fieldElements.map((e) => e.id) } },
        ...Object.fromEntries(fieldElements.map((e) => [e.id, e])),
      },
    },
    nodes,
    edges,
  };
};
