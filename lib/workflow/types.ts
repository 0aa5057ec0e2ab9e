// The shapes shared by the workflow modules: the current (schema 4.0.0) workflow JSON as the GUI
// exports it, the node templates derived from InvokeAI's OpenAPI schemas, and the Workflow value.
// Every older schema version is migrated to `WorkflowJson` on decode, so nothing downstream sees them.
import type { NodeId } from '../protocol/ids';

/** One input instance of an invocation node: `nodes[i].data.inputs[name]`. */
export interface FieldInputInstance {
  readonly name: string;
  readonly label: string;
  readonly description: string;
  /** Absent for connection-only fields and for unset values (`null` in a file decodes to absent). */
  readonly value?: unknown;
}

/** `data` of an invocation node. Unknown keys are kept so that an export round-trips. */
export interface InvocationNodeData {
  readonly id: string;
  readonly type: string;
  readonly version: string;
  readonly nodePack?: string;
  readonly label: string;
  readonly notes: string;
  readonly isOpen: boolean;
  readonly isIntermediate: boolean;
  readonly useCache: boolean;
  readonly inputs: Readonly<Record<string, FieldInputInstance>>;
  readonly dynamicInputTemplates?: Readonly<Record<string, unknown>>;
  readonly [extra: string]: unknown;
}

/** A node's place on the editor canvas (ignored when building the graph). */
export interface Position {
  readonly x: number;
  readonly y: number;
}

/** A node that becomes a graph node (unless it is a batch or generator node). */
export interface InvocationNode {
  readonly id: string;
  readonly type: 'invocation';
  readonly data: InvocationNodeData;
  readonly position: Position;
}

/** A free-text note on the canvas; it has no graph counterpart. */
export interface NotesNode {
  readonly id: string;
  readonly type: 'notes';
  readonly data: { readonly id: string; readonly type: 'notes'; readonly label: string; readonly isOpen: boolean; readonly notes: string };
  readonly position: Position;
}

/** A reroute dot; edges through it are resolved to the upstream invocation (handles `in` / `out`). */
export interface ConnectorNode {
  readonly id: string;
  readonly type: 'connector';
  readonly data: { readonly id: string; readonly type: 'connector'; readonly label: string; readonly isOpen: boolean };
  readonly position: Position;
}

/** Any node of a workflow's `nodes` list. */
export type WorkflowNode = InvocationNode | NotesNode | ConnectorNode;

/** An edge that becomes a graph edge. */
export interface DefaultEdge {
  readonly id: string;
  readonly type: 'default';
  readonly source: string;
  readonly sourceHandle: string;
  readonly target: string;
  readonly targetHandle: string;
  readonly hidden?: boolean;
}

/** A purely visual edge between collapsed nodes; never part of a graph. */
export interface CollapsedEdge {
  readonly id: string;
  readonly type: 'collapsed';
  readonly source: string;
  readonly target: string;
}

/** Any edge of a workflow's `edges` list. */
export type WorkflowEdge = DefaultEdge | CollapsedEdge;

/** Which field of which node a form element shows. */
export interface FieldIdentifier {
  readonly nodeId: string;
  readonly fieldName: string;
}

/** A form element that lays out its children in a row or a column. */
export interface ContainerElement {
  readonly id: string;
  readonly parentId?: string;
  readonly type: 'container';
  readonly data: { readonly layout: 'row' | 'column'; readonly children: readonly string[] };
}

/** A form element that shows one node field: an input of the workflow. */
export interface NodeFieldElement {
  readonly id: string;
  readonly parentId?: string;
  readonly type: 'node-field';
  readonly data: {
    readonly fieldIdentifier: FieldIdentifier;
    readonly showDescription: boolean;
    readonly settings?: Readonly<Record<string, unknown>>;
  };
}

/** A heading in the form; display only. */
export interface HeadingElement {
  readonly id: string;
  readonly parentId?: string;
  readonly type: 'heading';
  readonly data: { readonly content: string };
}

/** A paragraph of text in the form; display only. */
export interface TextElement {
  readonly id: string;
  readonly parentId?: string;
  readonly type: 'text';
  readonly data: { readonly content: string };
}

/** A divider line in the form; display only. */
export interface DividerElement {
  readonly id: string;
  readonly parentId?: string;
  readonly type: 'divider';
}

/** Any element of a workflow's form. */
export type FormElement = ContainerElement | NodeFieldElement | HeadingElement | TextElement | DividerElement;

/** The form builder's tree: the value of each field lives on its node, not here. */
export interface WorkflowForm {
  readonly rootElementId: string;
  readonly elements: Readonly<Record<string, FormElement>>;
}

/** A GUI workflow in the current schema (`meta.version` 4.0.0), whatever version it was loaded from. */
export interface WorkflowJson {
  readonly name: string;
  readonly author: string;
  readonly description: string;
  readonly version: string;
  readonly contact: string;
  readonly tags: string;
  readonly notes: string;
  readonly exposedFields: readonly FieldIdentifier[];
  readonly meta: { readonly version: string; readonly category: 'user' | 'default' };
  readonly id?: string;
  readonly form: WorkflowForm;
  readonly nodes: readonly WorkflowNode[];
  readonly edges: readonly WorkflowEdge[];
  /** Keys this library does not know survive a round trip. */
  readonly [extra: string]: unknown;
}

