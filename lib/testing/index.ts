/** `invokeai-rx/testing`: a simulated InvokeAI server for tests and demos. */
export { startMockServer } from './server';
export type { MockServer, MockServerOptions } from './server';
export type { RequestLogEntry } from './serve';
export type { MockFaults, RequestFailure } from './faults';
export type { MockUser, TokenLifetime } from './auth';
export type { CorsOptions } from './cors';
export type { ModelConfig, ModelSpec } from './models';
export { defaultModels, modelIdentifier } from './models';
export type { ImageDTO } from './images';
export type { VideoDTO } from './videos';
export type { BoardDTO } from './boards';
export type { EventLogEntry } from './events';
export { OpenApiNotFoundError } from './openapi';
export type { OpenApiDocument } from './openapi';
