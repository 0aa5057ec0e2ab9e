// invokeai-rx/node: file helpers for Node (load a workflow file, upload an image file, save a run's images and videos, download one to a file).
export { loadWorkflowFile, uploadImageFile, saveOutputs, downloadTo, FileError, SaveOutputsError, VideosResourceMissingError, MAX_WORKFLOW_FILE_BYTES } from './files';
export type { FileErrorReason, OutputImageInfo, SaveOutputsOptions, MediaDownloader } from './files';
export { codegen, CodegenError } from './codegen';
export type { CodegenOptions, CodegenFile, CodegenErrorReason } from './codegen';
export { generateWorkflowModule } from '../codegen/generate';
export type { GenerateOptions, GeneratedModule } from '../codegen/generate';