// ---------------------------------------------------------------------------------------------
// Node templates, derived from the server's OpenAPI invocation schemas

/**
 * What a field holds, from the node template (never guessed from the exported value).
 * `connection` fields (latents, conditioning, UNet ...) take no direct value.
 */
export type FieldKind =
  | 'string'
  | 'integer'
  | 'float'
  | 'boolean'
  | 'enum'
  | 'image'
  | 'video'
  | 'board'
  | 'model'
  | 'color'
  | 'collection'
  | 'object'
  | 'connection'
  | 'unknown';

/** What the template says about the values a field accepts. */
export interface FieldConstraints {
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly multipleOf?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  /** Enum options (scheduler names, modes ...). */
  readonly options?: readonly (string | number)[];
  /** Model inputs: the bases and types the field accepts (`ui_model_base`, `ui_model_type`). */
  readonly modelBase?: readonly string[];
  readonly modelType?: readonly string[];
  readonly modelVariant?: readonly string[];
  readonly modelFormat?: readonly string[];
}

/** How a field may be fed: only by an edge, only by a value, or either. */
export type InputMode = 'connection' | 'direct' | 'any';

/** One input field of a node template. */
export interface FieldTemplate {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly kind: FieldKind;
  /** For `collection`: the kind of each item. */
  readonly itemKind?: FieldKind;
  /** The schema's type name, e.g. `IntegerField`, `ImageField`, `ModelIdentifierField`, `LatentsField`, `SchedulerField`. */
  readonly typeName: string;
  readonly input: InputMode;
  /** `internal` for `board` and `metadata` (from `WithBoard` / `WithMetadata`), `input` otherwise. */
  readonly fieldKind: 'input' | 'internal';
  /** `orig_required` of the schema: the node cannot run without it. */
  readonly required: boolean;
  /** `null` is a valid value (the schema allows it). */
  readonly nullable: boolean;
  readonly default?: unknown;
  readonly constraints: FieldConstraints;
  readonly uiType?: string;
  readonly uiHidden?: boolean;
  readonly uiOrder?: number;
}

/** One output field of a node template. */
export interface OutputFieldTemplate {
  readonly name: string;
  readonly kind: FieldKind;
  readonly itemKind?: FieldKind;
  readonly typeName: string;
}

/** A node type as the server knows it. */
export interface NodeTemplate {
  readonly type: string;
  readonly title: string;
  readonly version: string;
  readonly nodePack: string;
  readonly category?: string;
  readonly classification?: string;
  /** Default of the node's `use_cache` attribute. */
  readonly useCache: boolean;
  readonly inputs: Readonly<Record<string, FieldTemplate>>;
  /** The output's discriminator, e.g. `image_output`. */
  readonly outputType: string;
  readonly outputs: Readonly<Record<string, OutputFieldTemplate>>;
}

/** Node templates by node type. */
export type NodeTemplates = Readonly<Record<string, NodeTemplate>>;

/** Options for `Workflow.fromJson` / `fromObject` / `decode`. */
export interface LoadOptions {
  /**
   * The node templates to type inputs with. By default InvokeAI's own, offline (`invokeai-rx/templates`);
   * a browser bundle has no default and must pass them (those, or the server's: `serverTemplates(client)`).
   */
  readonly templates?: NodeTemplates;
}

// ---------------------------------------------------------------------------------------------
// The value users hold (`Workflow` itself is declared beside its companion object, in workflow.ts)

/** Names a form input: its index (form order), its label, its field name, `nodeId.fieldName` or `nodeLabel.fieldName` (in any case when that names one input only). */
export type InputRef = number | string;

/** One input of the workflow's form. */
export interface WorkflowInput {
  /** Position in form order (depth-first pre-order of the form; `exposedFields` order without a form). */
  readonly index: number;
  readonly nodeId: NodeId;
  readonly nodeType: string;
  /** The node's user label, or the template title when the label is empty. */
  readonly nodeLabel: string;
  readonly fieldName: string;
  /** The field's user label, or the template title when empty. */
  readonly label: string;
  readonly description: string;
  readonly kind: FieldKind;
  readonly itemKind?: FieldKind;
  readonly value: unknown;
  readonly required: boolean;
  readonly input: InputMode;
  readonly constraints: FieldConstraints;
  /** The field is fed by an edge, so a value set here would never reach the server. */
  readonly connected: boolean;
  /** The template, when the node type is known. */
  readonly template?: FieldTemplate;
}

/** A node whose results a run reports as outputs. */
export interface WorkflowOutput {
  readonly nodeId: string;
  readonly nodeType: string;
  /** The node's user label, or the template title. */
  readonly label: string;
  /** The board the node saves to, when set (`{board_id}`), `'auto'`, or `null` for uncategorized. */
  readonly board: string | null;
  /** The node's `board` input is one of the form's inputs. */
  readonly boardInForm: boolean;
  /** The node produces images or videos and is not intermediate. */
  readonly producesMedia: boolean;
}
