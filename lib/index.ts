// invokeai-rx: the public surface, named and grouped. Everything here runs in Node and in browsers.

// --- Workflow values -------------------------------------------------------------------------
// fp-ts's `pipe`, for chaining the setters: its own `fp-ts/function` import fails in plain Node
// ESM (a directory import), and users need not depend on fp-ts to edit a workflow.
export { pipe } from 'fp-ts/function';
export { Workflow, workflowWarnings } from './workflow/workflow';
export { listInputs, getInput, setInput, setInputs, trySetInput } from './workflow/inputs';
export { exposeInput, tryExposeInput, hideInput } from './workflow/expose';
export type { NodeFieldRef, ExposeOptions } from './workflow/expose';
export { validateWorkflow } from './workflow/validate';
export { updateNodes } from './workflow/update-nodes';
export type { NodeUpdate, NodeVersionChange, NodeNotUpdated } from './workflow/update-nodes';
export { SUPPORTED_VERSIONS, CURRENT_VERSION } from './workflow/migrate';
export { WorkflowDecodeError, InputError } from './workflow/errors';
export type { InputIssue, DecodeIssue as WorkflowDecodeIssue, LoadWarning, LoadWarningCode } from './workflow/errors';
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

// --- Typed workflows (the handle of modules made by invokeai-rx codegen) -----------------------
export { typedWorkflow } from './typed/handle';
export type { TypedWorkflow, RequiredInputsUnset, TypedRunOptions, TypedRunResult, WithOutputs, StreamRunner, PromiseRunner, ModelInputKey, ModelIdentifierOf } from './typed/handle';
export { TypedWorkflowError } from './typed/errors';
export type { WorkflowSpec, WorkflowTable, InputRow, OutputRow, InputKey, InputValue, InputLabel, InputValues, RequiredInputs, SweepValues, TypedSweep } from './typed/spec';
export type { ImageInput, VideoInput, BoardInput, ColorInput, ObjectInput, ModelConstraint, ModelInput, ModelName, OutputBase, ImagesOutput, VideosOutput, ValuesOutput } from './typed/values';

// --- Node templates --------------------------------------------------------------------------
export { templatesFromOpenApi, TemplatesError } from './workflow/templates';

// --- Graphs, batches and outputs -------------------------------------------------------------
export { buildGraph } from './workflow/graph';
export type { GraphOptions } from './workflow/graph';
export type { Graph, GraphNode, GraphEdge, EdgeConnection, EchoedGraph } from './protocol/graph';
export { buildBatch, countBatchItems, BatchError } from './workflow/batch';
export type { Batch, BatchDatum, BatchOptions, Sweep, BatchErrorReason } from './workflow/batch';
export { GeneratorError, resolveFloatGenerator, resolveIntegerGenerator, resolveStringGenerator, resolveImageGenerator } from './workflow/generators';
export { listOutputs } from './workflow/outputs';

// --- Models of a server ----------------------------------------------------------------------
export { syncModels } from './workflow/sync-models';
export { findModel } from './workflow/sync-models';
export type { ModelSync, ModelChange, UnresolvedModel, ModelRecord, ModelValue, ModelMatch, ModelFieldRef, SyncModelsOptions } from './workflow/sync-models';

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
export { RunTimeoutError, ConnectionLostError, EnqueueUnconfirmedError, AttachError } from './run/errors';
export type { CancelOutcome, AttachFailure } from './run/errors';
export type { RunOptions, RunManyOptions, RunManyEvent, RunRequest, AttachOptions } from './run/options';
export { batchIdOfKey } from './run/keys';
export type { PollPolicy } from './run/poll';

// --- Server data shapes ----------------------------------------------------------------------
export { ItemId, BatchId, NodeId, PreparedId } from './protocol/ids';
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
export type { InvokeAIClient } from './client/client';
export type { ClientOptions } from './transport/context';
export type { ConnectionState, SocketDiagnostic, WebSocketConstructor, WebSocketLike } from './transport/socket';
export type { FetchLike, Logger, TransportLimits } from './transport/http';
export { DEFAULT_LIMITS } from './transport/http';
export { redactText, redactUrl } from './transport/redact';
export type { RetryPolicy, BackoffPolicy } from './internal/backoff';
export { HttpError, AuthError, NetworkError, RequestTimeoutError, RequestAbortedError, DecodeError, ResponseTooLargeError, UnsafePathError } from './transport/errors';
export type { RequestIssue, ResponseLimitKind } from './transport/errors';

