export * from './errors.js';
export * from './config.js';
export type * from './tensor-backend.js';
export type * from './model.js';
