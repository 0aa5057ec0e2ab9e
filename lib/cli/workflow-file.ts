// Reading a workflow file for a command, with messages that say what to do.
import { promises as fs } from 'fs';
import * as path from 'path';
import { Workflow, serverTemplates, workflowWarnings, type InvokeAIClient, type LoadOptions, type LoadWarning } from '../index';
import { FileError, loadWorkflowFile } from '../node';
import { displayPath, printable } from './format';
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

// A node type the templates lack is no repair: `run` types it with the server's templates, and
// `inputs` says so in a line of its own.
const isRepair = (w: LoadWarning): boolean => w.code !== 'unknown-node-type';

const repairKey = (w: LoadWarning): string => `${w.code}\u0000${w.message}`;

/**
 * Says on stderr, one line each and named by the file, the repairs loading made (edges to missing
 * nodes deleted, form fields dropped, nodes updated ...) that `told` did not hold already: retyping
 * a workflow loads it again. The text comes from the file, so it is made `printable`.
 */
const tellRepairs = (io: CliIo, file: string, wf: Workflow, told: readonly LoadWarning[] = []): void => {
  const said = new Set(told.map(repairKey));
  for (const w of workflowWarnings(wf)) {
    const key = repairKey(w);
    if (!isRepair(w) || said.has(key)) continue;
    said.add(key);
    io.stderr.write(`${printable(`${displayPath(io.cwd, path.resolve(io.cwd, file))}: ${w.message}`)}\n`);
  }
};

/**
 * Reads and decodes a workflow file (relative to the invocation's cwd), and says on stderr what
 * loading repaired. A file that is too large, not JSON, nested too deep or a workflow with problems
 * is a `FileError` naming it; JSON that is no InvokeAI workflow at all (a ComfyUI file, say) is said
 * to be so (both exit code 2).
 */
export const readWorkflow = async (file: string, io: CliIo, options?: LoadOptions): Promise<Workflow> => {
  const full = path.resolve(io.cwd, file);
  try {
    const wf = await loadWorkflowFile(full, options);
    tellRepairs(io, full, wf);
    return wf;
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
 * Types the workflow read from `file` with the server's own templates when the shipped snapshot does
 * not know some of its nodes, so that custom nodes' inputs get their real kinds and constraints; says
 * on stderr what that repaired beyond what reading the file did.
 */
export const retypeForServer = async (wf: Workflow, client: InvokeAIClient, file: string, io: CliIo): Promise<Workflow> => {
  if (unknownNodeTypes(wf).length === 0) return wf;
  const retyped = Workflow.fromObject(Workflow.toObject(wf), { templates: await serverTemplates(client) });
  tellRepairs(io, file, retyped, workflowWarnings(wf));
  return retyped;
};
