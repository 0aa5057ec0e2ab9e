// invokeai-rx/node: file helpers for Node (load a workflow file, upload an image file, save a run's images and videos).
export { loadWorkflowFile, uploadImageFile, saveOutputs, FileError, SaveOutputsError, VideosResourceMissingError } from './files';
export type { FileErrorReason, OutputImageInfo, SaveOutputsOptions } from './files';
export { codegen, CodegenError } from './codegen';
export type { CodegenOptions, CodegenFile, CodegenErrorReason } from './codegen';
export { generateWorkflowModule } from '../codegen/generate';
export type { GenerateOptions, GeneratedModule } from '../codegen/generate';