// --- Server events ---------------------------------------------------------------------------
export { isKnownServerEventName } from './protocol/events';
export { decodeServerEvent } from './protocol/events-decode';
export type { EventDecodeIssue } from './protocol/events-decode';
export type { PathIssue } from './protocol/issues';
export type { ServerEvent, ServerEventOf, KnownServerEvent, KnownServerEventName, UnknownServerEvent, PreparedInvocation } from './protocol/events';

// --- Server resources ------------------------------------------------------------------------
// Each is a function of the client (`images(client).upload(bytes)`), so an app bundles only those it imports.
export { app } from './client/app';
export { images } from './client/images';
export { videos } from './client/videos';
export { boards } from './client/boards';
export { models } from './client/models';
export { queue } from './client/queue';
export { workflows } from './client/workflows';
export { serverTemplates } from './client/templates';
export { NotFoundError } from './client/resource';
export type { ResourceDiagnostic, ResourceKind, ResourceHost } from './client/resource';
export type { AppResource, AppVersion, Health, HealthOptions, AuthStatus } from './client/app';
export { sniffImageType } from './client/images';
export type {
  ImagesResource,
  ImageDTO,
  ImagePage,
  ImageUrls,
  ImageCategory,
  ImageWorkflow,
  UploadOptions,
  ImageListOptions,
  DeleteImagesResult,
  StarResult,
} from './client/images';
export type { ImageNames, ImageNamesOptions } from './client/images';
export type { MediaFilters, MediaListOptions, MediaPage, MediaWorkflow, MediaResource, MediaUploadOptions, MediaStreamOptions } from './client/media';
export { sniffVideoType } from './client/videos';
export type {
  VideosResource,
  VideoDTO,
  VideoPage,
  VideoUrls,
  VideoListOptions,
  VideoNamesOptions,
  VideoNames,
  VideoChanges,
  VideoUploadOptions,
  VideoWorkflow,
  VideoStarResult,
  DeleteVideosResult,
  AddVideosResult,
  RemoveVideosResult,
} from './client/videos';
export { UNCATEGORIZED } from './client/boards';
export type {
  BoardsResource,
  BoardDTO,
  BoardChanges,
  BoardListOptions,
  BoardVisibility,
  DeleteBoardResult,
  AddImagesResult,
  RemoveImagesResult,
} from './client/boards';
export { toModelIdentifier } from './client/models';
export type { ModelsResource, ModelConfig, ModelIdentifier, ModelBase, ModelType, ModelFormat, ModelListOptions } from './client/models';
export type { QueueResource, RetryItemsResult, RetryResult } from './client/queue';
export type { QueueItemIds, QueueItemSummary, QueueCountsByDestination } from './client/queue';
export type { WorkflowsResource, WorkflowRecord, WorkflowListItem, WorkflowPage, WorkflowListQuery } from './client/workflows';
export type { QueueAndProcessorStatus } from './protocol/dto';

// --- Several servers as one ------------------------------------------------------------------
export { createPool } from './pool/pool';
export type { InvokeAIPool } from './pool/pool';
export type { PoolOptions, PoolServer, PoolServerOptions } from './pool/options';
export type { PoolStatus, PoolServerStatus, ServerHealth } from './pool/status';
export { SERVER_LOST } from './pool/events';
export type { PoolRunEvent, PoolEventOrigin, PoolServerRef, RetryRef, PoolRunResult, PoolRunItemResult, PoolRunManyEvent } from './pool/events';
export { NoEligibleServerError, PoolClosedError } from './pool/errors';
export type { Ineligibility } from './pool/errors';
export { loadOf } from './pool/dispatch';
export type { DispatchStrategy, DispatchFunction, DispatchRequest, ServerLoad } from './pool/dispatch';
