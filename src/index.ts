export { OAuthError } from './errors.js';
export type { OAuthErrorCode } from './errors.js';
export { memoryStore } from './store.js';
export type { Store, MemoryStore, MemoryStoreOptions } from './store.js';
