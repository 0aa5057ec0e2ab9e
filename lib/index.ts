// invokeai-rx: the public surface, named and grouped. Everything here runs in Node and in browsers.

// --- Workflow values -------------------------------------------------------------------------
export { Workflow, workflowWarnings } from './workflow/workflow';
export { listInputs, getInput, setInput, setInputs, trySetInput } from './workflow/inputs';
export { validateWorkflow } from './workflow/validate';
export { SUPPORTED_VERSIONS, CURRENT_VERSION } from './workflow/migrate';
export { WorkflowDecodeError, InputError } from './workflow/errors';
export type { InputIssue, DecodeIssue as WorkflowDecodeIssue } from './workflow/errors';
export type {
  WorkflowJson,
  WorkflowInput,
  WorkflowOutput,
  InputRef,
  LoadOptions,
  FieldKind,
  FieldConstraints,
  InputMode,
  NodeTemplates,
  NodeTemplate,
  FieldTemplate,
  OutputFieldTemplate,
  WorkflowNode,
  InvocationNode,
  NotesNode,
  ConnectorNode,
  WorkflowEdge,
  DefaultEdge,
  CollapsedEdge,
  WorkflowForm,
  FormElement,
  FieldIdentifier,
  FieldInputInstance,
} from './workflow/types';

// --- Node templates --------------------------------------------------------------------------
export { templatesFromOpenApi, defaultTemplates, TemplatesError } from './workflow/templates';

// --- Graphs, batches and outputs -------------------------------------------------------------
export { buildGraph } from './workflow/graph';
export type { Graph, GraphNode, GraphEdge, EdgeConnection, GraphOptions } from './workflow/graph';
export { buildBatch, countBatchItems, BatchError } from './workflow/batch';
export type { Batch, BatchDatum, BatchOptions, Sweep, BatchErrorReason } from './workflow/batch';
export { GeneratorError, resolveFloatGenerator, resolveIntegerGenerator, resolveStringGenerator, resolveImageGenerator } from './workflow/generators';
export { listOutputs } from './workflow/outputs';

// --- Run events and operators ----------------------------------------------------------------
export { isRunEventOf, isTerminalRunEvent, isItemRunEvent } from './run/events';
export type {
  RunEvent,
  RunEventType,
  RunEventOf,
  TerminalRunEvent,
  ItemRunEvent,
  EnqueuedEvent,
  StatusEvent,
  NodeStartedEvent,
  NodeProgressEvent,
  NodeCompletedEvent,
  OutputEvent,
  CompletedEvent,
  FailedEvent,
  CanceledEvent,
  RunOutput,
  ImageRef,
  VideoRef,
  ProgressImage,
  RunItemError,
  RunResult,
  RunItemResult,
} from './run/events';
export { ofType, progressOf, outputsOf, collectOutputs } from './run/operators';
export { outputsOfQueueItem } from './run/outputs';

// --- Server data shapes ----------------------------------------------------------------------
export { isTerminalStatus, TERMINAL_STATUSES } from './protocol/dto';
export type {
  QueueItem,
  QueueItemStatus,
  SessionState,
  InvocationOutput,
  BatchStatus,
  SessionQueueStatus,
  EnqueueBatchResult,
  NodeFieldValue,
} from './protocol/dto';

// --- The client and its transport ------------------------------------------------------------
export { createClient } from './client/client';
export type { ClientOptions, InvokeAIClient } from './client/client';
export type { ConnectionState, SocketDiagnostic, WebSocketConstructor, WebSocketLike } from './client/socket';
export type { FetchLike, Logger } from './client/http';
export type { RetryPolicy, BackoffPolicy } from './client/backoff';
export { HttpError, AuthError, NetworkError, RequestTimeoutError, RequestAbortedError, DecodeError } from './client/errors';
export type { RequestIssue } from './client/errors';

// --- Server events ---------------------------------------------------------------------------
export { decodeServerEvent, isKnownServerEventName } from './protocol/events';
export type { ServerEvent, ServerEventOf, KnownServerEvent, KnownServerEventName, UnknownServerEvent } from './protocol/events';
