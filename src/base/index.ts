export { ERROR_CODES, KnowdError, isKnowdError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { assert, unreachable, AssertionError } from './assert.js';
export { systemClock, FakeClock } from './clock.js';
export type { Clock } from './clock.js';
export { createSecretFileOnce, fsyncDir } from './secret-file.js';
export { ADMIN_CREDENTIAL_FILE, ADMIN_PASSWORD_MIN_LENGTH, hashAdminPassword, readAdminCredential, verifyAdminPassword, writeAdminCredential } from './admin-credential.js';
export type { AdminCredential } from './admin-credential.js';
export { mix32 } from './hash.js';
