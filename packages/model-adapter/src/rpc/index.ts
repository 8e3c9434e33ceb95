// The model-level RPC shared by Node worker threads and browser Web Workers.
export { emitterEndpoint, eventTargetEndpoint, type MessageEmitter, type MessageEndpoint, type MessageEventTarget } from './endpoint.js';
export { type OpenRemoteModelOptions, openRemoteModel, RemoteDecoderModel, type RemoteModel } from './model-client.js';
export { type LoadEvents, type ServedModel, type ServedModelLoader, serveModel } from './model-server.js';
export { fromWireError, toWireError, type WireError } from './wire-error.js';
