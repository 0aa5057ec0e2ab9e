// invokeai-rx/node: file helpers for Node (load a workflow file, upload an image file, save a run's
// images and videos, download one to a file), a run's progress drawn in a terminal, and typed
// workflow modules.

// --- Files -----------------------------------------------------------------------------------
export { loadWorkflowFile, uploadImageFile, saveOutputs, downloadTo, FileError, SaveOutputsError, VideosResourceMissingError, MAX_WORKFLOW_FILE_BYTES } from './files';
export type { FileErrorReason, OutputImageInfo, SaveOutputsOptions, MediaDownloader } from './files';
export { saveEachCompleted } from './save-completed';
export type { SavedOutputs } from './save-completed';

// --- Progress in a terminal ------------------------------------------------------------------
export { showProgress, initialProgress, foldProgress, overallFraction, renderBars, plainLine, liveBlock, bar } from './progress';
export type { RunProgress, RunProgressEvent, ItemProgress, NodeProgress, ShowProgressOptions, ProgressOutput } from './progress';
export { printable, printableJson } from './printable';

// --- Typed workflow modules ------------------------------------------------------------------
export { codegen, CodegenError } from './codegen';
export type { CodegenOptions, CodegenFile, CodegenErrorReason } from './codegen';
export { generateWorkflowModule } from '../codegen/generate';
export type { GenerateOptions, GeneratedModule } from '../codegen/generate';
