export { buildApp } from './app.js';
export type { ApiDeps } from './deps.js';
export { isLoopback } from './auth.js';
