// Reading a workflow file for a command, with messages that say what to do.
import { promises as fs } from 'fs';
import * as path from 'path';
import { Workflow, serverTemplates, type InvokeAIClient, type LoadOptions } from '../index';
import { FileError, loadWorkflowFile } from '../node';
import { CliIo, UsageError } from './io';

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === 'object' && u !== null && !Array.isArray(u);

/**
 * Why a JSON value is no InvokeAI workflow at all (rather than one with problems, which the decode
 * error lists), or `undefined` when it has a workflow's keys.
 */
export const notAWorkflow = (json: unknown): string | undefined => {
  if (!isObject(json)) return `it is ${Array.isArray(json) ? 'a JSON list' : 'not a JSON object'}`;
  if ('meta' in json || 'exposedFields' in json || 'form' in json) return undefined;
  if ('last_node_id' in json || 'links' in json) return 'it looks like a ComfyUI workflow (it has last_node_id and links)';
  if (Object.values(json).some((v) => isObject(v) && 'class_type' in v)) return 'it looks like a ComfyUI API prompt (its nodes have class_type)';
  if (isObject(json['graph']) || ('nodes' in json && 'edges' in json && isObject(json['nodes']))) return 'it looks like an InvokeAI graph (what the server runs), not the workflow the editor exports';
  return 'it has none of the keys an InvokeAI workflow has (meta, nodes, edges, form)';
};

/** The JSON of a file `loadWorkflowFile` has read (so within its size limit), or undefined. */
const jsonOf = async (file: string): Promise<unknown> => {
  try {
    return JSON.parse((await fs.readFile(file, 'utf8')).replace(/^\uFEFF/, '')) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * Reads and decodes a workflow file (relative to the invocation's cwd). A file that is too large,
 * not JSON, nested too deep or a workflow with problems is a `FileError` naming it; JSON that is no
 * InvokeAI workflow at all (a ComfyUI file, say) is said to be so (both exit code 2).
 */
export const readWorkflow = async (file: string, io: CliIo, options?: LoadOptions): Promise<Workflow> => {
  const full = path.resolve(io.cwd, file);
  try {
    return await loadWorkflowFile(full, options);
  } catch (error) {
    if (error instanceof FileError && error.reason === 'missing') throw new UsageError(`No such workflow file: ${full}`);
    if (error instanceof FileError && error.reason === 'invalid_workflow') {
      const why = notAWorkflow(await jsonOf(full));
      if (why !== undefined) throw new UsageError(`${full} is not an InvokeAI workflow: ${why}. Export one from InvokeAI's workflow editor (Workflows, then Download) and pass that file.`);
    }
    throw error;
  }
};

/** Node types of the workflow that its templates do not know (custom nodes, newer InvokeAI). */
export const unknownNodeTypes = (wf: Workflow): readonly string[] => [
  ...new Set(wf.json.nodes.flatMap((n) => (n.type === 'invocation' && wf.templates[n.data.type] === undefined ? [n.data.type] : []))),
];

/**
 * Types the workflow with the server's own templates when the shipped snapshot does not know some
 * of its nodes, so that custom nodes' inputs get their real kinds and constraints.
 */
export const retypeForServer = async (wf: Workflow, client: InvokeAIClient): Promise<Workflow> =>
  unknownNodeTypes(wf).length === 0 ? wf : Workflow.fromObject(Workflow.toObject(wf), { templates: await serverTemplates(client) });
