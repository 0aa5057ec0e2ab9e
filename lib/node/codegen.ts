// `codegen` for Node: workflow files in, typed TypeScript modules out (the pure generator does the
// text; this reads the files and the templates and writes the modules). Every module is generated
// before any is written, so a bad file among several writes nothing; each write replaces its file
// in one step (a temporary file renamed), and an unchanged module is not touched.
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { createClient } from '../client/client';
import { templatesFromOpenApi } from '../workflow/templates';
import type { NodeTemplates } from '../workflow/types';
import { generateWorkflowModule, type GeneratedModule } from '../codegen/generate';
import { loadWorkflowFile } from './files';
import { serverTemplates } from '../client/templates';

/** Options of `codegen` (the flags of `invokeai-rx codegen`). */
export interface CodegenOptions {
  /** The folder the modules go to (made when missing); default: beside each workflow file. */
  readonly out?: string;
  /**
   * The node templates to type inputs with: a server's URL (its `/openapi.json` is read), an OpenAPI
   * file saved from one, or templates. Default: InvokeAI's own, which ship with the library.
   */
  readonly templates?: string | NodeTemplates;
  /** The bearer token for a `templates` URL of a multi-user server. */
  readonly token?: string;
  /** Where the modules import the library from (default `invokeai-rx`). */
  readonly importFrom?: string;
  /** Write nothing: report each module as `unchanged` or `stale` against the file on disk (for CI). */
  readonly check?: boolean;
}

/** What `codegen` did with one workflow file. */
export interface CodegenFile {
  /** The workflow file, as given. */
  readonly source: string;
  /** The module's path. */
  readonly file: string;
  /** `written`: created or replaced; `unchanged`: the file already had this text; `stale` (check only): it differs or is missing. */
  readonly status: 'written' | 'unchanged' | 'stale';
  readonly module: GeneratedModule;
}

/** Why `codegen` stopped before writing anything. */
export type CodegenErrorReason = 'templates' | 'same-module';

/** The templates could not be read, or two workflow files would make the same module; nothing was written. */
export class CodegenError extends Error {
  override readonly name = 'CodegenError';
  constructor(
    message: string,
    readonly reason: CodegenErrorReason,
  ) {
    super(message);
  }
}

const templatesFromFile = async (file: string): Promise<NodeTemplates> => {
  const fix = "pass the InvokeAI server's /openapi.json, saved to a file, or the server's URL";
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CodegenError(`${file}: ${code === 'ENOENT' ? 'no such templates file' : `cannot read the templates file (${(error as Error).message})`}; ${fix}.`, 'templates');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new CodegenError(`${file}: the templates file is not JSON (${(error as Error).message}); ${fix}.`, 'templates');
  }
  try {
    return templatesFromOpenApi(parsed);
  } catch (error) {
    throw new CodegenError(`${file}: ${(error as Error).message}`, 'templates');
  }
};

const templatesOf = async (options: CodegenOptions): Promise<NodeTemplates | undefined> => {
  const t = options.templates;
  if (t === undefined || typeof t !== 'string') return t;
  if (!/^https?:\/\//.test(t)) return templatesFromFile(t);
  const client = createClient({ baseUrl: t, ...(options.token !== undefined ? { token: options.token } : {}) });
  try {
    return await serverTemplates(client);
  } finally {
    client.close();
  }
};

const readText = async (file: string): Promise<string | undefined> => {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/** Replaces the file's content in one step: a temporary file beside it, renamed over it. */
const replaceFile = async (file: string, text: string): Promise<void> => {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, text, { flag: 'wx' });
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
};

/**
 * Generates a typed module for each workflow file and writes those whose text changed. Throws
 * before writing anything when a file does not load (`FileError`), the templates cannot be read or
 * two files would make the same module (`CodegenError`).
 *
 * @example
 * ```ts
 * import { codegen } from 'invokeai-rx/node';
 * for (const f of await codegen(['workflows/Text to Image - SDXL.json'], { out: 'src/workflows' })) console.log(f.status, f.file);
 * ```
 */
export const codegen = async (files: readonly string[], options: CodegenOptions = {}): Promise<readonly CodegenFile[]> => {
  const templates = await templatesOf(options);
  const planned: { readonly source: string; readonly file: string; readonly module: GeneratedModule }[] = [];
  const bySource = new Map<string, string>();
  for (const source of files) {
    const wf = await loadWorkflowFile(source, templates !== undefined ? { templates } : undefined);
    const module = generateWorkflowModule(wf, { source, ...(options.importFrom !== undefined ? { importFrom: options.importFrom } : {}) });
    const file = path.resolve(options.out ?? path.dirname(source), module.fileName);
    const other = bySource.get(file);
    if (other !== undefined) {
      throw new CodegenError(`${other} and ${source} would both become ${file}; rename one of the workflow files or generate them into different folders (--out).`, 'same-module');
    }
    bySource.set(file, source);
    planned.push({ source, file, module });
  }
  if (options.out !== undefined && options.check !== true) await fs.mkdir(options.out, { recursive: true });
  const done: CodegenFile[] = [];
  for (const p of planned) {
    const same = (await readText(p.file)) === p.module.code;
    if (!same && options.check !== true) await replaceFile(p.file, p.module.code);
    done.push({ ...p, status: same ? 'unchanged' : options.check === true ? 'stale' : 'written' });
  }
  return done;
};
