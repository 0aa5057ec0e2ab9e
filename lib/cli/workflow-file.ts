// Reading a workflow file for a command, with messages that say what to do.
import * as path from 'path';
import { Workflow, serverTemplates, type InvokeAIClient, type LoadOptions } from '../index';
import { FileError, loadWorkflowFile } from '../node';
import { CliIo, UsageError } from './io';

/**
 * Reads and decodes a workflow file (relative to the invocation's cwd). A file that is too large,
 * not JSON, nested too deep or no workflow is a `FileError` naming it (exit code 2).
 */
export const readWorkflow = async (file: string, io: CliIo, options?: LoadOptions): Promise<Workflow> => {
  const full = path.resolve(io.cwd, file);
  try {
    return await loadWorkflowFile(full, options);
  } catch (error) {
    if (error instanceof FileError && error.reason === 'missing') throw new UsageError(`No such workflow file: ${full}`);
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
