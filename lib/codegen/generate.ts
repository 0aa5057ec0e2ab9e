// The generator behind `invokeai-rx codegen`: a workflow value in, the text of a TypeScript module
// out. Pure and deterministic (the same workflow and templates give the same text, byte for byte),
// built on the public workflow API only, so that the module's types describe exactly what
// `listInputs` and `listOutputs` report.
import { getInput, listInputs, listOutputs, validateWorkflow, Workflow, type InputIssue, type InvocationNode, type NodeTemplates, type WorkflowInput, type WorkflowOutput } from '../index';
import { inputDoc, inputType, outputType, type TypeText, type ValueTypeName } from './input-types';
import { commentText, literal, propertyKey, quote } from './literal';
import { moduleFileName, typeNameOf, valueNameOf } from './names';

/** Options of `generateWorkflowModule`. */
export interface GenerateOptions {
  /** The workflow file's name (its base name is written into the module and its errors). */
  readonly source: string;
  /** Where the module imports the library from (default `invokeai-rx`). */
  readonly importFrom?: string;
}

/** A generated module: its file name, the name of its handle, its text, and what the user should know. */
export interface GeneratedModule {
  /** `text-to-image-sdxl.ts` for `Text to Image - SDXL.json`. */
  readonly fileName: string;
  /** The exported handle, e.g. `textToImageSdxl` (also the default export). */
  readonly exportName: string;
  readonly code: string;
  /** The keys of the inputs the module types (labels, or `nodeLabel.fieldName` where labels repeat). */
  readonly inputs: readonly string[];
  /** Those of them that are required and have no value yet. */
  readonly required: readonly string[];
  /** The keys of the output nodes. */
  readonly outputs: readonly string[];
  /** Inputs typed loosely and why (node types the templates do not know, inputs fed by an edge); names from the file are JSON-quoted. */
  readonly warnings: readonly string[];
}

const DIGITS = /^(0|[1-9][0-9]*)$/;

/** The input takes a value (not fed by an edge, not connection-only). */
const settable = (input: WorkflowInput): boolean => !input.connected && input.kind !== 'connection' && input.input !== 'connection';

/** The index the ref resolves to with `setInput`'s rules, or `undefined` when it names none or several. */
const resolvedIndex = (wf: Workflow, ref: string): number | undefined => {
  try {
    return getInput(wf, ref).index;
  } catch {
    return undefined;
  }
};

/**
 * The key of each settable input: its label, else `nodeLabel.fieldName`, else `nodeId.fieldName`:
 * the first that `setInput` resolves to that input alone and that is no index (`"3"` would be one).
 */
const inputKeys = (wf: Workflow, inputs: readonly WorkflowInput[]): ReadonlyMap<number, string> => {
  const keys = new Map<number, string>();
  for (const input of inputs) {
    if (!settable(input)) continue;
    const candidates = [input.label, `${input.nodeLabel}.${input.fieldName}`, `${input.nodeId}.${input.fieldName}`];
    const key = candidates.find((c) => !DIGITS.test(c) && resolvedIndex(wf, c) === input.index) ?? candidates[2];
    keys.set(input.index, key);
  }
  return keys;
};

/** The key of each output node: its label where no other output shares it, else its node id. */
const outputKeys = (outputs: readonly WorkflowOutput[]): readonly string[] => {
  const count = new Map<string, number>();
  for (const o of outputs) count.set(o.label, (count.get(o.label) ?? 0) + 1);
  return outputs.map((o) => (count.get(o.label) === 1 ? o.label : o.nodeId));
};

/** What stops the workflow from running whatever its inputs: node types the templates lack, nodes of an older major version. */
const nodeWarnings = (wf: Workflow, issues: readonly InputIssue[]): string[] =>
  issues.flatMap((issue) => {
    const node = wf.json.nodes.find((n): n is InvocationNode => n.type === 'invocation' && n.id === issue.ref);
    if (node === undefined) return [];
    const name = `node ${JSON.stringify(node.data.label || wf.templates[node.data.type]?.title || node.id)} (type ${JSON.stringify(node.data.type)}, version ${JSON.stringify(node.data.version)})`;
    if (issue.code === 'unknown-node-type') {
      return [`${name}: the templates do not know its type, so its inputs are typed unknown and a server without that node rejects the workflow (--templates with the server's URL types it as that server does)`];
    }
    if (issue.code === 'node-version') {
      return [`${name}: made for an older major version than the templates' ${JSON.stringify(wf.templates[node.data.type]?.version)}, so the workflow cannot run until the node is replaced in InvokeAI's editor`];
    }
    return [];
  });

