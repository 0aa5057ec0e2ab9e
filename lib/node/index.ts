// invokeai-rx/node: file helpers for Node (load a workflow file, upload an image file, save a run's
// images and videos), a run's progress drawn in a terminal, and typed workflow modules.

// --- Files -----------------------------------------------------------------------------------
export { loadWorkflowFile, uploadImageFile, saveOutputs, FileError, SaveOutputsError, VideosResourceMissingError } from './files';
export type { FileErrorReason, OutputImageInfo, SaveOutputsOptions } from './files';
export { saveEachCompleted } from './save-completed';
export type { SavedOutputs } from './save-completed';

// --- Progress in a terminal ------------------------------------------------------------------
export { showProgress, initialProgress, foldProgress, overallFraction, renderBars, plainLine, liveBlock, bar } from './progress';
export type { RunProgress, RunProgressEvent, ItemProgress, NodeProgress, ShowProgressOptions, ProgressOutput } from './progress';

// --- Typed workflow modules ------------------------------------------------------------------
export { codegen, CodegenError } from './codegen';
export type { CodegenOptions, CodegenFile, CodegenErrorReason } from './codegen';
export { generateWorkflowModule } from '../codegen/generate';
export type { GenerateOptions, GeneratedModule } from '../codegen/generate';
