export { ERROR_CODES, KnowdError, isKnowdError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { assert, unreachable, AssertionError } from './assert.js';
export { systemClock, FakeClock } from './clock.js';
export type { Clock } from './clock.js';
export { createSecretFileOnce, fsyncDir } from './secret-file.js';
