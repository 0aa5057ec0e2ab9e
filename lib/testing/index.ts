/** `invokeai-rx/testing`: a simulated InvokeAI server for tests and demos. */

// --- The simulated server --------------------------------------------------------------------
export { startMockServer } from './server';
export type { MockServer, MockServerOptions } from './server';
export { ManualClock } from './clock';
export type { SimClock } from './clock';
export type { RequestLogEntry } from './serve';
export type { EventLogEntry } from './events';
export type { MockUser, TokenLifetime } from './auth';
export type { CorsOptions } from './cors';
export { OpenApiNotFoundError } from './openapi';
export { MissingPeerError } from './optional-peers';
export type { OpenApiDocument } from './openapi';

// --- Faults ----------------------------------------------------------------------------------
export type { MockFaults, RequestFailure } from './faults';

// --- What the server holds -------------------------------------------------------------------
export type { MockModelConfig, ModelSpec } from './models';
export { defaultModels, modelIdentifier } from './models';
export type { MockImageDTO } from './images';
export type { MockVideoDTO } from './videos';
export type { MockBoardDTO } from './boards';