/** The templates of the node types the workflow uses, by type name in sorted order, descriptions left out. */
const usedTemplates = (wf: Workflow): NodeTemplates => {
  const types = [...new Set(wf.json.nodes.flatMap((n) => (n.type === 'invocation' ? [n.data.type] : [])))].sort();
  const out: Record<string, unknown> = {};
  for (const type of types) {
    const t = wf.templates[type];
    if (t === undefined) continue;
    const inputs = Object.fromEntries(Object.entries(t.inputs).map(([name, f]) => [name, { ...f, description: '' }]));
    out[type] = { ...t, inputs };
  }
  return out as NodeTemplates;
};

/** The names a module declares or imports itself, which its own exports must not take. */
const TAKEN: ReadonlySet<string> = new Set<string>([
  'Workflow',
  'typedWorkflow',
  'NodeTemplates',
  'templates',
  'workflowJson',
  ...(['ImageInput', 'VideoInput', 'BoardInput', 'ColorInput', 'ObjectInput', 'ModelInput', 'ModelName', 'OutputBase', 'ImagesOutput', 'VideosOutput', 'ValuesOutput'] satisfies ValueTypeName[]),
]);

const namesOf = (base: string) => ({ inputs: `${base}Inputs`, byIndex: `${base}InputsByIndex`, outputs: `${base}Outputs`, required: `${base}Required`, spec: base });

/** The base of the type names and the handle's name, `Workflow` appended until neither meets a name the module uses. */
const moduleNames = (source: string): { readonly base: string; readonly exportName: string } => {
  let base = typeNameOf(source);
  let exportName = valueNameOf(source);
  while (Object.values(namesOf(base)).some((n) => TAKEN.has(n))) base = `${base}Workflow`;
  while (TAKEN.has(exportName)) exportName = `${exportName}Workflow`;
  return { base, exportName };
};

