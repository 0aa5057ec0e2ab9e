// Reading a workflow file for a command, with messages that say what to do.
import { promises as fs } from 'fs';
import * as path from 'path';
import { Workflow, serverTemplates, type InvokeAIClient, type LoadOptions } from '../index';
import { CliIo, UsageError } from './io';

/** Reads and decodes a workflow file (relative to the invocation's cwd). */
export const readWorkflow = async (file: string, io: CliIo, options?: LoadOptions): Promise<Workflow> => {
  const full = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = await fs.readFile(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `No such workflow file: ${full}` : `Cannot read ${full}: ${(error as Error).message}`);
  }
  return Workflow.fromJson(text, options);
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