const docBlock = (lines: readonly string[], indent: string): string =>
  lines.length === 1 ? `${indent}/** ${lines[0]} */` : [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join('\n');

/** `'a' | 'b'`, wrapped one member a line when long. */
const unionText = (members: readonly string[], indent: string): string => {
  if (members.length === 0) return 'never';
  const line = members.join(' | ');
  return line.length <= 100 ? line : `\n${members.map((m) => `${indent}  | ${m}`).join('\n')}`;
};

/** A property's type, wrapped like `unionText` when it is a long union of literals. */
const memberType = (type: TypeText, indent: string): string => (type.members !== undefined ? unionText(type.members, indent) : type.text);

/** `name: type`, the type on the next lines when it was wrapped. */
const typed = (name: string, type: string): string => (type.startsWith('\n') ? `${name}:${type}` : `${name}: ${type}`);

/**
 * The text of a TypeScript module that exports a typed handle over the workflow: its inputs by
 * label and by index with the value types of their fields, the required ones without `?`, and its
 * output nodes with what each gives. The workflow and the templates it was typed with are embedded.
 *
 * @example
 * ```ts
 * import { Workflow } from 'invokeai-rx';
 * import { generateWorkflowModule } from 'invokeai-rx/node';
 * declare const text: string;
 * const { fileName, code } = generateWorkflowModule(Workflow.fromJson(text), { source: 'Text to Image - SDXL.json' });
 * ```
 */
export const generateWorkflowModule = (wf: Workflow, options: GenerateOptions): GeneratedModule => {
  const source = options.source.replace(/^.*[\\/]/, '');
  const importFrom = options.importFrom ?? 'invokeai-rx';
  const { base, exportName } = moduleNames(source);
  const names = namesOf(base);
  const title = commentText(wf.json.name !== '' ? wf.json.name : source, 100);

  const inputs = listInputs(wf);
  const keys = inputKeys(wf, inputs);
  const validation = validateWorkflow(wf);
  const unsetRefs = new Set(validation._tag === 'Left' ? validation.left.filter((i) => i.code === 'required-unset').map((i) => i.ref) : []);
  const requiredUnset = (i: WorkflowInput): boolean => unsetRefs.has(`${i.nodeId}.${i.fieldName}`);
  const outputs = listOutputs(wf);
  const outKeys = outputKeys(outputs);

  const uses = new Set<ValueTypeName>();
  const warnings: string[] = nodeWarnings(wf, validation._tag === 'Left' ? validation.left : []);
  const inputMembers: string[] = [];
  const byIndexMembers: string[] = [];
  const labelMembers: string[] = [];
  for (const input of inputs) {
    const key = keys.get(input.index);
    if (key === undefined) {
      inputMembers.push(`  // #${input.index} "${commentText(input.label, 80)}" takes no value: ${input.connected ? 'an edge feeds it' : 'it is connection-only'}.`);
      warnings.push(`input #${input.index} ${JSON.stringify(input.label)} takes no value (${input.connected ? 'an edge feeds it' : 'connection-only'}); it is left out of the types`);
      continue;
    }
    const type = inputType(input);
    type.uses.forEach((u) => uses.add(u));
    const optional = requiredUnset(input) ? '' : '?';
    inputMembers.push(`${docBlock(inputDoc(input, requiredUnset(input)), '  ')}\n  ${typed(`readonly ${propertyKey(key)}${optional}`, memberType(type, '  '))};`);
    byIndexMembers.push(`  /** #${input.index}: "${commentText(key, 100)}". */\n  readonly ${input.index}${optional}: ${names.inputs}[${quote(key)}];`);
    labelMembers.push(`    readonly ${input.index}: ${quote(key)};`);
  }
  const outputMembers = outputs.map((o, n) => {
    const type = outputType(o, wf.templates);
    type.uses.forEach((u) => uses.add(u));
    const gives = type.gives.length > 0 ? type.gives.join(' and ') : 'its board (no media)';
    return `  /** ${commentText(`Node "${o.label}" (${o.nodeType}, id ${o.nodeId}): ${gives}.`, 200)} */\n  readonly ${propertyKey(outKeys[n])}: ${type.text};`;
  });
  const required = inputs.filter((i) => keys.has(i.index) && requiredUnset(i)).map((i) => keys.get(i.index)!);
  const requiredUnion = unionText(required.map(quote), '');

  const inputRows = inputs.map((i) => `    [${keys.has(i.index) ? quote(keys.get(i.index)!) : 'null'}, ${quote(`${i.nodeId}.${i.fieldName}`)}, ${quote(i.kind)}],`);
  const outputRows = outputs.map((o, n) => `    [${quote(outKeys[n])}, ${quote(o.nodeId)}],`);
  const imports = ['Workflow', 'typedWorkflow', ...[...uses].sort().map((u) => `type ${u}`), 'type NodeTemplates'];

  const block = (lines: readonly string[], empty: string): string => (lines.length === 0 ? empty : `{\n${lines.join('\n')}\n}`);
  const code = [
    `// Generated by \`invokeai-rx codegen\` from ${commentText(source, 120)}: the workflow "${title}".`,
    '// Do not edit: change the workflow in InvokeAI, export it again and rerun the command (the same file gives the same module).',
    `import { ${imports.join(', ')} } from ${quote(importFrom)};`,
    '',
    docBlock(
      [
        `The inputs of "${title}" by label, each with the type of value its field takes.`,
        'Those without `?` are required and have no value yet: the handle\'s `workflow` is runnable once they are set.',
      ],
      '',
    ),
    `export interface ${names.inputs} ${block(inputMembers, '{}')}`,
    '',
    '/** The same inputs by their index in the form. */',
    `export interface ${names.byIndex} ${block(byIndexMembers, '{}')}`,
    '',
    `/** The output nodes of "${title}", with what each gives per queue item. */`,
    `export interface ${names.outputs} ${block(outputMembers, '{}')}`,
    '',
    '/** The required inputs that have no value yet. */',
    `export type ${names.required} =${requiredUnion.startsWith('\n') ? '' : ' '}${requiredUnion};`,
    '',
    `/** Everything the types of the handle know about "${title}". */`,
    `export interface ${names.spec} {`,
    `  readonly inputs: ${names.inputs};`,
    `  readonly inputsByIndex: ${names.byIndex};`,
    `  readonly labels: ${labelMembers.length === 0 ? '{}' : `{\n${labelMembers.join('\n')}\n  }`};`,
    `  readonly outputs: ${names.outputs};`,
    '}',
    '',
    '/** The workflow, as the library loaded it (schema 4.0.0). */',
    `const workflowJson: unknown = ${literal(Workflow.toObject(wf))};`,
    '',
    '/** The node templates the inputs were typed with (those of the node types the workflow uses, descriptions left out). */',
    `const templates: NodeTemplates = ${literal(usedTemplates(wf), '', { width: 100, flatDepth: 3 })};`,
    '',
    `/** "${title}" with typed inputs and outputs: \`${exportName}.set({ ... })\`, then \`client.run(handle.workflow)\` or \`handle.submit(client)\`. */`,
    // The union written out, not its alias: tsc's errors then name the inputs that are missing.
    `export const ${exportName} = typedWorkflow<${names.spec}, ${required.length === 0 ? 'never' : required.map(quote).join(' | ')}>(Workflow.fromObject(workflowJson, { templates }), {`,
    `  source: ${quote(source)},`,
    `  inputs: ${inputRows.length === 0 ? '[]' : `[\n${inputRows.join('\n')}\n  ]`},`,
    `  outputs: ${outputRows.length === 0 ? '[]' : `[\n${outputRows.join('\n')}\n  ]`},`,
    '});',
    '',
    `export default ${exportName};`,
    '',
  ].join('\n');
  return { fileName: moduleFileName(source), exportName, code, inputs: [...keys.values()], required, outputs: outKeys, warnings };
};
